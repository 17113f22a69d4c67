from django.urls import path

from townsquare.accounts import views

urlpatterns = [
    path("members/", views.member_list, name="member_list"),
    path("u/<str:handle>/", views.member_detail, name="member_detail"),
    path("u/<str:handle>/follow/", views.follow_member, name="follow_member"),
    path("u/<str:handle>/unfollow/", views.unfollow_member, name="unfollow_member"),
    path("settings/", views.account_settings, name="account_settings"),
    path("settings/profile/", views.profile_settings, name="profile_settings"),
    path("settings/tokens/", views.token_settings, name="token_settings"),
    path("settings/tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("i18n/setlang/", views.switch_language, name="set_language"),
]
