"""The moderators' overview: the figures of /moderation/overview/, each aggregated in the
database with a fixed number of queries whatever the size of the queue or the log.

Medians are taken in the database on both SQLite and PostgreSQL: count the rows, then
read the one or two middle values in order (ORDER BY ... OFFSET); no rows are looped over.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, QuerySet
from django.utils import timezone

from townsquare.core.permissions.community import STAFF_ROLES
from townsquare.moderation.models import (
    AuditEntry,
    Flag,
    FlagReason,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30


@dataclass(frozen=True)
class QueueFigures:
    kind: str
    label: str
    count: int
    oldest_age: timedelta | None
    median_age: timedelta | None


@dataclass(frozen=True)
class Overview:
    days: int
    since: datetime
    queue: list[QueueFigures]
    flags_by_reason: list[tuple[str, str, int]]  # (reason, label, count)
    actions_by_moderator: list[tuple[str, int]]  # (actor label, count)
    decisions: int
    median_decision_time: timedelta | None


def median(values: QuerySet, field: str, count: int | None = None):
    """The median of ``field`` over ``values`` (datetimes or durations), in two queries
    (one if the caller counted them already); None when there are none."""
    count = values.count() if count is None else count
    if not count:
        return None
    middle = list(values.order_by(field).values_list(field, flat=True)[(count - 1) // 2 :][:2])
    if count % 2 or len(middle) == 1:
        return middle[0]
    return middle[0] + (middle[1] - middle[0]) / 2


def _queue(now: datetime) -> list[QueueFigures]:
    pending = ReviewItem.objects.filter(status=ReviewStatus.PENDING)
    counts = {
        row["kind"]: row
        for row in pending.order_by()
        .values("kind")
        .annotate(n=Count("id"), oldest=Min("created_at"))
    }
    figures = []
    for kind, label in ReviewKind.choices:
        row = counts.get(kind)
        middle = median(pending.filter(kind=kind), "created_at", row["n"]) if row else None
        figures.append(
            QueueFigures(
                kind=kind,
                label=str(label),
                count=row["n"] if row else 0,
                oldest_age=now - row["oldest"] if row else None,
                median_age=now - middle if middle else None,
            )
        )
    return figures


def overview(days: int = DEFAULT_PERIOD, now: datetime | None = None) -> Overview:
    """Every figure of the overview over the last ``days`` days (the queue: as it is now)."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    flags = dict(
        Flag.objects.filter(created_at__gte=since)
        .order_by()
        .values("reason")
        .annotate(n=Count("id"))
        .values_list("reason", "n")
    )
    actions = list(
        # Moderators, managers and admins as they are now (members' own flags are in the
        # log too, and are not moderation).
        AuditEntry.objects.filter(created_at__gte=since, actor__role__in=STAFF_ROLES)
        .order_by()
        .values("actor_label")
        .annotate(n=Count("id"))
        .order_by("-n", "actor_label")
        .values_list("actor_label", "n")
    )
    # From the first flag (the item is created with it) to the moderator's decision.
    decided = ReviewItem.objects.filter(
        kind=ReviewKind.FLAGGED,
        status=ReviewStatus.DECIDED,
        decided_at__gte=since,
        decided_at__isnull=False,
    ).annotate(
        waited=ExpressionWrapper(F("decided_at") - F("created_at"), output_field=DurationField())
    )
    decisions = decided.count()
    return Overview(
        days=days,
        since=since,
        queue=_queue(now),
        flags_by_reason=[
            (reason, str(label), flags.get(reason, 0)) for reason, label in FlagReason.choices
        ],
        actions_by_moderator=actions,
        decisions=decisions,
        median_decision_time=median(decided, "waited", decisions),
    )
