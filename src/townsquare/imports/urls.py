from django.urls import path

from townsquare.imports import views

app_name = "imports"
urlpatterns = [
    path("manage/members/import/", views.members_import, name="members_import"),
    path("manage/members/import/<int:import_id>/", views.member_import, name="member_import"),
    path(
        "manage/members/import/<int:import_id>/run/",
        views.run_member_import,
        name="run_member_import",
    ),
    path("manage/members/export.csv", views.members_export, name="members_export"),
]
