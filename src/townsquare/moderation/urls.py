from django.urls import path

from townsquare.moderation.views import notices, sanctions, trust

app_name = "moderation"

urlpatterns: list = [
    path("notices/", notices.notice_list, name="notices"),
    path("notices/<int:notice_id>/answer/", notices.appeal, name="appeal"),
    path("moderation/members/<int:member_id>/", sanctions.member_page, name="member"),
    path(
        "moderation/members/<int:member_id>/lift/<int:sanction_id>/",
        sanctions.lift,
        name="lift",
    ),
    path("moderation/trust/", trust.trust_levels, name="trust"),
    path("moderation/trust/<int:member_id>/", trust.set_level, name="set_trust_level"),
]
