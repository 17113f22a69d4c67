from django.urls import path

from townsquare.moderation.views import screening

app_name = "moderation"

urlpatterns: list = [
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
