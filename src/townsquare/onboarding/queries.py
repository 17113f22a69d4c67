"""Reads: the steps with their counts, and which members a step is due for."""

from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from townsquare.accounts.models import User
from townsquare.onboarding.models import DeliveryStatus, OnboardingDelivery, OnboardingStep

#: A step whose due time is further back than this is not sent any more ("too late"): a
#: member who joined before the step was written, or while the job was down, does not get
#: a pile of old steps at once.
LATE_AFTER = timedelta(days=2)


def steps_with_counts() -> QuerySet[OnboardingStep]:
    """Every step, in order, with how many were sent, skipped and failed (one query)."""
    return OnboardingStep.objects.annotate(
        sent=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.SENT)),
        skipped=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.SKIPPED)),
        failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
    ).order_by("day_offset", "position", "pk")


def active_steps() -> list[OnboardingStep]:
    return list(OnboardingStep.objects.filter(is_active=True).order_by("day_offset", "position"))


def members_due(step: OnboardingStep, now: datetime) -> QuerySet[User]:
    """Active members for whom ``step`` is due at ``now`` and not decided yet.

    Day 0 is ``date_joined``; members who have not accepted the guidelines yet (not members)
    wait. Due means ``date_joined + day_offset`` is past, by at most LATE_AFTER. One range
    query on the indexed join date, whatever the number of members."""
    due_at = now - timedelta(days=step.day_offset)
    decided = OnboardingDelivery.objects.filter(user=OuterRef("pk"), step=step)
    return User.objects.filter(
        is_active=True,
        guidelines_version__isnull=False,
        date_joined__lte=due_at,
        date_joined__gt=due_at - LATE_AFTER,
    ).exclude(Exists(decided))


def due_member_ids(now: datetime) -> list[int]:
    """Every member with at least one step due: one query per active step."""
    ids: set[int] = set()
    for step in active_steps():
        ids.update(members_due(step, now).values_list("pk", flat=True))
    return sorted(ids)
