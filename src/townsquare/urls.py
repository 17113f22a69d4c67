from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from townsquare.api.main import api
from townsquare.core import feeds, sitemaps, views
from townsquare.core.media import serve_media

urlpatterns = [
    path("", views.home, name="home"),
    path("guidelines/", views.guidelines, name="guidelines"),
    path("guidelines/history/", views.guidelines_history, name="guidelines_history"),
    path("guidelines/v<int:number>/", views.guidelines_version, name="guidelines_version"),
    path("guidelines/accept/", views.guidelines_accept, name="guidelines_accept"),
    path("manage/", views.manage_settings, name="manage_settings"),
    path("manage/guidelines/", views.manage_guidelines, name="manage_guidelines"),
    path("manage/roles/", views.manage_roles, name="manage_roles"),
    path("manage/roles/<int:user_id>/", views.change_role, name="change_role"),
    path("manage/jobs/", views.manage_failed_jobs, name="manage_failed_jobs"),
    path("manage/jobs/<int:job_id>/", views.failed_job_detail, name="failed_job_detail"),
    path(
        "manage/jobs/<int:job_id>/<str:action>/",
        views.failed_job_action,
        name="failed_job_action",
    ),
    path("feeds/members.atom", feeds.new_members_feed, name="feed_members"),
    path("sitemap.xml", sitemaps.sitemap_index, name="sitemap"),
    path("sitemap-<str:section>.xml", sitemaps.sitemap_section, name="sitemap_section"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("", include("townsquare.accounts.urls")),
    path("", include("townsquare.forum.urls")),
    path("", include("townsquare.search.urls")),
    path("", include("townsquare.mentoring.urls")),
    path("", include("townsquare.groups.urls")),
    path("", include("townsquare.messaging.urls")),
    path("", include("townsquare.imports.urls")),
    path("", include("townsquare.notifications.urls")),
    path("", include("townsquare.onboarding.urls")),
    path("", include("townsquare.announcements.urls")),
    path("", include("townsquare.moderation.urls")),
    path("", include("townsquare.analytics.urls")),
    path("", include("townsquare.surveys.urls")),
    path("", include("townsquare.events.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
    re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.+)$", serve_media, name="media"),
]
