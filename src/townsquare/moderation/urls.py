from django.urls import path

from townsquare.moderation.views import (
    audit,
    notices,
    overview,
    review,
    sanctions,
    screening,
    trust,
)

app_name = "moderation"

urlpatterns = [
    path("moderation/", review.queue, name="queue"),
    path("moderation/review/<int:item_id>/", review.item_detail, name="item"),
    path("moderation/flag/<str:kind>/<str:ref>/", review.flag_form, name="flag"),
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
    path("moderation/words/", screening.words, name="words"),
    path("moderation/words/<int:word_id>/delete/", screening.word_delete, name="word_delete"),
    path("moderation/words/test/", screening.words_test, name="words_test"),
    path("moderation/words/export.csv", screening.words_export, name="words_export"),
    path("moderation/words/import/", screening.words_import, name="words_import"),
    path("moderation/domains/", screening.domains, name="domains"),
    path(
        "moderation/domains/<int:domain_id>/delete/", screening.domain_delete, name="domain_delete"
    ),
    path("moderation/approval/", screening.approval, name="approval"),
    path("moderation/waiting/", screening.waiting, name="waiting"),
]
