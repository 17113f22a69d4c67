"""Reads of the sentiment page and of the ``sentiment``, ``negative_share`` and
``positive_share`` metrics: from ``SentimentDay`` (per day and category) and, for the most
negative threads, ``PostSentiment`` grouped by topic; never from the forum's posts."""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Avg, Count, Q, Sum
from django.utils.translation import gettext as _

from townsquare.analytics.models import PostSentiment, SentimentDay
from townsquare.analytics.periods import Period, Row, Value
from townsquare.analytics.sentiment import NEUTRAL
from townsquare.core import permissions
from townsquare.core.models import Community
from townsquare.forum.models import Category, Topic

#: A thread needs this many scored posts in the period to be ranked: one angry post
#: is not yet an angry thread.
MIN_THREAD_POSTS = 3
TOP_THREADS = 10
#: Threads are ranked on the last days of the period only: what a manager can still act
#: on, and a read of the per-post scores that stays small whatever the period's length.
RECENT_DAYS = 30


@dataclass
class Totals:
    posts: int = 0
    score_sum: float = 0.0
    negative: int = 0
    positive: int = 0

    def add(self, other: "Totals") -> None:
        self.posts += other.posts
        self.score_sum += other.score_sum
        self.negative += other.negative
        self.positive += other.positive

    @property
    def mean(self) -> float | None:
        return round(self.score_sum / self.posts, 3) if self.posts else None

    def share(self, kind: str) -> float | None:
        """Per cent of the posts that were "negative", "neutral" or "positive"."""
        if not self.posts:
            return None
        count = {
            "negative": self.negative,
            "positive": self.positive,
            "neutral": self.posts - self.negative - self.positive,
        }[kind]
        return round(100 * count / self.posts, 2)


def _grouped(period: Period, categories: Collection[int] | None, by: str):
    rows = SentimentDay.objects.filter(day__range=(period.start, period.end))
    if categories is not None:
        rows = rows.filter(category_id__in=categories)
    return (
        rows.order_by()
        .values(by)
        .annotate(n=Sum("posts"), total=Sum("score_sum"), neg=Sum("negative"), pos=Sum("positive"))
    )


def _totals(row: dict) -> Totals:
    return Totals(row["n"] or 0, row["total"] or 0.0, row["neg"] or 0, row["pos"] or 0)


def daily(period: Period, categories: Collection[int] | None = None) -> dict[date, Totals]:
    """The scored posts of each day of the period that has any (one query)."""
    return {row["day"]: _totals(row) for row in _grouped(period, categories, "day")}


def _sum(days: dict[date, Totals], period: Period) -> Totals:
    found = Totals()
    for day, totals in days.items():
        if period.start <= day <= period.end:
            found.add(totals)
    return found


def mean_value(period: Period, categories: Collection[int] | None = None) -> Value:
    """The ``sentiment`` metric: each day's mean score (days without scored posts left
    out) and the mean over every scored post of the period (not the mean of the days)."""
    days = daily(period, categories)
    series = [(day, days[day].mean) for day in period.dates() if day in days]
    return Value(series, _sum(days, period).mean)


def _share_value(kind: str, period: Period, categories: Collection[int] | None) -> Value:
    days = daily(period, categories)
    series = [(day, days[day].share(kind)) for day in period.dates() if day in days]
    return Value(series, _sum(days, period).share(kind))


def negative_share_value(period: Period, categories: Collection[int] | None = None) -> Value:
    return _share_value("negative", period, categories)


def positive_share_value(period: Period, categories: Collection[int] | None = None) -> Value:
    return _share_value("positive", period, categories)


@dataclass
class ScoreRow(Row):
    """A row of mean scores: a score runs from −1 to +1 through zero, so a change in per
    cent (from −0.26 to +0.23 is "−190 %") would mislead; the two values stand side by side."""

    @property
    def change(self) -> None:
        return None


@dataclass
class Thread:
    topic: Topic
    posts: int
    mean: float
    negative: int


@dataclass
class Report:
    current: dict[date, Totals]
    previous: dict[date, Totals]
    headline: list[Row]
    shares: list[Row]
    categories: list[Row]
    threads: list[Thread]


def _by_category(
    period: Period, previous: Period, categories: Collection[int] | None, names: dict[int, str]
) -> list[Row]:
    now = {row["category_id"]: _totals(row) for row in _grouped(period, categories, "category_id")}
    then = {
        row["category_id"]: _totals(row) for row in _grouped(previous, categories, "category_id")
    }
    rows = [
        ScoreRow(names[pk], now[pk].mean, then[pk].mean if pk in then else None, key=str(pk))
        for pk in now
        if pk in names  # a category the reader may not see, or one deleted since
    ]
    return sorted(rows, key=lambda row: (row.current, row.label))


def recent_period(period: Period) -> Period:
    """The last RECENT_DAYS days of the period (all of it when shorter)."""
    return Period(max(period.start, period.end - timedelta(days=RECENT_DAYS - 1)), period.end)


def negative_threads(
    period: Period,
    categories: Collection[int] | None,
    user: permissions.AnyUser,
    community: Community,
) -> list[Thread]:
    """Topics the reader may see whose posts of the period's last RECENT_DAYS days have
    the lowest mean score, below zero, with at least MIN_THREAD_POSTS scored posts (two
    queries)."""
    recent = recent_period(period)
    scored = PostSentiment.objects.filter(
        day__range=(recent.start, recent.end),
        topic_id__in=permissions.visible_topics(user, community).values("pk"),
    )
    if categories is not None:
        scored = scored.filter(category_id__in=categories)
    ranked = list(
        scored.order_by()
        .values("topic_id")
        .annotate(n=Count("pk"), mean=Avg("score"), neg=Count("pk", filter=Q(score__lt=-NEUTRAL)))
        .filter(n__gte=MIN_THREAD_POSTS, mean__lt=0)
        .order_by("mean", "topic_id")[:TOP_THREADS]
    )
    topics = Topic.objects.in_bulk([row["topic_id"] for row in ranked])
    return [
        Thread(topics[row["topic_id"]], row["n"], round(row["mean"], 3), row["neg"])
        for row in ranked
        if row["topic_id"] in topics
    ]


def report(
    period: Period,
    categories: Collection[int] | None,
    user: permissions.AnyUser,
    community: Community,
) -> Report:
    """Everything the sentiment page shows, in a fixed number of queries."""
    previous = period.previous()
    days = daily(Period(previous.start, period.end), categories)
    current = {day: totals for day, totals in days.items() if day >= period.start}
    before = {day: totals for day, totals in days.items() if day <= previous.end}
    now, then = _sum(current, period), _sum(before, previous)
    headline = [
        ScoreRow(
            _("Mean sentiment"),
            now.mean,
            then.mean,
            _("Mean score of the posts written in the period, −1 to +1."),
            key="sentiment",
        ),
        Row(
            _("Scored posts"),
            now.posts,
            then.posts,
            _("Posts written in the period that count: not deleted or hidden."),
            key="posts",
        ),
    ]
    shares = [
        Row(label, now.share(kind), then.share(kind), definition, percent=True, key=kind)
        for kind, label, definition in (
            ("negative", _("Negative"), _("Share of the scored posts below −0.05.")),
            ("neutral", _("Neutral"), _("Share of the scored posts from −0.05 to +0.05.")),
            ("positive", _("Positive"), _("Share of the scored posts above +0.05.")),
        )
    ]
    visible = permissions.visible_category_ids(user, community)
    names = dict(Category.objects.filter(pk__in=visible).values_list("pk", "name"))
    return Report(
        current=current,
        previous=before,
        headline=headline,
        shares=shares,
        categories=_by_category(period, previous, categories, names),
        threads=negative_threads(period, categories, user, community),
    )


def series_with_gaps(days: dict[date, Totals], period: Period) -> list[tuple[date, float | None]]:
    """Each day's mean for a line chart, None (a gap) where nothing was scored."""
    found: dict[date, float | None] = defaultdict(lambda: None)
    found.update({day: totals.mean for day, totals in days.items()})
    return [(day, found[day]) for day in period.dates()]
