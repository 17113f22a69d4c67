"""Turning the activity log and page views into daily aggregates (analytics.models).

A day is a UTC calendar day. Each day is recomputed whole from the raw rows — its old
aggregates deleted and the new ones inserted in one transaction — so a rollup is
idempotent: running it twice leaves the same rows, and a late event is counted in the day
it happened once that day is rolled up again. The incremental run finds such days by an id
watermark (events with an id above the last one seen whose day is older).

WAU and MAU are distinct counts over the 7 and 30 day-rows of ``DailyActiveMember`` ending
on a day, so a change to one day also recomputes them for the 29 days after it.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Case, Count, F, Max, Min, Q, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from townsquare.analytics import support_rollup
from townsquare.analytics.models import DailyActiveMember, DailyMetric, RollupState
from townsquare.core.models import ActivityEvent, PageView

#: Event verbs that count as contributing (engagement rate, the 90-9-1 curve).
CONTRIBUTION_VERBS = ("topic.created", "post.created", "post.reacted", "poll.voted")
#: Event verbs counted per day, by the metric name they are stored under.
COUNTED_VERBS = {
    "topic.created": "topics",
    "post.created": "replies",
    "post.reacted": "reactions",
    "member.signed_up": "new_members",
}
#: Of the counted verbs, those broken down by the category they happened in.
CATEGORY_METRICS = frozenset({"topics", "replies", "reactions"})
#: Metrics that depend on a window of days, not on one day's rows.
WINDOW_METRICS = ("wau", "mau")
WINDOWS = {"wau": 7, "mau": 30}
#: Days computed together (a handful of grouped queries each) and written in one
#: transaction.
SPAN_DAYS = 7
STATE = "incremental"


def _utc_day(value: datetime) -> date:
    return value.astimezone(UTC).date()


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class UtcDay(TruncDate):
    """The UTC day of a datetime column.

    On SQLite, Django's TruncDate calls a Python function per row (half of a rebuild's
    time there); Django stores datetimes on SQLite as UTC text, "YYYY-MM-DD HH:MM:SS…"
    (settings.USE_TZ, no database TIME_ZONE), so the day is its first ten characters.
    """

    def __init__(self, expression: str) -> None:
        super().__init__(expression, tzinfo=UTC)

    def as_sqlite(self, compiler, connection, **extra_context) -> tuple[str, list]:
        sql, params = compiler.compile(self.lhs)
        return f"substr({sql}, 1, 10)", params


def _by_day(queryset):
    """The queryset grouped by UTC day (and then by whatever ``values`` follows)."""
    return queryset.order_by().annotate(day=UtcDay("created_at"))


def _compute(first: date, last: date) -> dict[date, dict[tuple[str, str], int]]:
    """Metric rows of the days ``first``..``last`` read from the raw log, by day (DAU and
    contributors come later, from the active members)."""
    span = {"created_at__gte": _start(first), "created_at__lt": _start(last + timedelta(days=1))}
    metrics: dict[date, dict[tuple[str, str], int]] = defaultdict(dict)
    views = _by_day(PageView.objects.filter(**span))
    for row in views.values("day").annotate(n=Count("id"), v=Count("visitor_key", distinct=True)):
        metrics[row["day"]][("pageviews", "")] = row["n"]
        metrics[row["day"]][("visitors", "")] = row["v"]
    for row in views.values("day", "source").annotate(
        n=Count("id"), v=Count("visitor_key", distinct=True)
    ):
        metrics[row["day"]][("pageviews", f"source:{row['source']}")] = row["n"]
        metrics[row["day"]][("visitors", f"source:{row['source']}")] = row["v"]
    for row in (
        views.exclude(referrer_host="").values("day", "referrer_host").annotate(n=Count("id"))
    ):
        metrics[row["day"]][("pageviews", f"referrer:{row['referrer_host']}")] = row["n"]

    events = _by_day(ActivityEvent.objects.filter(**span))
    for row in (
        events.filter(verb__in=COUNTED_VERBS)
        .values("day", "verb", "data__category")
        .annotate(n=Count("id"))
    ):
        name, day, category = COUNTED_VERBS[row["verb"]], row["day"], row["data__category"]
        metrics[day][(name, "")] = metrics[day].get((name, ""), 0) + row["n"]
        if name in CATEGORY_METRICS and category is not None:
            key = (name, f"category:{category}")
            metrics[day][key] = metrics[day].get(key, 0) + row["n"]

    return metrics


def _insert_active_members(first: date, last: date) -> None:
    """One ``DailyActiveMember`` row per member and day of the span, written by the
    database in one ``INSERT … SELECT … GROUP BY``: members are too many to pass through
    Python (most of a rebuild's time went there). Any event makes a member active, and so
    does a signed-in page view (which contributes nothing)."""
    span = {"created_at__gte": _start(first), "created_at__lt": _start(last + timedelta(days=1))}
    contribution = Case(When(verb__in=CONTRIBUTION_VERBS, then=Value(1)), default=Value(0))
    events = (
        _by_day(ActivityEvent.objects.filter(**span, actor__isnull=False))
        .annotate(member=F("actor_id"), c=contribution)
        .values_list("day", "member", "c")
    )
    views = (
        _by_day(PageView.objects.filter(**span, user__isnull=False))
        .annotate(member=F("user_id"), c=Value(0))
        .values_list("day", "member", "c")
    )
    events_sql, events_params = events.query.sql_with_params()
    views_sql, views_params = views.query.sql_with_params()
    table = connection.ops.quote_name(DailyActiveMember._meta.db_table)
    # Only the table name and Django's own compiled SQL are formatted in; values are
    # parameters.
    sql = (
        f"INSERT INTO {table} (day, member_id, contributions) "  # noqa: S608
        f'SELECT "day", "member", SUM("c") FROM ({events_sql} UNION ALL {views_sql}) active '
        'GROUP BY "day", "member"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*events_params, *views_params))


def _write_span(first: date, last: date, metrics: dict[date, dict[tuple[str, str], int]]) -> None:
    """Replace the span's aggregates, in one transaction: a reader sees the old days or
    the new ones. DAU and contributors are counted from the member rows just written."""
    with transaction.atomic():
        DailyMetric.objects.filter(day__range=(first, last)).exclude(
            metric__in=WINDOW_METRICS
        ).delete()
        DailyActiveMember.objects.filter(day__range=(first, last)).delete()
        _insert_active_members(first, last)
        per_day = (
            DailyActiveMember.objects.filter(day__range=(first, last))
            .values("day")
            .annotate(dau=Count("id"), contributors=Count("id", filter=Q(contributions__gt=0)))
        )
        for row in per_day:
            metrics[row["day"]][("dau", "")] = row["dau"]
            metrics[row["day"]][("contributors", "")] = row["contributors"]
        DailyMetric.objects.bulk_create(
            [
                DailyMetric(day=day, metric=metric, dimension=dimension, value=value)
                for day in sorted(metrics)
                for (metric, dimension), value in sorted(metrics[day].items())
            ],
            batch_size=1000,
        )


def _write_windows(day: date) -> None:
    """WAU and MAU of ``day``: distinct members in the 7 and 30 day-rows ending on it."""
    counts = DailyActiveMember.objects.filter(
        day__gt=day - timedelta(days=WINDOWS["mau"]), day__lte=day
    ).aggregate(
        mau=Count("member_id", distinct=True),
        wau=Count(
            "member_id", distinct=True, filter=Q(day__gt=day - timedelta(days=WINDOWS["wau"]))
        ),
    )
    with transaction.atomic():
        DailyMetric.objects.filter(day=day, metric__in=WINDOW_METRICS).delete()
        DailyMetric.objects.bulk_create(
            [
                DailyMetric(day=day, metric=metric, value=counts[metric])
                for metric in WINDOW_METRICS
                if counts[metric]
            ]
        )


def _runs(days: list[date]) -> Iterable[tuple[date, date]]:
    """Sorted days as (first, last) spans of consecutive days, at most SPAN_DAYS long."""
    first = previous = None
    for day in days:
        if first is not None and (day - previous).days == 1 and (day - first).days < SPAN_DAYS:
            previous = day
            continue
        if first is not None:
            yield first, previous
        first = previous = day
    if first is not None:
        yield first, previous


def rollup(days: Iterable[date]) -> int:
    """Recompute the given UTC days from the raw log, then WAU and MAU of every day they
    affect (up to today). Returns how many days were recomputed."""
    days = sorted(set(days))
    for first, last in _runs(days):
        _write_span(first, last, _compute(first, last))
    today = timezone.now().astimezone(UTC).date()
    affected = {
        day + timedelta(days=offset)
        for day in days
        for offset in range(WINDOWS["mau"])
        if day + timedelta(days=offset) <= today
    }
    for day in sorted(affected):
        _write_windows(day)
    return len(days)


def _log_days() -> tuple[date, date] | None:
    """The first and last UTC day of anything in the raw log."""
    bounds = [
        ActivityEvent.objects.order_by().aggregate(a=Min("created_at"), b=Max("created_at")),
        PageView.objects.order_by().aggregate(a=Min("created_at"), b=Max("created_at")),
    ]
    starts = [b["a"] for b in bounds if b["a"]]
    ends = [b["b"] for b in bounds if b["b"]]
    if not starts:
        return None
    return _utc_day(min(starts)), _utc_day(max(ends))


def rebuild() -> int:
    """Recompute every day from the first event to today, and drop aggregates of days
    outside that range. Also moves the watermark, as everything seen is now counted."""
    watermark = _max_ids()
    bounds = _log_days()
    today = timezone.now().astimezone(UTC).date()
    if bounds is None:
        DailyMetric.objects.all().delete()
        DailyActiveMember.objects.all().delete()
        support_rollup.refresh()
        _save_watermark(watermark)
        return 0
    first, last = bounds[0], max(bounds[1], today)
    DailyMetric.objects.exclude(day__range=(first, last)).delete()
    DailyActiveMember.objects.exclude(day__range=(first, last)).delete()
    count = rollup(first + timedelta(days=n) for n in range((last - first).days + 1))
    support_rollup.refresh()
    _save_watermark(watermark)
    return count


def _max_ids() -> tuple[int, int]:
    return (
        ActivityEvent.objects.order_by().aggregate(m=Max("id"))["m"] or 0,
        PageView.objects.order_by().aggregate(m=Max("id"))["m"] or 0,
    )


def _save_watermark(ids: tuple[int, int]) -> None:
    RollupState.objects.update_or_create(
        name=STATE, defaults={"last_event_id": ids[0], "last_pageview_id": ids[1]}
    )


def late_days(since: tuple[int, int], until: tuple[int, int]) -> set[date]:
    """UTC days of events and page views with ids in (since, until]: new rows, whatever
    day they belong to (a backdated import, a buffered page view)."""
    days: set[date] = set()
    for model, low, high in (
        (ActivityEvent, since[0], until[0]),
        (PageView, since[1], until[1]),
    ):
        if high > low:
            rows = _by_day(model.objects.filter(id__gt=low, id__lte=high))
            days.update(rows.values_list("day", flat=True).distinct())
    return days


def rollup_recent() -> int:
    """The incremental run: yesterday, today and every day that received late rows since
    the last run. The watermark is read before computing, so rows written meanwhile are
    picked up by the next run."""
    state = RollupState.objects.filter(name=STATE).first()
    since = (state.last_event_id, state.last_pageview_id) if state else (0, 0)
    until = _max_ids()
    today = timezone.now().astimezone(UTC).date()
    days = {today, today - timedelta(days=1)} | late_days(since, until)
    count = rollup(days)
    support_rollup.refresh_touched(since[0], until[0])
    _save_watermark(until)
    return count
