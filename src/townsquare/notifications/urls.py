from django.urls import path

from townsquare.notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.centre, name="centre"),
    path("notifications/badge/", views.badge, name="badge"),
    path("notifications/read/", views.mark_read, name="mark_read"),
    path("notifications/<int:notification_id>/", views.open_notification, name="open"),
    path("settings/notifications/mail/", views.mail_settings, name="mail_settings"),
    path("settings/notifications/retry-address/", views.retry_address, name="retry_address"),
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("settings/notifications/", views.preferences, name="preferences"),
    path(
        "settings/notifications/unmute/<str:what>/<int:object_id>/",
        views.unmute,
        name="unmute",
    ),
    path("members/<str:handle>/mute/", views.mute_member, name="mute_member"),
    path("g/<str:slug>/notifications/", views.group_level, name="group_level"),
    path("manage/notifications/", views.manage_defaults, name="manage_defaults"),
]
