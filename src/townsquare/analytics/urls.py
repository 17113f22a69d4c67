from django.urls import path

from townsquare.analytics import views, views_support

app_name = "analytics"

urlpatterns = [
    path("manage/analytics/", views.dashboard, name="dashboard"),
    path("manage/analytics/support/", views_support.support_page, name="support"),
    path("manage/analytics/settings/", views_support.settings_page, name="settings"),
]
