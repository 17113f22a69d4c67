"""The demo's moderation: something on every moderation page on first open, loaded once."""

import pytest
from django.core.management import call_command

from townsquare.accounts.models import User
from townsquare.moderation.models import (
    AuditEntry,
    BlockedDomain,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
    Sanction,
    WatchedWord,
)


@pytest.mark.django_db
def test_demo_moderation_fills_the_queue_and_the_log_once(capsys, settings):
    settings.MODERATION_LIMITS_ENABLED = True  # the demo runs with the real defences
    call_command("demo")
    out = capsys.readouterr().out
    assert "Moderation: 6 watched words, 4 items in the review queue" in out
    pending = ReviewItem.objects.filter(status=ReviewStatus.PENDING)
    assert pending.filter(kind=ReviewKind.QUEUED, author__handle="new_arrival").count() == 1
    assert pending.filter(auto_hidden=True).count() == 1
    decided = ReviewItem.objects.get(status=ReviewStatus.DECIDED)
    assert decided.decision == "hide" and decided.guideline.startswith("be-kind")
    assert Sanction.objects.get().member == decided.author
    assert BlockedDomain.objects.count() == 1
    assert User.objects.filter(trust_level__gte=1).count() == 12
    counts = (WatchedWord.objects.count(), ReviewItem.objects.count(), AuditEntry.objects.count())
    call_command("demo")
    assert (
        WatchedWord.objects.count(),
        ReviewItem.objects.count(),
        AuditEntry.objects.count(),
    ) == counts
