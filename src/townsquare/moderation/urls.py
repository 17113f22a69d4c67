from django.urls import path

from townsquare.moderation.views import audit, notices, overview, sanctions, trust

app_name = "moderation"

urlpatterns = [
    path("notices/", notices.notice_list, name="notices"),
    path("notices/<int:notice_id>/answer/", notices.appeal, name="appeal"),
    path("moderation/overview/", overview.overview_page, name="overview"),
    path("moderation/audit/", audit.audit_log_page, name="audit_log"),
    path("moderation/audit/export.csv", audit.audit_log_csv, name="audit_log_csv"),
    path("moderation/members/<int:member_id>/", sanctions.member_page, name="member"),
    path(
        "moderation/members/<int:member_id>/lift/<int:sanction_id>/",
        sanctions.lift,
        name="lift",
    ),
    path("moderation/trust/", trust.trust_levels, name="trust"),
    path("moderation/trust/<int:member_id>/", trust.set_level, name="set_trust_level"),
]
