"""Trust levels: what a member has done, the level it earns them, and the limits of their
level (docs/moderation.md, "Trust levels").

Levels follow Discourse: 0 new, 1 basic, 2 member, 3 regular, 4 leader (by hand only).
Stats come from what the platform already records, read for many members at once
(``member_stats`` costs a fixed number of queries per batch, whatever its size):

- days visited: days with a ``member.visited`` activity event (accounts.actions.touch_visit);
- topics entered, posts read, time read: the forum's read state (TopicReadState: one row per
  topic entered, ``last_read_number`` as the posts read there, ``seconds_read`` as the time
  the topic page was in view);
- reactions given and received (any kind counts as a like);
- topics replied to: topics with a reply by the member;
- upheld flags: the member's content hidden or deleted on review; suspensions ever.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.core.models import ActivityEvent
from townsquare.forum.models import Post, Reaction, Topic, TopicReadState
from townsquare.moderation.models import (
    Decision,
    ModerationSettings,
    ReviewItem,
    ReviewKind,
    Sanction,
    SanctionKind,
)
from townsquare.moderation.queries import moderation_settings

MAX_LEVEL = 4
# The highest level members reach by themselves; TL4 is given by hand.
MAX_AUTOMATIC_LEVEL = 3
LEVEL_NAMES = {
    0: _("New member"),
    1: _("Basic member"),
    2: _("Member"),
    3: _("Regular"),
    4: _("Leader"),
}
# As in Discourse, TL3's "share of the period's topics and posts" is capped, so a busy
# community does not ask a member to read tens of thousands of posts.
TL3_TOPICS_VIEWED_CAP = 500
TL3_POSTS_READ_CAP = 20_000


@dataclass
class Stats:
    """What one member has done. ``recent_*`` count the TL3 period only."""

    topics_entered: int = 0
    posts_read: int = 0
    seconds_read: int = 0
    days_visited: int = 0
    likes_given: int = 0
    likes_received: int = 0
    replied_topics: int = 0
    recent_days_visited: int = 0
    recent_topics_entered: int = 0
    recent_posts_read: int = 0
    recent_likes_given: int = 0
    recent_likes_received: int = 0
    recent_replied_topics: int = 0
    recent_upheld_flags: int = 0
    ever_suspended: bool = False

    @property
    def minutes_read(self) -> int:
        return self.seconds_read // 60


@dataclass(frozen=True)
class Requirement:
    label: str
    have: int
    need: int
    # "at least" (most) or "at most" (upheld flags, suspensions).
    at_most: bool = False

    @property
    def met(self) -> bool:
        return self.have <= self.need if self.at_most else self.have >= self.need


@dataclass(frozen=True)
class Period:
    """The TL3 window and the community's activity in it (read once per run)."""

    since: Any
    days: int
    topics: int
    posts: int


@dataclass(frozen=True)
class Limits:
    links: int | None
    images: int | None
    mentions: int | None
    posts_per_day: int | None
    new_conversations_per_day: int | None
    may_message: bool


UNLIMITED = Limits(
    links=None,
    images=None,
    mentions=None,
    posts_per_day=None,
    new_conversations_per_day=None,
    may_message=True,
)


def limits_for(user: User, config: ModerationSettings | None = None) -> Limits:
    """What ``user`` may do per post and per day. Staff and members from TL1 up are not
    limited; TL0 has the community's new-member limits."""
    if permissions.is_staff(user) or user.trust_level >= 1:
        return UNLIMITED
    config = config or moderation_settings()
    return Limits(
        links=config.tl0_links,
        images=config.tl0_images,
        mentions=config.tl0_mentions,
        posts_per_day=config.tl0_posts_per_day,
        new_conversations_per_day=config.tl0_conversations_per_day or None,
        may_message=config.tl0_conversations_per_day > 0,
    )


def period(config: ModerationSettings) -> Period:
    since = timezone.now() - timedelta(days=config.tl3_period_days)
    topics = Topic.objects.filter(created_at__gte=since).count()
    posts = Post.objects.filter(created_at__gte=since, deleted_at__isnull=True).count()
    return Period(since=since, days=config.tl3_period_days, topics=topics, posts=posts)


def _rows(queryset, key: str) -> dict[int, dict[str, Any]]:
    return {row[key]: row for row in queryset}


def member_stats(member_ids: Iterable[int], since) -> dict[int, Stats]:
    """The stats of many members in seven queries, ``recent_*`` counted from ``since``."""
    ids = list(member_ids)
    stats = {pk: Stats() for pk in ids}
    recent_visit = Q(last_visited_at__gte=since)
    for pk, row in _rows(
        TopicReadState.objects.filter(user_id__in=ids)
        .values("user_id")
        .annotate(
            entered=Count("id"),
            read=Sum("last_read_number"),
            seconds=Sum("seconds_read"),
            recent_entered=Count("id", filter=Q(first_visited_at__gte=since)),
            # The posts read in topics visited lately: their earlier reading counts too
            # (the read state keeps how far, not when), so this leans generous.
            recent_read=Sum("last_read_number", filter=recent_visit),
        ),
        "user_id",
    ).items():
        s = stats[pk]
        s.topics_entered, s.posts_read = row["entered"], row["read"] or 0
        s.seconds_read = row["seconds"] or 0
        s.recent_topics_entered, s.recent_posts_read = (
            row["recent_entered"],
            row["recent_read"] or 0,
        )
    day = TruncDate("created_at")
    for pk, row in _rows(
        ActivityEvent.objects.filter(verb="member.visited", actor_id__in=ids)
        .values("actor_id")
        .annotate(
            days=Count(day, distinct=True),
            recent=Count(day, distinct=True, filter=Q(created_at__gte=since)),
        ),
        "actor_id",
    ).items():
        stats[pk].days_visited, stats[pk].recent_days_visited = row["days"], row["recent"]
    recent = Q(created_at__gte=since)
    for pk, row in _rows(
        Reaction.objects.filter(user_id__in=ids)
        .values("user_id")
        .annotate(n=Count("id"), recent=Count("id", filter=recent)),
        "user_id",
    ).items():
        stats[pk].likes_given, stats[pk].recent_likes_given = row["n"], row["recent"]
    for pk, row in _rows(
        Reaction.objects.filter(post__author_id__in=ids, post__deleted_at__isnull=True)
        .values("post__author_id")
        .annotate(n=Count("id"), recent=Count("id", filter=recent)),
        "post__author_id",
    ).items():
        stats[pk].likes_received, stats[pk].recent_likes_received = row["n"], row["recent"]
    for pk, row in _rows(
        Post.objects.filter(author_id__in=ids, number__gt=1, deleted_at__isnull=True)
        .values("author_id")
        .annotate(
            n=Count("topic_id", distinct=True),
            recent=Count("topic_id", distinct=True, filter=recent),
        ),
        "author_id",
    ).items():
        stats[pk].replied_topics, stats[pk].recent_replied_topics = row["n"], row["recent"]
    for pk, row in _rows(
        ReviewItem.objects.filter(
            author_id__in=ids,
            kind=ReviewKind.FLAGGED,
            decision__in=[Decision.HIDE, Decision.DELETE],
            decided_at__gte=since,
        )
        .values("author_id")
        .annotate(n=Count("id")),
        "author_id",
    ).items():
        stats[pk].recent_upheld_flags = row["n"]
    for pk in (
        Sanction.objects.filter(member_id__in=ids, kind=SanctionKind.SUSPENSION)
        .values_list("member_id", flat=True)
        .distinct()
    ):
        stats[pk].ever_suspended = True
    return stats


def _percent(share: int, of: int, cap: int | None = None) -> int:
    need = (of * share + 99) // 100  # rounded up: 25% of 10 posts is 3
    return min(need, cap) if cap is not None else need


def requirements(
    level: int, stats: Stats, config: ModerationSettings, window: Period
) -> list[Requirement]:
    """What ``level`` (1-3) asks, beside what the member has."""
    if level == 1:
        return [
            Requirement(_("Topics entered"), stats.topics_entered, config.tl1_topics_entered),
            Requirement(_("Posts read"), stats.posts_read, config.tl1_posts_read),
            Requirement(_("Minutes reading"), stats.minutes_read, config.tl1_minutes_read),
        ]
    if level == 2:
        return [
            Requirement(_("Days visited"), stats.days_visited, config.tl2_days_visited),
            Requirement(_("Topics entered"), stats.topics_entered, config.tl2_topics_entered),
            Requirement(_("Posts read"), stats.posts_read, config.tl2_posts_read),
            Requirement(_("Minutes reading"), stats.minutes_read, config.tl2_minutes_read),
            Requirement(_("Reactions given"), stats.likes_given, config.tl2_likes_given),
            Requirement(_("Reactions received"), stats.likes_received, config.tl2_likes_received),
            Requirement(_("Topics replied to"), stats.replied_topics, config.tl2_replied_topics),
        ]
    if level == 3:
        return [
            Requirement(
                _("Days visited"),
                stats.recent_days_visited,
                _percent(config.tl3_days_visited_percent, window.days),
            ),
            Requirement(
                _("Topics viewed"),
                stats.recent_topics_entered,
                _percent(config.tl3_topics_viewed_percent, window.topics, TL3_TOPICS_VIEWED_CAP),
            ),
            Requirement(
                _("Posts read"),
                stats.recent_posts_read,
                _percent(config.tl3_posts_read_percent, window.posts, TL3_POSTS_READ_CAP),
            ),
            Requirement(
                _("Topics replied to"), stats.recent_replied_topics, config.tl3_replied_topics
            ),
            Requirement(_("Reactions given"), stats.recent_likes_given, config.tl3_likes_given),
            Requirement(
                _("Reactions received"), stats.recent_likes_received, config.tl3_likes_received
            ),
            Requirement(
                _("Posts hidden or deleted on flags"),
                stats.recent_upheld_flags,
                config.tl3_max_upheld_flags,
                at_most=True,
            ),
            Requirement(_("Suspensions"), int(stats.ever_suspended), 0, at_most=True),
        ]
    raise ValueError(f"No requirements for trust level {level}.")


def qualified_level(stats: Stats, config: ModerationSettings, window: Period) -> int:
    """The highest level whose requirements, and those of every level below, are met."""
    reached = 0
    for level in range(1, MAX_AUTOMATIC_LEVEL + 1):
        if not all(r.met for r in requirements(level, stats, config, window)):
            break
        reached = level
    return reached


@dataclass(frozen=True)
class Progress:
    """A member's level and what the next one asks (their profile)."""

    level: int
    name: str
    locked: bool
    next_level: int | None
    next_requirements: list[Requirement] = field(default_factory=list)


def progress(member: User) -> Progress:
    config = moderation_settings()
    level = member.trust_level
    next_level = (
        level + 1 if level < MAX_AUTOMATIC_LEVEL and not member.trust_level_locked else None
    )
    needs: list[Requirement] = []
    if next_level is not None:
        window = period(config)
        stats = member_stats([member.pk], window.since)[member.pk]
        needs = requirements(next_level, stats, config, window)
    return Progress(
        level=level,
        name=str(LEVEL_NAMES[level]),
        locked=member.trust_level_locked,
        next_level=next_level,
        next_requirements=needs,
    )


def level_counts() -> dict[int, int]:
    """How many active members are at each level (the staff page)."""
    counts = dict.fromkeys(range(MAX_LEVEL + 1), 0)
    for row in User.objects.filter(is_active=True).values("trust_level").annotate(n=Count("id")):
        counts[row["trust_level"]] = row["n"]
    return counts
