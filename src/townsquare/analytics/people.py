"""The People page: who carries the community, who is rising, who is slipping away.

Every table is read from the per-member aggregates in one grouped query — the period's
whole months from the monthly rows (MonthlyActiveMember, MonthlyMemberCredit), the days
cut at its ends from the daily ones (DailyActiveMember, DailyMemberCredit), as
analytics.spans splits it — plus one query for the members it names: a fixed number of
queries whatever the size of the community. Members are matched to the aggregates by id inside
the query, so a deleted member (whose row is gone) is never shown, and never leaves a
hole in a top list either. docs/metrics.md ("People") states every rule.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import Case, DateField, F, Q, QuerySet, Value, When
from django.db.models.expressions import Expression, RawSQL
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models import Role, User
from townsquare.analytics import rollups, spans
from townsquare.analytics.models import (
    DailyActiveMember,
    DailyMemberCredit,
    MemberCredits,
    MonthlyActiveMember,
    MonthlyMemberCredit,
)
from townsquare.analytics.periods import WARM_DAYS, Period

#: Rows in each table.
TOP = 20
#: "Rising": members who joined at most this many days before the period's end.
RISING_JOINED_DAYS = 183
#: "At risk": at least this many contributions in the days before the period ...
AT_RISK_MIN_CONTRIBUTIONS = 5
AT_RISK_LOOKBACK_DAYS = 90
#: Advisory board: a member for at least this long, active in at least this many of the
#: last 12 calendar months, with at least this many credits (accepted answers + helpful
#: reactions received) in them.
ADVISORY_MIN_DAYS = 183
ADVISORY_MIN_MONTHS = 9
ADVISORY_MIN_CREDITS = 3
ADVISORY_MONTHS = 12


@dataclass
class PersonRow:
    """A line of a People table: a member and the figures of the table's columns."""

    member: User
    figures: list[object] = field(default_factory=list)


@dataclass
class Table:
    key: str
    caption: Promise
    definition: Promise
    columns: list[Promise]
    rows: list[PersonRow]


def _joined_before(day: date) -> datetime:
    """The start of the UTC day after ``day``: joined before it = joined on ``day`` or
    earlier (a plain comparison, which an index can serve)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def _existing(members: QuerySet | None = None):
    """Ids of members that still exist (a subquery): deleted ones are gone from it."""
    return (members if members is not None else User.objects.all()).values("pk")


#: A table's ranking: (member id, figures), best first.
Ranked = list[tuple[int, list[object]]]


def _named(ranked: Ranked, members: dict[int, User] | None = None) -> list[PersonRow]:
    """The ranked ``(member id, figures)`` with their members (read in one query unless
    given); a member deleted since the ranking was made is left out."""
    if members is None:
        members = User.objects.in_bulk([pk for pk, _figures in ranked])
    return [PersonRow(members[pk], figures) for pk, figures in ranked if pk in members]


def _activity(
    period: Period,
    members: QuerySet | RawSQL | None = None,
    *,
    contributing: bool = True,
    tag: int = 0,
) -> list[QuerySet]:
    """Activity over the period, as rows (who, tag, c, d, last, mon): the member, ``tag``
    (which of two periods read together a row belongs to), contributions, days with a
    contribution, the last of them, and the calendar month. Whole months come from the
    monthly rows, the cut months from the daily ones (analytics.spans); a member may have
    several rows. ``contributing``: only rows with a contribution (most rows are visits,
    left unread); ``members``: only theirs (read by the member index)."""
    only = Q(member_id__in=members) if members is not None else Q()
    if contributing:
        only &= Q(contributions__gt=0)

    def read(rows: QuerySet, **columns: Expression) -> QuerySet:
        return (
            rows.order_by()
            .filter(only)
            .annotate(who=F("member_id"), tag=Value(tag), c=F("contributions"), **columns)
            .values_list("who", "tag", "c", "d", "last", "mon")
        )

    return spans.rows(
        period,
        lambda span: read(
            DailyActiveMember.objects.filter(day__range=(span.start, span.end)),
            d=Case(When(contributions__gt=0, then=Value(1)), default=Value(0)),
            last=Case(When(contributions__gt=0, then=F("day"))),
            mon=Value(span.month, output_field=DateField()),
        ),
        lambda span: read(
            MonthlyActiveMember.objects.filter(month__range=(span.start, span.end)),
            d=F("contributing_days"),
            last=F("last_contribution"),
            mon=F("month"),
        ),
    )


def _credits(period: Period) -> list[QuerySet]:
    """Credits over the period, as rows (who, a, h): the member, accepted answers,
    helpful reactions; whole months from the monthly rows."""

    def read(model: type[MemberCredits], **span: tuple[date, date]) -> QuerySet:
        return (
            model.objects.order_by()
            .filter(**span)
            .annotate(who=F("member_id"), a=F("accepted_answers"), h=F("helpful_reactions"))
            .values_list("who", "a", "h")
        )

    return spans.rows(
        period,
        lambda span: read(DailyMemberCredit, day__range=(span.start, span.end)),
        lambda span: read(MonthlyMemberCredit, month__range=(span.start, span.end)),
    )


#: A piece of SQL: a query, queries read together (UNION ALL), or SQL and its parameters.
Part = QuerySet | list[QuerySet] | tuple[str, list]


def _compose(template: str, *params: object, **parts: Part) -> tuple[str, list]:
    """``template`` with each ``{name}`` replaced by the SQL of ``parts[name]``; the
    parameters, the parts' and the template's own (``%s``, taken from ``params`` in
    turn), in the order they appear."""
    compiled = {
        name: part
        if isinstance(part, tuple)
        else spans.union(part if isinstance(part, list) else [part])
        for name, part in parts.items()
    }
    values = iter(params)
    ordered = []
    for token in re.finditer(r"\{(\w+)\}|%s", template):
        if token[1]:
            ordered += compiled[token[1]][1]
        else:
            ordered.append(next(values))
    return template.format(**{name: sql for name, (sql, _params) in compiled.items()}), ordered


def _fetch(template: str, *params: object, **parts: Part) -> list[tuple]:
    """The rows of the composed SQL (``_compose``)."""
    sql, ordered = _compose(template, *params, **parts)
    with connection.cursor() as cursor:
        # Only Django's compiled SQL is formatted in; values are parameters.
        cursor.execute(sql, ordered)
        return cursor.fetchall()


def _top_contributors(period: Period) -> Ranked:
    """Most contributions (topics, replies, reactions, poll votes) in the period; figures:
    contributions, days with a contribution."""
    rows = _fetch(
        # Members are matched after grouping: one lookup per member, not per row.
        "SELECT who, total, days FROM (SELECT who, SUM(c) AS total, SUM(d) AS days "
        "FROM ({rows}) r GROUP BY who) g WHERE who IN ({members}) "
        "ORDER BY total DESC, days DESC, who LIMIT %s",
        TOP,
        rows=_activity(period),
        members=_existing(),
    )
    return [(pk, [int(total), int(days)]) for pk, total, days in rows]


def _rising_members(period: Period) -> Ranked:
    """Members who joined in the last ~6 months and contributed more in the period than
    in the previous one; figures: now, before, increase."""
    joined_after = period.end - timedelta(days=RISING_JOINED_DAYS)
    recent = _existing(User.objects.filter(date_joined__gte=_joined_before(joined_after)))
    rows = _fetch(
        "SELECT who, cur, prev FROM (SELECT who, "
        "SUM(CASE WHEN tag = 1 THEN c ELSE 0 END) AS cur, "
        "SUM(CASE WHEN tag = 0 THEN c ELSE 0 END) AS prev "
        "FROM ({rows}) r WHERE who IN ({members}) GROUP BY who) g "
        "WHERE cur > prev ORDER BY cur - prev DESC, cur DESC, who LIMIT %s",
        TOP,
        rows=_activity(period, tag=1) + _activity(period.previous()),
        members=recent,
    )
    return [(pk, [int(now), int(then), int(now - then)]) for pk, now, then in rows]


def _super_users(period: Period) -> Ranked:
    """Most answers accepted, then most helpful reactions received, in the period;
    figures: accepted answers, helpful reactions."""
    rows = _fetch(
        "SELECT who, accepted, helpful FROM (SELECT who, SUM(a) AS accepted, "
        "SUM(h) AS helpful FROM ({rows}) r GROUP BY who) g "
        "WHERE (accepted > 0 OR helpful > 0) AND who IN ({members}) "
        "ORDER BY accepted DESC, helpful DESC, who LIMIT %s",
        TOP,
        rows=_credits(period),
        members=_existing(),
    )
    return [(pk, [int(accepted), int(helpful)]) for pk, accepted, helpful in rows]


def _at_risk(period: Period) -> Ranked:
    """Members with at least 5 contributions in the 90 days before the period and none in
    it (they may still read); figures: contributions before, last day they contributed."""
    before = Period(
        period.start - timedelta(days=AT_RISK_LOOKBACK_DAYS), period.start - timedelta(days=1)
    )
    rows = _fetch(
        # Only rows with a contribution are read: "none in the period" is "no row in it",
        # an anti-join rather than a sum. The candidates are grouped once, MATERIALIZED:
        # inlined, PostgreSQL's parallel plan grouped them again in every worker.
        "WITH g AS MATERIALIZED (SELECT who, SUM(c) AS earlier, MAX(last) AS last "
        "FROM ({before}) r GROUP BY who HAVING SUM(c) >= %s) "
        "SELECT who, earlier, last FROM g "
        "WHERE who IN ({members}) AND NOT EXISTS (SELECT 1 FROM ({now}) n WHERE n.who = g.who) "
        "ORDER BY earlier DESC, who LIMIT %s",
        AT_RISK_MIN_CONTRIBUTIONS,
        TOP,
        before=_activity(before),
        members=_existing(),
        now=_activity(period),
    )
    return [(pk, [int(then), rollups._as_date(last)]) for pk, then, last in rows]


def _year(end: date) -> Period:
    """The 12 calendar months ending with the month of ``end`` (the last one cut at it)."""
    first = end.replace(day=1)
    for _month in range(ADVISORY_MONTHS - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return Period(first, end)


def _advisory_candidates(period: Period) -> Ranked:
    """Members (not moderators, managers or admins) for at least 6 months, active in at
    least 9 of the last 12 calendar months, with at least 3 credits (accepted answers and
    helpful reactions received) in those months; most credits first. Figures: months
    active, credits, contributions.

    The credits are few (a small table), so they choose the members first; only those
    members' activity is then read (by the member indexes), the year's whole months from
    the monthly rows. One query, and one for the members."""
    year = _year(period.end)
    eligible = User.objects.filter(
        role=Role.MEMBER,
        is_active=True,
        date_joined__lt=_joined_before(period.end - timedelta(days=ADVISORY_MIN_DAYS)),
    )
    credited = _compose(
        "SELECT who, SUM(a + h) AS credits FROM ({rows}) r WHERE who IN ({members}) "
        "GROUP BY who HAVING SUM(a + h) >= %s",
        ADVISORY_MIN_CREDITS,
        rows=_credits(year),
        members=_existing(eligible),
    )
    members = RawSQL(f"SELECT who FROM ({credited[0]}) k", credited[1])  # noqa: S608, S611
    rows = _fetch(
        "SELECT g.who, g.months, k.credits, g.total FROM (SELECT who, "
        "COUNT(DISTINCT mon) AS months, SUM(c) AS total FROM ({rows}) r GROUP BY who "
        "HAVING COUNT(DISTINCT mon) >= %s) g JOIN ({credited}) k ON k.who = g.who "
        "ORDER BY k.credits DESC, g.months DESC, g.total DESC, g.who LIMIT %s",
        ADVISORY_MIN_MONTHS,
        TOP,
        rows=_activity(year, members, contributing=False),
        credited=credited,
    )
    return [(pk, [int(months), int(credits), int(total)]) for pk, months, credits, total in rows]


def _layout() -> list[tuple[str, Promise, Promise, list[Promise], str]]:
    """The tables in order: key, caption, definition, columns, ranking function."""
    return [
        (
            "top",
            _("Top contributors"),
            _("Most contributions (topics, replies, reactions, poll votes) in the period."),
            [_("Contributions"), _("Days contributing")],
            "top_contributors",
        ),
        (
            "rising",
            _("Rising members"),
            _(
                "Members who joined in the last 6 months, by how many more contributions they"
                " made than in the previous period."
            ),
            [_("This period"), _("Previous period"), _("Increase")],
            "rising_members",
        ),
        (
            "super",
            _("Super users"),
            _(
                "Most accepted answers, then most helpful reactions (like, thanks,"
                " insightful) received, in the period."
            ),
            [_("Accepted answers"), _("Helpful reactions")],
            "super_users",
        ),
        (
            "at_risk",
            _("Members at risk"),
            _("At least 5 contributions in the 90 days before the period and none in it."),
            [_("Contributions in the 90 days before"), _("Last contribution")],
            "at_risk",
        ),
        (
            "advisory",
            _("Advisory board candidates"),
            _(
                "Members (not staff) for at least 6 months, active in at least 9 of the last"
                " 12 months, with at least 3 accepted answers and helpful reactions in them."
            ),
            [_("Months active"), _("Credits"), _("Contributions")],
            "advisory_candidates",
        ),
    ]


def top_contributors(period: Period) -> list[PersonRow]:
    return _named(_top_contributors(period))


def rising_members(period: Period) -> list[PersonRow]:
    return _named(_rising_members(period))


def super_users(period: Period) -> list[PersonRow]:
    return _named(_super_users(period))


def at_risk(period: Period) -> list[PersonRow]:
    return _named(_at_risk(period))


def advisory_candidates(period: Period) -> list[PersonRow]:
    return _named(_advisory_candidates(period))


def _whole(period: Period) -> str:
    return f"{period.start}:{period.end}"


def _end(period: Period) -> str:
    return str(period.end)


#: Each table's ranking function, and what of the period it reads, which names its cached
#: ranking: the advisory table reads the 12 months up to the period's end only, so every
#: period that ends on the same day (the usual ones all end today) shares it.
_RANKERS: dict[str, tuple[Callable[[Period], Ranked], Callable[[Period], str]]] = {
    "top_contributors": (_top_contributors, _whole),
    "rising_members": (_rising_members, _whole),
    "super_users": (_super_users, _whole),
    "at_risk": (_at_risk, _whole),
    "advisory_candidates": (_advisory_candidates, _end),
}


def ranking_key(name: str, period: Period, version: str) -> str:
    """The cache key of a table's ranking for the period, at a version of the aggregates
    (``rollups.member_rows_version``)."""
    return f"analytics:people:{name}:{_RANKERS[name][1](period)}:{version}"


def rankings(period: Period) -> dict[str, Ranked]:
    """Every table's ranking, each cached until the rollup next changes the aggregates: at
    100,000 members a period's rankings take seconds (docs/performance.md), while the
    rollup changes them once an hour. The hourly job warms the usual periods'."""
    version = rollups.member_rows_version()
    keys = {name: ranking_key(name, period, version) for name in _RANKERS}
    found = cache.get_many(list(keys.values()))
    computed = {key: _RANKERS[name][0](period) for name, key in keys.items() if key not in found}
    if computed:
        cache.set_many(computed, rollups.MEMBER_ROWS_CACHE_SECONDS)
    return {name: found[key] if key in found else computed[key] for name, key in keys.items()}


def tables(period: Period) -> list[Table]:
    """Every table of the People page, in order; the members they name are read in one
    query (so one deleted since the rankings were cached is not shown)."""
    ranked = rankings(period)
    members = User.objects.in_bulk({pk for rows in ranked.values() for pk, _f in rows})
    return [
        Table(key, caption, definition, columns, _named(ranked[name], members))
        for key, caption, definition, columns, name in _layout()
    ]


def warm(today: date) -> None:
    """Compute the rankings of the usual periods ending today into the cache: a year's
    take seconds cold at 100,000 members (docs/performance.md)."""
    for days in WARM_DAYS:
        rankings(Period.ending(today, days))
