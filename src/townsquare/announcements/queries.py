"""Reads the pages and the API share: announcements with their counts, and failures."""

from django.db.models import Count, Q, QuerySet

from townsquare.announcements.models import Announcement, AnnouncementDelivery, DeliveryStatus

#: Failures listed on the progress page and in the API (the counts include them all).
FAILURES_SHOWN = 100


def _count(status: str) -> Count:
    return Count("deliveries", filter=Q(deliveries__status=status))


def with_counts() -> QuerySet[Announcement]:
    """Every announcement, newest first, with its queued, sent, failed and skipped counts
    and its author: one query, whatever their number."""
    return (
        Announcement.objects.select_related("author", "segment_group")
        .annotate(
            queued=_count(DeliveryStatus.QUEUED),
            sent=_count(DeliveryStatus.SENT),
            failed=_count(DeliveryStatus.FAILED),
            skipped=_count(DeliveryStatus.SKIPPED),
        )
        .order_by("-created_at", "-pk")
    )


def delivery_counts(announcement: Announcement) -> dict[str, int]:
    """Exact counts from the delivery rows (one query on the counts index)."""
    counts = dict.fromkeys(DeliveryStatus.values, 0)
    rows = (
        AnnouncementDelivery.objects.filter(announcement=announcement)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for status, n in rows:
        counts[status] = n
    return counts


def failures(announcement: Announcement, limit: int = FAILURES_SHOWN) -> list[AnnouncementDelivery]:
    return list(
        announcement.deliveries.filter(status=DeliveryStatus.FAILED)
        .select_related("user")
        .order_by("user_id")[:limit]
    )


def skip_reasons(announcement: Announcement) -> dict[str, int]:
    """How many were skipped for each reason ("unsubscribed", "bouncing", ...)."""
    rows = (
        announcement.deliveries.filter(status=DeliveryStatus.SKIPPED)
        .values_list("reason")
        .annotate(n=Count("pk"))
        .order_by("reason")
    )
    return dict(rows)
