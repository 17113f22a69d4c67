from django.urls import path

from townsquare.announcements import views

app_name = "announcements"

urlpatterns = [
    path("manage/announcements/", views.announcement_list, name="list"),
    path("manage/announcements/new/", views.announcement_form, name="new"),
    path("manage/announcements/count/", views.recipient_count, name="count"),
    path("manage/announcements/<int:announcement_id>/", views.progress, name="progress"),
    path(
        "manage/announcements/<int:announcement_id>/edit/",
        views.announcement_form,
        name="edit",
    ),
    path(
        "manage/announcements/<int:announcement_id>/delete/",
        views.announcement_delete,
        name="delete",
    ),
    path("manage/announcements/<int:announcement_id>/preview/", views.preview, name="preview"),
    path("manage/announcements/<int:announcement_id>/test/", views.send_test, name="test"),
    path("manage/announcements/<int:announcement_id>/send/", views.send, name="send"),
    path("manage/announcements/<int:announcement_id>/resume/", views.resume, name="resume"),
]
