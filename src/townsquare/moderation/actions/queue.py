"""Content held for approval."""

# PLACEHOLDER (owner: H4) — H4's queue (which creates the held post or topic) replaces this.
# Assumed: each function checks the policy, marks the item decided and writes its one
# audit entry; review.decide adds the reason, the guideline and the notice.

from django.db import transaction
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.moderation import audit
from townsquare.moderation.models import Decision, ReviewItem, ReviewStatus


def _close(actor: User, item: ReviewItem, decision: str, reason: str = "") -> ReviewItem:
    ReviewItem.objects.filter(pk=item.pk).update(
        status=ReviewStatus.DECIDED, decision=decision, decided_by=actor,
        decided_at=timezone.now(), decision_reason=reason,
    )  # fmt: skip
    audit.record(actor, f"review.{decision}", item, reason=reason)
    item.refresh_from_db()
    return item


@transaction.atomic
def publish_queued(actor: User, item: ReviewItem) -> ReviewItem:
    return _close(actor, item, Decision.APPROVE)


@transaction.atomic
def reject_queued(actor: User, item: ReviewItem, *, reason: str) -> ReviewItem:
    return _close(actor, item, Decision.REJECT, reason)
