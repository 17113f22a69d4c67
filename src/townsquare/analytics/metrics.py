"""The dashboard's metrics, computed only from the daily aggregates (analytics.models),
never from the raw log. Each has a one-line definition; docs/metrics.md explains them.

A period is a range of UTC days, both ends included; it is compared with the period of
equal length just before it. A category filter (a group filter is turned into its
categories by the caller) applies to the metrics that have a category breakdown; the
others answer ``None`` under a filter rather than an unfiltered number.
"""

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.db import connection
from django.db.models import Q, QuerySet, Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from townsquare.analytics import (
    events,
    membership,
    revenue,
    rollups,
    satisfaction,
    sentiment_queries,
    spans,
    support,
)
from townsquare.analytics.models import DailyActiveMember, DailyMetric, MonthlyActiveMember
from townsquare.analytics.periods import WARM_DAYS, Period, Row, Value
from townsquare.core.models import Source

#: Of the members active in a period, "occasional" contributors made 1 to this many
#: contributions; "regular" ones more (the 9 and the 1 of the 90-9-1 curve).
OCCASIONAL_MAX = 9
TOP_REFERRERS = 10


@dataclass(frozen=True)
class Metric:
    key: str
    label: Promise
    definition: Promise
    section: str
    kind: str  # how the period figure comes from the days: sum, mean, last, ratio, ...
    by_category: bool = False
    percent: bool = False
    # For metrics read from their own aggregates (support, sentiment, ...), not from
    # DailyMetric: the value over a period, under a category filter or None.
    compute: Callable[[Period, Collection[int] | None], Value] | None = None


#: The sections of the overview page, in order; metrics of other sections are shown on
#: their own pages and read by ``series`` (the API).
SECTIONS = {
    "traffic": _("Traffic"),
    "stickiness": _("Stickiness"),
    "engagement": _("Engagement"),
    "membership": _("Membership"),
}

_METRICS = [
    Metric("pageviews", _("Page views"), _("Pages seen by members and visitors, all pages counted."), "traffic", "sum"),  # noqa: E501
    Metric("visitors", _("Unique visitors"), _("Sum of each day's distinct visitors (a daily-salted key, no IP stored), so one person on two days counts twice."), "traffic", "sum"),  # noqa: E501
    Metric("dau", _("Daily active members"), _("Distinct members with any activity or signed-in page view on a day; the period figure is the daily mean."), "stickiness", "mean"),  # noqa: E501
    Metric("wau", _("Weekly active members"), _("Distinct members active in the 7 days ending on a day; the period figure is that of its last day."), "stickiness", "last"),  # noqa: E501
    Metric("mau", _("Monthly active members"), _("Distinct members active in the 30 days ending on a day; the period figure is that of its last day."), "stickiness", "last"),  # noqa: E501
    Metric("dau_mau", _("DAU/MAU"), _("Per day, daily active ÷ monthly active members × 100 (0 when none); the period figure is the mean of the days."), "stickiness", "ratio", percent=True),  # noqa: E501
    Metric("lurkers", _("Lurkers"), _("Share of the members active in the period who made no contribution (post, reply, reaction, vote)."), "stickiness", "share", percent=True),  # noqa: E501
    Metric("occasional", _("Occasional contributors"), _("Share of the members active in the period who made 1 to 9 contributions."), "stickiness", "share", percent=True),  # noqa: E501
    Metric("regular", _("Regular contributors"), _("Share of the members active in the period who made 10 or more contributions."), "stickiness", "share", percent=True),  # noqa: E501
    Metric("engagement_rate", _("Engagement rate"), _("Members who contributed in the period ÷ members active in the period × 100."), "engagement", "engagement", percent=True),  # noqa: E501
    Metric("posts", _("Posts"), _("New topics and replies written."), "engagement", "sum", by_category=True),  # noqa: E501
    Metric("replies", _("Replies"), _("Replies written in existing topics."), "engagement", "sum", by_category=True),  # noqa: E501
    Metric("reactions", _("Reactions"), _("Reactions given to posts."), "engagement", "sum", by_category=True),  # noqa: E501
    Metric("posts_per_active", _("Posts per active member"), _("Posts in the period ÷ members active in the period."), "engagement", "per_active"),  # noqa: E501
    Metric("replies_per_active", _("Replies per active member"), _("Replies in the period ÷ members active in the period."), "engagement", "per_active"),  # noqa: E501
    Metric("reactions_per_active", _("Reactions per active member"), _("Reactions in the period ÷ members active in the period."), "engagement", "per_active"),  # noqa: E501
    Metric("new_members", _("New members"), _("Members who signed up."), "membership", "sum"),
    Metric("members_lost", _("Members lost"), _("Members who left (deleted their account or were deleted), or, if not, whose last activity was the set number of days before (counted on that day)."), "membership", "sum", compute=lambda period, categories: _lost(period, categories)),  # noqa: E501
    Metric("net_growth", _("Net growth"), _("New members − members lost."), "membership", "net", compute=lambda period, categories: _lost(period, categories, net=True)),  # noqa: E501
    Metric("questions_asked", _("Questions asked"), _("Topics started in Q&A categories in the period (deleted ones left out)."), "support", "sum", by_category=True, compute=support.compute("questions_asked")),  # noqa: E501
    Metric("questions_solved", _("Questions solved"), _("Of the questions asked in the period, those with an accepted answer now."), "support", "sum", by_category=True, compute=support.compute("questions_solved")),  # noqa: E501
    Metric("questions_answered_share", _("Answer rate"), _("Share of the questions asked in the period with a reply by someone other than the asker (at any time since)."), "support", "share", by_category=True, percent=True, compute=support.compute("questions_answered_share")),  # noqa: E501
    Metric("questions_solved_share", _("Solved rate"), _("Share of the questions asked in the period with an accepted answer."), "support", "share", by_category=True, percent=True, compute=support.compute("questions_solved_share")),  # noqa: E501
    Metric("first_response_median_hours", _("Median time to first response (hours)"), _("Median, over the questions asked in the period that got a reply, of the time from the question to the first reply by someone other than the asker; unanswered questions are left out."), "support", "median", by_category=True, compute=support.compute("first_response_median_hours")),  # noqa: E501
    Metric("solution_median_hours", _("Median time to solution (hours)"), _("Median, over the questions asked in the period that are solved, of the time from the question to the accepting of its answer."), "support", "median", by_category=True, compute=support.compute("solution_median_hours")),  # noqa: E501
    Metric("first_responses_by_members_share", _("First responses by members"), _("Of the questions asked in the period that got a reply, the share whose first reply came from a member who was not staff (moderator, manager or admin) when writing it."), "support", "share", by_category=True, percent=True, compute=support.compute("first_responses_by_members_share")),  # noqa: E501
    Metric("solutions_by_members_share", _("Accepted answers by members"), _("Of the questions asked in the period that are solved, the share whose accepted answer was written by a member who was not staff at the time."), "support", "share", by_category=True, percent=True, compute=support.compute("solutions_by_members_share")),  # noqa: E501
    Metric("support_cost_saved", _("Estimated support cost saved"), _("Questions asked in the period and solved by a member's accepted answer (not staff) × the cost of one support ticket set in the analytics settings."), "support", "sum", by_category=True, compute=support.compute("support_cost_saved")),  # noqa: E501
    Metric("sentiment", _("Mean sentiment"), _("Mean sentiment score of the posts written in the period, from −1 (negative) to +1 (positive); deleted and hidden posts left out. Per day: that day's mean."), "sentiment", "mean", by_category=True, compute=sentiment_queries.mean_value),  # noqa: E501
    Metric("negative_share", _("Negative posts"), _("Share of the period's scored posts with a sentiment score below −0.05."), "sentiment", "share", by_category=True, percent=True, compute=sentiment_queries.negative_share_value),  # noqa: E501
    Metric("positive_share", _("Positive posts"), _("Share of the period's scored posts with a sentiment score above +0.05."), "sentiment", "share", by_category=True, percent=True, compute=sentiment_queries.positive_share_value),  # noqa: E501
    Metric("nps", _("Net Promoter Score (NPS)"), _("Per cent promoters (9–10) minus per cent detractors (0–6) of the answers to “How likely are you to recommend us?”, each member's latest answer in the period counted once; from −100 to 100."), "satisfaction", "computed", compute=satisfaction.nps),  # noqa: E501
    Metric("csat", _("Satisfaction (CSAT)"), _("Per cent of the period's 1–5 satisfaction ratings that are 4 or 5."), "satisfaction", "computed", percent=True, compute=satisfaction.csat),  # noqa: E501
]  # fmt: skip
# Revenue (its own page): CRM accounts of active against inactive members.
_METRICS += [
    Metric(key, label, definition, "revenue", "computed", percent=percent, compute=revenue.computer(key))  # noqa: E501
    for key, label, definition, percent, _read in revenue.FIGURES
]  # fmt: skip
# Events (their own page): the events aggregates.
_METRICS += [
    Metric(key, label, definition, "events", "computed", percent=percent, compute=events.computer(key))  # noqa: E501
    for key, label, definition, percent in events.FIGURES
]  # fmt: skip
METRICS: dict[str, Metric] = {metric.key: metric for metric in _METRICS}

# Which stored daily metrics each metric reads.
_STORED = {"posts": ("topics", "replies"), "dau_mau": ("dau", "mau")}


Daily = dict[str, dict[date, int]]


def _load(period: Period, categories: Collection[int] | None) -> Daily:
    """Every stored daily figure of ``period`` (community-wide, or summed over the given
    categories where a metric has that breakdown), in one query."""
    dimensions = {""} if categories is None else {f"category:{pk}" for pk in categories}
    daily: Daily = defaultdict(lambda: defaultdict(int))
    rows = DailyMetric.objects.filter(
        day__range=(period.start, period.end), dimension__in=dimensions
    ).values_list("metric", "day", "value")
    for metric, day, value in rows:
        daily[metric][day] += value
    return daily


def _active_rows(period: Period) -> tuple[str, list]:
    """SQL of (member_id, contributions) rows covering the period: the monthly rows of its
    whole months and the daily rows of the days around them. A member may appear in
    several rows."""
    return spans.union(
        spans.rows(
            period,
            lambda span: (
                DailyActiveMember.objects.order_by()
                .filter(day__range=(span.start, span.end))
                .values_list("member_id", "contributions")
            ),
            lambda span: (
                MonthlyActiveMember.objects.order_by()
                .filter(month__range=(span.start, span.end))
                .values_list("member_id", "contributions")
            ),
        )
    )


def _distinct(period: Period) -> dict[str, int]:
    """Members active in the period, and how many of them contributed 0, 1–9, 10+ times.
    Cached until the rollup next rewrites the member rows: a year at 10,000,000 events
    groups half a million rows (docs/performance.md), and the rows change once an hour."""
    key = distinct_key(period, rollups.member_rows_version())
    found = cache.get(key)
    if found is None:
        found = _count_distinct(period)
        cache.set(key, found, rollups.MEMBER_ROWS_CACHE_SECONDS)
    return found


def distinct_key(period: Period, version: str) -> str:
    """The cache key of a period's distinct members at a version of the member rows."""
    return f"analytics:distinct:{period.start}:{period.end}:{version}"


def warm(today: date) -> None:
    """Count the distinct members of the usual periods ending today, and of the periods
    before them (the dashboard compares), into the cache: called after the hourly rollup."""
    for days in WARM_DAYS:
        period = Period.ending(today, days)
        _distinct(period)
        _distinct(period.previous())


def _count_distinct(period: Period) -> dict[str, int]:
    """Distinct over the per-member rows of the period, grouped by member in the
    database. Whole months are read from the monthly rows (a year: ~12 rows per member,
    not ~365)."""
    rows, params = _active_rows(period)
    # Only Django's compiled SQL and constants are formatted in; values are parameters.
    sql = (
        "SELECT COUNT(*), "  # noqa: S608
        "COALESCE(SUM(CASE WHEN c = 0 THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN c BETWEEN 1 AND %s THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN c > %s THEN 1 ELSE 0 END), 0) "
        "FROM (SELECT member_id, SUM(contributions) AS c "
        f"FROM ({rows}) rows GROUP BY member_id) per_member"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (OCCASIONAL_MAX, OCCASIONAL_MAX, *params))
        active, lurkers, occasional, regular = cursor.fetchone()
    return {
        "active": active,
        "lurkers": int(lurkers),
        "occasional": int(occasional),
        "regular": int(regular),
    }


def _lost(period: Period, categories: Collection[int] | None, net: bool = False) -> Value:
    """Members lost (or net growth) over the period, day by day: the API's answer."""
    if categories is not None:
        return Value()
    daily = _load(period, None)
    daily["members_lost"] = membership.lost_by_day(period)
    metric = METRICS["net_growth" if net else "members_lost"]
    return _value(metric, period, daily, _cached(period), False)


def _percent(part: float, whole: float) -> float:
    return round(100 * part / whole, 2) if whole else 0.0


def _value(
    metric: Metric,
    period: Period,
    daily: Daily,
    distinct: Callable[[], dict[str, int]],
    filtered: bool,
) -> Value:
    if filtered and not metric.by_category:
        return Value()
    days = period.dates()
    if metric.kind == "per_active":
        # Active members are not broken down by category, so neither is this ratio.
        base = _value(
            METRICS[metric.key.removesuffix("_per_active")], period, daily, distinct, False
        )
        active = distinct()["active"]
        series = [
            (d, round(v / daily["dau"][d], 2) if daily["dau"][d] else 0.0) for d, v in base.series
        ]
        return Value(series, round(base.total / active, 2) if active else 0.0)
    if metric.kind in ("share", "engagement"):
        counts = distinct()
        if metric.kind == "share":
            return Value(total=_percent(counts[metric.key], counts["active"]))
        series = [(d, _percent(daily["contributors"][d], daily["dau"][d])) for d in days]
        return Value(series, _percent(counts["active"] - counts["lurkers"], counts["active"]))
    if metric.kind == "net":
        series = [(d, daily["new_members"][d] - daily["members_lost"].get(d, 0)) for d in days]
        return Value(series, sum(v for _d, v in series))
    if metric.kind == "ratio":
        series = [(d, _percent(daily["dau"][d], daily["mau"][d])) for d in days]
        return Value(series, round(sum(v for _d, v in series) / len(days), 2))
    stored = _STORED.get(metric.key, (metric.key,))
    series = [(d, sum(daily[name].get(d, 0) for name in stored)) for d in days]
    if metric.kind == "mean":
        return Value(series, round(sum(v for _d, v in series) / len(days), 2))
    if metric.kind == "last":
        return Value(series, series[-1][1])
    return Value(series, sum(v for _d, v in series))


def _cached(period: Period) -> Callable[[], dict[str, int]]:
    memo: dict[str, int] = {}

    def get() -> dict[str, int]:
        if not memo:
            memo.update(_distinct(period))
        return memo

    return get


def series(key: str, period: Period, categories: Collection[int] | None = None) -> Value:
    """One metric over a period (the API's answer)."""
    metric = METRICS[key]
    if metric.compute is not None:
        return metric.compute(period, categories)
    daily = _load(period, categories)
    return _value(metric, period, daily, _cached(period), categories is not None)


def overview_rows(period: Period, categories: Collection[int] | None = None) -> Daily:
    """What the overview reads of the period and the previous one, once per page: the
    stored daily figures and, unfiltered, the members lost per day (``report``,
    ``trends`` and ``membership.by_month`` take them along)."""
    previous = period.previous()
    whole = Period(previous.start, period.end)
    daily = _load(whole, categories)
    if categories is None:
        daily["members_lost"] = membership.lost_by_day(whole)
    return daily


def report(
    period: Period, categories: Collection[int] | None = None, daily: Daily | None = None
) -> dict[str, list[Row]]:
    """Every dashboard table for a period against the previous one, in a fixed number of
    queries whatever the length of the period; ``daily``: the ``overview_rows`` already
    read."""
    previous = period.previous()
    if daily is None:
        daily = overview_rows(period, categories)
    filtered = categories is not None
    tables: dict[str, list[Row]] = {section: [] for section in SECTIONS}
    now_distinct, then_distinct = _cached(period), _cached(previous)
    for metric in _METRICS:
        if metric.section not in tables:
            continue  # shown on its own page (support, sentiment, ...)
        current = _value(metric, period, daily, now_distinct, filtered)
        before = _value(metric, previous, daily, then_distinct, filtered)
        tables[metric.section].append(
            Row(
                str(metric.label),
                current.total,
                before.total,
                str(metric.definition),
                metric.percent,
                metric.key,
            )
        )
    if not filtered:
        tables["sources"] = _sources(period, previous)
        tables["referrers"] = _referrers(period, previous)
    return tables


# The metric each dashboard section draws day by day, against the previous period.
TRENDS = {
    "traffic": "pageviews",
    "stickiness": "dau",
    "engagement": "posts",
    "membership": "new_members",
}


def trends(
    period: Period, categories: Collection[int] | None = None, daily: Daily | None = None
) -> dict[str, tuple[Metric, Value, Value]]:
    """For each section, its charted metric in ``period`` and in the previous period, day
    by day (one query, none given the ``overview_rows``). A metric that cannot follow the
    filter is left out."""
    previous = period.previous()
    if daily is None:
        daily = _load(Period(previous.start, period.end), categories)
    filtered = categories is not None
    found = {}
    for section, key in TRENDS.items():
        metric = METRICS[key]
        if filtered and not metric.by_category:
            continue
        found[section] = (
            metric,
            _value(metric, period, daily, _cached(period), filtered),
            _value(metric, previous, daily, _cached(previous), filtered),
        )
    return found


def _page_views_by(prefix: str, period: Period, previous: Period) -> QuerySet:
    """Page views per dimension starting with ``prefix`` ("source:", "referrer:"), in the
    period (``now``) and the previous one (``then``): one grouped query."""
    return (
        DailyMetric.objects.filter(
            metric="pageviews",
            dimension__startswith=prefix,
            day__range=(previous.start, period.end),
        )
        .values("dimension")
        .annotate(
            now=Sum("value", filter=Q(day__gte=period.start)),
            then=Sum("value", filter=Q(day__lte=previous.end)),
        )
    )


def _sources(period: Period, previous: Period) -> list[Row]:
    """Page views by traffic source (one query)."""
    found = {row["dimension"]: row for row in _page_views_by("source:", period, previous)}
    rows = []
    for source in Source:
        row = found.get(f"source:{source.value}", {})
        rows.append(Row(str(source.label), row.get("now") or 0, row.get("then") or 0, key=source))
    return rows


def _referrers(period: Period, previous: Period) -> list[Row]:
    """The sites that sent the most page views in the period (one query)."""
    top = (
        _page_views_by("referrer:", period, previous)
        .filter(now__gt=0)
        .order_by("-now", "dimension")[:TOP_REFERRERS]
    )
    return [
        Row(row["dimension"].removeprefix("referrer:"), row["now"], row["then"] or 0) for row in top
    ]
