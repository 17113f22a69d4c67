from django.urls import path

from townsquare.accounts import views

urlpatterns = [
    path("members/", views.member_list, name="member_list"),
    path("u/<str:handle>/", views.member_detail, name="member_detail"),
    path("u/<str:handle>/follow/", views.follow_member, name="follow_member"),
    path("u/<str:handle>/unfollow/", views.unfollow_member, name="unfollow_member"),
    path("u/<str:handle>/delete/", views.delete_member, name="delete_member"),
    path("settings/", views.account_settings, name="account_settings"),
    path("settings/profile/", views.profile_settings, name="profile_settings"),
    path("settings/tokens/", views.token_settings, name="token_settings"),
    path("settings/tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("settings/data/", views.data_settings, name="data_settings"),
    path(
        "settings/data/export/<int:export_id>/",
        views.download_data_export,
        name="download_data_export",
    ),
    path("settings/data/delete/", views.delete_own_account, name="delete_own_account"),
    path("i18n/setlang/", views.switch_language, name="set_language"),
]
