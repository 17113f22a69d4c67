"""The discussions that engaged most in a period, read from the rollup's per-topic days
(analytics.models ``DailyTopic`` and ``DailyTopicParticipant``): three queries."""

from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Count, Sum

from townsquare.analytics.models import DailyTopic, DailyTopicParticipant
from townsquare.analytics.periods import Period
from townsquare.core import permissions
from townsquare.core.models import Community
from townsquare.forum.models import Topic

TOP = 10
#: Candidates read before the reader's permissions are applied, so topics they may not
#: see (deleted, hidden, moved to a private category) still leave ten to show.
CANDIDATES = 3 * TOP


@dataclass
class Discussion:
    topic: Topic
    replies: int
    participants: int
    views: int


def top_discussions(
    period: Period,
    categories: Collection[int] | None,
    user: permissions.AnyUser,
    community: Community,
) -> list[Discussion]:
    """The topics with the most replies in the period (then the most first entries), of
    those ``user`` may see, in the given categories (all when None)."""
    visible = permissions.visible_category_ids(user, community)
    allowed = visible if categories is None else visible & set(categories)
    ranked = list(
        DailyTopic.objects.filter(day__range=(period.start, period.end), category_id__in=allowed)
        .values("topic_id")
        .annotate(replies=Sum("replies"), views=Sum("views"))
        .filter(replies__gt=0)
        .order_by("-replies", "-views", "topic_id")[:CANDIDATES]
    )
    topics = permissions.visible_topics(user, community).in_bulk(
        [row["topic_id"] for row in ranked]
    )
    shown = [
        row
        for row in ranked
        if row["topic_id"] in topics and topics[row["topic_id"]].category_id in allowed
    ][:TOP]
    participants = dict(
        DailyTopicParticipant.objects.filter(
            day__range=(period.start, period.end), topic_id__in=[row["topic_id"] for row in shown]
        )
        .values("topic_id")
        .annotate(n=Count("member_id", distinct=True))
        .values_list("topic_id", "n")
    )
    return [
        Discussion(
            topics[row["topic_id"]],
            row["replies"],
            participants.get(row["topic_id"], 0),
            row["views"],
        )
        for row in shown
    ]
