"""The People page: who carries the community, who is rising, who is slipping away.

Every table is read from the daily aggregates (DailyActiveMember, DailyMemberCredit) in
one grouped query, plus one query for the members it names: a fixed number of queries
whatever the size of the community. Members are matched to the aggregates by id inside
the query, so a deleted member (whose row is gone) is never shown, and never leaves a
hole in a top list either. docs/metrics.md ("People") states every rule.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models import Role, User
from townsquare.analytics.models import DailyActiveMember, DailyMemberCredit
from townsquare.analytics.periods import DEFAULT_DAYS, Period

#: Rows in each table.
TOP = 20
#: How long a period's rankings stay cached (they are also dropped by the next rollup).
CACHE_SECONDS = 2 * 3600
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


def _sum(expression: str, **filter_kwargs) -> Coalesce:
    return Coalesce(
        Sum(expression, filter=Q(**filter_kwargs) if filter_kwargs else None),
        Value(0),
        output_field=IntegerField(),
    )


def _top_contributors(period: Period) -> Ranked:
    """Most contributions (topics, replies, reactions, poll votes) in the period; figures:
    contributions, days with a contribution."""
    rows = (
        DailyActiveMember.objects.filter(
            day__range=(period.start, period.end),
            contributions__gt=0,
            member_id__in=_existing(),
        )
        .values("member_id")
        .annotate(total=Sum("contributions"), days=Count("id"))
        .order_by("-total", "-days", "member_id")[:TOP]
    )
    return [(row["member_id"], [row["total"], row["days"]]) for row in rows]


def _rising_members(period: Period) -> Ranked:
    """Members who joined in the last ~6 months and contributed more in the period than
    in the previous one; figures: now, before, increase."""
    previous = period.previous()
    joined_after = period.end - timedelta(days=RISING_JOINED_DAYS)
    recent = User.objects.filter(date_joined__gte=_joined_before(joined_after))
    rows = (
        DailyActiveMember.objects.filter(
            # Days without a contribution add nothing: most rows are visits, left unread.
            day__range=(previous.start, period.end),
            contributions__gt=0,
            member_id__in=_existing(recent),
        )
        .values("member_id")
        .annotate(
            now=_sum("contributions", day__gte=period.start),
            then=_sum("contributions", day__lte=previous.end),
        )
        .annotate(rise=F("now") - F("then"))
        .filter(rise__gt=0)
        .order_by("-rise", "-now", "member_id")[:TOP]
    )
    return [(r["member_id"], [r["now"], r["then"], r["rise"]]) for r in rows]


def _super_users(period: Period) -> Ranked:
    """Most answers accepted, then most helpful reactions received, in the period;
    figures: accepted answers, helpful reactions."""
    rows = (
        DailyMemberCredit.objects.filter(
            day__range=(period.start, period.end), member_id__in=_existing()
        )
        .values("member_id")
        .annotate(accepted=Sum("accepted_answers"), helpful=Sum("helpful_reactions"))
        .filter(Q(accepted__gt=0) | Q(helpful__gt=0))
        .order_by("-accepted", "-helpful", "member_id")[:TOP]
    )
    return [(row["member_id"], [row["accepted"], row["helpful"]]) for row in rows]


def _at_risk(period: Period) -> Ranked:
    """Members with at least 5 contributions in the 90 days before the period and none in
    it (they may still read); figures: contributions before, last day they contributed."""
    before = period.start - timedelta(days=AT_RISK_LOOKBACK_DAYS)
    rows = (
        DailyActiveMember.objects.filter(
            # Only days with a contribution: "none in the period" is then "no such row".
            day__range=(before, period.end),
            contributions__gt=0,
            member_id__in=_existing(),
        )
        .values("member_id")
        .annotate(
            then=_sum("contributions", day__lt=period.start),
            now=_sum("contributions", day__gte=period.start),
            last=Max("day"),
        )
        .filter(then__gte=AT_RISK_MIN_CONTRIBUTIONS, now=0)
        .order_by("-then", "member_id")[:TOP]
    )
    return [(row["member_id"], [row["then"], row["last"]]) for row in rows]


def _year(end: date) -> tuple[date, date]:
    """The 12 calendar months ending with the month of ``end`` (the last one cut at it)."""
    first = end.replace(day=1)
    for _month in range(ADVISORY_MONTHS - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, end


def _months(first: date, last: date) -> list[tuple[date, date]]:
    """The calendar months from ``first`` (a first of a month) to ``last``, each cut at it."""
    months = []
    while first <= last:
        following = (first + timedelta(days=32)).replace(day=1)
        months.append((first, min(following - timedelta(days=1), last)))
        first = following
    return months


def _advisory_candidates(period: Period) -> Ranked:
    """Members (not moderators, managers or admins) for at least 6 months, active in at
    least 9 of the last 12 calendar months, with at least 3 credits (accepted answers and
    helpful reactions received) in those months; most credits first. Figures: months
    active, credits, contributions.

    The credits are few (a small table), so they choose the members first; only those
    members' day rows are then read (by the member index), each month marked in one pass
    rather than counted distinct. Two queries, and one for the members."""
    first, last = _year(period.end)
    eligible = User.objects.filter(
        role=Role.MEMBER,
        is_active=True,
        date_joined__lt=_joined_before(period.end - timedelta(days=ADVISORY_MIN_DAYS)),
    )
    credited = (
        DailyMemberCredit.objects.filter(
            day__range=(first, last), member_id__in=_existing(eligible)
        )
        .values("member_id")
        .annotate(credits=Sum(F("accepted_answers") + F("helpful_reactions")))
        .filter(credits__gte=ADVISORY_MIN_CREDITS)
    )
    marks = {
        f"m{n}": Max(Case(When(day__range=month, then=Value(1)), default=Value(0)))
        for n, month in enumerate(_months(first, last))
    }
    active = (
        DailyActiveMember.objects.filter(
            day__range=(first, last), member_id__in=credited.values("member_id")
        )
        .values("member_id")
        .annotate(**marks, total=Sum("contributions"))
        .annotate(months=sum((F(name) for name in marks), Value(0)))
        .filter(months__gte=ADVISORY_MIN_MONTHS)
        .values_list("member_id", "months", "total")
    )
    months = {pk: (count, total) for pk, count, total in active}
    ranked = sorted(
        (-credit, -months[pk][0], -months[pk][1], pk)
        for pk, credit in credited.values_list("member_id", "credits")
        if pk in months
    )[:TOP]
    return [(pk, [-m, -c, -t]) for c, m, t, pk in ranked]


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


def _version() -> str:
    """Changes whenever the rollup rewrites the tables the rankings read (it deletes and
    inserts rows, so their highest ids move): two reads of a primary key index."""
    active = DailyActiveMember.objects.order_by().aggregate(m=Max("id"))["m"]
    credit = DailyMemberCredit.objects.order_by().aggregate(m=Max("id"))["m"]
    return f"{active or 0}-{credit or 0}"


def rankings(period: Period) -> dict[str, Ranked]:
    """Every table's ranking, cached until the rollup next changes the aggregates: at
    100,000 members a period's rankings take seconds (docs/performance.md), while the
    rollup changes them once an hour. The hourly job warms the default period's."""
    key = f"analytics:people:{period.start}:{period.end}:{_version()}"
    found = cache.get(key)
    if found is None:
        rankers = {
            "top_contributors": _top_contributors,
            "rising_members": _rising_members,
            "super_users": _super_users,
            "at_risk": _at_risk,
            "advisory_candidates": _advisory_candidates,
        }
        found = {name: rankers[name](period) for *_table, name in _layout()}
        cache.set(key, found, CACHE_SECONDS)
    return found


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
    """Compute the default period's rankings (the 30 days ending today) into the cache."""
    rankings(Period.ending(today, DEFAULT_DAYS))
