"""Turning the activity log and page views into daily aggregates (analytics.models).

A day is a UTC calendar day. Each day is recomputed whole from the raw rows — its old
aggregates deleted and the new ones inserted in one transaction — so a rollup is
idempotent: running it twice leaves the same rows, and a late event is counted in the day
it happened once that day is rolled up again. The incremental run finds such days by an id
watermark (events with an id above the last one seen whose day is older).

WAU and MAU are distinct counts over the 7 and 30 day-rows of ``DailyActiveMember`` ending
on a day, so a change to one day also recomputes them for the 29 days after it.

Every month a recomputed day falls in gets its ``MonthlyActiveMember`` and
``MonthlyMemberCredit`` rows again (the month's daily member and credit rows summed).
``MemberTenure`` (join, last activity, leaving: one row per member) is rewritten whole by a
rebuild or a run over chosen days; the incremental run rewrites only the rows of the members
its days may have changed (see ``_write_tenure``). ``RetentionCohort`` (a few hundred rows)
is rewritten whole at the end of each run.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, models, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateField,
    F,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, NullIf, TruncDate, TruncMonth
from django.utils import timezone

from townsquare.analytics import events_rollup, support_rollup
from townsquare.analytics.models import (
    DailyActiveMember,
    DailyMemberCredit,
    DailyMetric,
    DailyTopic,
    DailyTopicParticipant,
    MemberTenure,
    MonthlyActiveMember,
    MonthlyMemberCredit,
    RetentionCohort,
    RollupState,
)
from townsquare.core.models import ActivityEvent, PageView
from townsquare.surveys import actions as survey_actions

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
#: Reactions that credit the post's author as helpful (the super users' table); a laugh
#: or "looking" says nothing about help.
HELPFUL_REACTIONS = ("like", "thanks", "insightful")


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


def _credits(first: date, last: date) -> list[DailyMemberCredit]:
    """Per author and day: their answers accepted and the helpful reactions to their
    posts, from the events' ``author`` (events recorded before it was added lack it and
    credit no one). A later change of the accepted answer or a withdrawn reaction does not
    take the credit back: the day it was given stays as it was."""
    span = {"created_at__gte": _start(first), "created_at__lt": _start(last + timedelta(days=1))}
    given = (
        _by_day(ActivityEvent.objects.filter(**span, data__author__isnull=False))
        .filter(
            Q(verb="answer.accepted") | Q(verb="post.reacted", data__kind__in=HELPFUL_REACTIONS)
        )
        .values("day", "data__author")
        .annotate(
            accepted=Count("id", filter=Q(verb="answer.accepted")),
            helpful=Count("id", filter=Q(verb="post.reacted")),
        )
    )
    return [
        DailyMemberCredit(
            day=row["day"],
            member_id=int(row["data__author"]),
            accepted_answers=row["accepted"],
            helpful_reactions=row["helpful"],
        )
        for row in given
        if row["data__author"] is not None  # a post by a former member
    ]


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
        _write_topics(first, last)
        DailyMemberCredit.objects.filter(day__range=(first, last)).delete()
        DailyMemberCredit.objects.bulk_create(_credits(first, last), batch_size=1000)


def _target_pk() -> Cast:
    """The event's target id as a number (None when it has none)."""
    return Cast(NullIf("target_id", Value("")), BigIntegerField())


def _write_topics(first: date, last: date) -> None:
    """Per topic and day of the span: replies (``post.created``, whose data names the
    topic), first entries by members (``topic.entered``, whose target is the topic) and
    the members who wrote in it (its opening post or a reply). Few rows per day: one per
    topic touched, one per writer and topic."""
    span = {"created_at__gte": _start(first), "created_at__lt": _start(last + timedelta(days=1))}
    events = _by_day(ActivityEvent.objects.filter(**span))
    topics: dict[tuple[date, int], DailyTopic] = {}

    def row(day: date, topic: int, category: int | None) -> DailyTopic:
        found = topics.get((day, topic))
        if found is None:
            found = topics[(day, topic)] = DailyTopic(day=day, topic_id=topic)
        if found.category_id is None and isinstance(category, int):
            found.category_id = category
        return found

    replies = events.filter(verb="post.created", data__topic__isnull=False)
    for day, topic, category, n in replies.values_list(
        "day", "data__topic", "data__category"
    ).annotate(n=Count("id")):
        if isinstance(topic, int):
            row(day, topic, category).replies += n
    entered = events.filter(verb="topic.entered").annotate(topic=_target_pk())
    for day, topic, category, n in entered.values_list("day", "topic", "data__category").annotate(
        n=Count("id")
    ):
        if topic is not None:
            row(day, topic, category).views += n
    writers = set(
        replies.filter(actor__isnull=False).values_list("day", "data__topic", "actor_id").distinct()
    ) | set(
        events.filter(verb="topic.created", actor__isnull=False)
        .annotate(topic=_target_pk())
        .values_list("day", "topic", "actor_id")
        .distinct()
    )
    DailyTopic.objects.filter(day__range=(first, last)).delete()
    DailyTopicParticipant.objects.filter(day__range=(first, last)).delete()
    DailyTopic.objects.bulk_create(topics.values(), batch_size=1000)
    DailyTopicParticipant.objects.bulk_create(
        [
            DailyTopicParticipant(day=day, topic_id=topic, member_id=member)
            for day, topic, member in sorted(w for w in writers if isinstance(w[1], int))
        ],
        batch_size=1000,
    )


def _month(day: date) -> date:
    return day.replace(day=1)


def _month_end(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _execute(sql: str, params: Iterable) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, tuple(params))


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _write_month(month: date) -> None:
    """The month's ``MonthlyActiveMember`` and ``MonthlyMemberCredit`` rows: its daily
    member and credit rows summed, each in one ``INSERT … SELECT … GROUP BY member``
    (members are too many to pass through Python)."""
    span = {"day__range": (month, _month_end(month))}
    contributed = Q(contributions__gt=0)
    active = (
        DailyActiveMember.objects.filter(**span)
        .order_by()
        .values("member_id")
        .annotate(
            m=Value(month, output_field=DateField()),
            c=Sum("contributions"),
            n=Count("id"),
            last=Max("day"),
            days=Count("id", filter=contributed),
            last_contribution=Max("day", filter=contributed),
        )
        .values_list("m", "member_id", "c", "n", "last", "days", "last_contribution")
    )
    credits = (
        DailyMemberCredit.objects.filter(**span)
        .order_by()
        .values("member_id")
        .annotate(
            m=Value(month, output_field=DateField()),
            a=Sum("accepted_answers"),
            h=Sum("helpful_reactions"),
        )
        .values_list("m", "member_id", "a", "h")
    )
    active_sql, active_params = active.query.sql_with_params()
    credits_sql, credits_params = credits.query.sql_with_params()
    with transaction.atomic():
        MonthlyActiveMember.objects.filter(month=month).delete()
        MonthlyMemberCredit.objects.filter(month=month).delete()
        _execute(
            f"INSERT INTO {_table(MonthlyActiveMember)} (month, member_id, contributions, "
            f"active_days, last_day, contributing_days, last_contribution) {active_sql}",
            active_params,
        )
        _execute(
            f"INSERT INTO {_table(MonthlyMemberCredit)} "
            f"(month, member_id, accepted_answers, helpful_reactions) {credits_sql}",
            credits_params,
        )


#: The verbs whose actor or target is the member a tenure row is about.
TENURE_VERBS = ("member.signed_up", "member.deleted")
#: The temporary table of the members an incremental run rewrites the tenure of.
_CHANGED = "analytics_tenure_changed"


def _in_days(days: list[date]) -> Q:
    """Events of the given UTC days (one range per run of consecutive days)."""
    spans = Q()
    for first, last in _runs(days):
        spans |= Q(created_at__gte=_start(first), created_at__lt=_start(last + timedelta(days=1)))
    return spans


def _write_tenure(days: list[date] | None = None) -> None:
    """Every member's join day (their ``member.signed_up`` event: the actor, or the target
    once a deleted member's own events have lost their actor), last active day (from the
    monthly rows) and leaving day (``member.deleted``, whose target is the member), in one
    ``INSERT … SELECT`` over the three sources.

    With ``days`` (the incremental run), only the rows of the members those days may have
    changed are written again (``_rewrite_changed``); the others stay as the previous run
    left them, which is what a whole rewrite would give them."""
    # Typed, or PostgreSQL reads a bare NULL column of a UNION branch as text.
    none = Cast(Value(None), DateField())
    joins = (
        _by_day(ActivityEvent.objects.filter(verb="member.signed_up"))
        .annotate(
            member=Coalesce(F("actor_id"), _target_pk()),
            a=F("day"),
            b=none,
            c=none,
            m=TruncMonth("created_at", tzinfo=UTC, output_field=DateField()),
        )
        .values_list("member", "a", "b", "c", "m")
    )
    leaves = (
        _by_day(ActivityEvent.objects.filter(verb="member.deleted"))
        .annotate(member=_target_pk(), a=none, b=none, c=F("day"), m=none)
        .values_list("member", "a", "b", "c", "m")
    )
    with transaction.atomic():
        if days is not None:
            _rewrite_changed(days, joins, leaves)
            return
        active = (
            MonthlyActiveMember.objects.order_by()
            .annotate(member=F("member_id"), a=none, b=F("last_day"), c=none, m=none)
            .values_list("member", "a", "b", "c", "m")
        )
        MemberTenure.objects.all().delete()
        _insert_tenure([query.query.sql_with_params() for query in (joins, active, leaves)])


def _insert_tenure(parts: list[tuple[str, Iterable]]) -> None:
    """Tenure rows from (member, joined, last active, left, joined month) rows: one per
    member named with something to say (not, say, only as the admin who deleted someone)."""
    union = " UNION ALL ".join(sql for sql, _params in parts)
    _execute(
        f"INSERT INTO {_table(MemberTenure)} "  # noqa: S608 — compiled by Django
        "(member_id, joined_day, last_active_day, left_day, joined_month) "
        'SELECT "member", MIN("a"), MAX("b"), MIN("c"), MIN("m") FROM '
        f'({union}) tenure WHERE "member" IS NOT NULL GROUP BY "member" '
        'HAVING MIN("a") IS NOT NULL OR MAX("b") IS NOT NULL OR MIN("c") IS NOT NULL',
        [param for _sql, params in parts for param in params],
    )


def _rewrite_changed(days: list[date], joins: models.QuerySet, leaves: models.QuerySet) -> None:
    """The tenure rows of the members whose tenure the recomputed ``days`` may have
    changed: those active on them, those whose last active day was one of them (an erased
    actor can take that day away), and the actors and targets of their sign-ups and
    deletions. Their reads grow with them, not with the community:

    * join and leaving: the old row's, with the sign-ups and deletions of ``days`` (the log
      is append-only, and the watermark brings every new event's day into ``days``);
    * last active day: one probe per member of the daily rows' (member, day) index (the
      latest of their monthly rows' last days, which are the daily rows summed).

    The members, with their old join and leaving, go through a temporary table: their old
    rows are deleted before the new ones are written."""
    events = ActivityEvent.objects.order_by().filter(_in_days(days), verb__in=TENURE_VERBS)
    named = [
        DailyActiveMember.objects.filter(day__in=days).annotate(member=F("member_id")),
        MemberTenure.objects.filter(last_active_day__in=days).annotate(member=F("member_id")),
        events.filter(actor__isnull=False).annotate(member=F("actor_id")),
        events.annotate(member=_target_pk()).filter(member__isnull=False),
    ]
    compiled = [query.order_by().values_list("member").query.sql_with_params() for query in named]
    tenure, daily = _table(MemberTenure), _table(DailyActiveMember)
    _execute(f"DROP TABLE IF EXISTS {_CHANGED}", ())
    _execute(
        f"CREATE TEMPORARY TABLE {_CHANGED} (member_id bigint PRIMARY KEY, "
        "joined_day date, joined_month date, left_day date)",
        (),
    )
    _execute(
        f'INSERT INTO {_CHANGED} SELECT n."member", t.joined_day, t.joined_month, t.left_day '  # noqa: S608
        f"FROM ({' UNION '.join(sql for sql, _params in compiled)}) n "
        f'LEFT JOIN {tenure} t ON t.member_id = n."member"',
        [param for _sql, params in compiled for param in params],
    )
    _execute(f"DELETE FROM {tenure} WHERE member_id IN (SELECT member_id FROM {_CHANGED})", ())  # noqa: S608
    in_days = _in_days(days)
    _insert_tenure(
        [
            joins.filter(in_days).query.sql_with_params(),
            leaves.filter(in_days).query.sql_with_params(),
            (
                f"SELECT c.member_id, c.joined_day, (SELECT MAX(d.day) FROM {daily} d "  # noqa: S608
                f"WHERE d.member_id = c.member_id), c.left_day, c.joined_month FROM {_CHANGED} c",
                (),
            ),
        ]
    )
    _execute(f"DROP TABLE {_CHANGED}", ())


def _write_cohorts() -> None:
    """Retention by join month: each cohort's size, and how many of it were active in
    each later month (one grouped join of the monthly rows with the join months)."""
    sizes = (
        MemberTenure.objects.filter(joined_month__isnull=False)
        .values_list("joined_month")
        .annotate(n=Count("member_id"))
        .order_by()
    )
    monthly, tenure = _table(MonthlyActiveMember), _table(MemberTenure)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.joined_month, m.month, COUNT(*) FROM {monthly} m "  # noqa: S608
            f"JOIN {tenure} t ON t.member_id = m.member_id "
            "WHERE m.month > t.joined_month GROUP BY t.joined_month, m.month"
        )
        later = cursor.fetchall()
    cohorts = [RetentionCohort(joined_month=month, months_after=0, members=n) for month, n in sizes]
    for joined, month, n in later:
        joined, month = _as_date(joined), _as_date(month)
        after = (month.year - joined.year) * 12 + month.month - joined.month
        cohorts.append(RetentionCohort(joined_month=joined, months_after=after, members=n))
    with transaction.atomic():
        RetentionCohort.objects.all().delete()
        RetentionCohort.objects.bulk_create(cohorts, batch_size=1000)


def _as_date(value: date | str) -> date:
    """A date from a raw query: SQLite answers text."""
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


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


def rollup(days: Iterable[date], *, incremental: bool = False) -> int:
    """Recompute the given UTC days from the raw log, then WAU and MAU of every day they
    affect (up to today). Returns how many days were recomputed.

    ``incremental``: the member tables are up to date but for these days (the hourly
    run), so only the tenure rows of the members the days may have changed are written."""
    days = sorted(set(days))
    for first, last in _runs(days):
        _write_span(first, last, _compute(first, last))
    for month in sorted({_month(day) for day in days}):
        _write_month(month)
    if days:
        _write_tenure(days if incremental else None)
        _write_cohorts()
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


_DAILY = (DailyMetric, DailyActiveMember, DailyMemberCredit, DailyTopic, DailyTopicParticipant)
_MONTHLY = (MonthlyActiveMember, MonthlyMemberCredit)
_WHOLE = (MemberTenure, RetentionCohort)


def rebuild() -> int:
    """Recompute every day from the first event to today, and drop aggregates of days
    outside that range. Also moves the watermark, as everything seen is now counted, and
    gives every month of survey answers a new stamp (the satisfaction trend's cache)."""
    watermark = _max_ids()
    survey_actions.restamp_months()
    bounds = _log_days()
    today = timezone.now().astimezone(UTC).date()
    if bounds is None:
        for model in _DAILY + _MONTHLY + _WHOLE:
            model.objects.all().delete()
        support_rollup.refresh()
        events_rollup.refresh()
        _save_watermark(watermark)
        return 0
    first, last = bounds[0], max(bounds[1], today)
    for model in _DAILY:
        model.objects.exclude(day__range=(first, last)).delete()
    for model in _MONTHLY:
        model.objects.exclude(month__range=(_month(first), last)).delete()
    count = rollup(first + timedelta(days=n) for n in range((last - first).days + 1))
    support_rollup.refresh()
    events_rollup.refresh()
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
    count = rollup(days, incremental=True)
    support_rollup.refresh_touched(since[0], until[0])
    events_rollup.refresh_touched(since[0], until[0])
    _save_watermark(until)
    return count


#: How long a figure computed from the per-member rows stays cached under their version
#: (``member_rows_version``): the rollup that next rewrites them changes the key anyway;
#: this only lets the entries of old versions go.
MEMBER_ROWS_CACHE_SECONDS = 2 * 3600


def member_rows_version() -> str:
    """Changes whenever the rollup rewrites the per-member rows (it deletes and inserts,
    so their highest ids move; nothing else writes them): part of the cache key of
    figures computed from them. The monthly tables count too: they are rewritten after the
    days, so a figure computed in between must not outlive them. One query, four reads of
    primary key indexes."""
    tables = (DailyActiveMember, DailyMemberCredit, MonthlyActiveMember, MonthlyMemberCredit)
    highest = ", ".join(
        f"(SELECT MAX(id) FROM {_table(model)})"  # noqa: S608 — quoted table names only
        for model in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {highest}")
        return "-".join(str(pk or 0) for pk in cursor.fetchone())
