"""Membership over time, read from the rollup's member tables (analytics.models
``MemberTenure`` and ``RetentionCohort``) and daily metrics: members lost per day and
month, net growth, and retention by join month. Each read is a fixed number of queries.

A member is *lost* once: on the day they left (their account was deleted, by themselves
or by an admin), or, if they did not, ``inactive_after_days`` (analytics settings) after
the last day they were active, once that day has come. A member who comes back is no
longer lost: the count follows their latest activity.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from townsquare.analytics.models import DailyMetric, MemberTenure, RetentionCohort
from townsquare.analytics.periods import Period
from townsquare.analytics.queries import analytics_settings

#: Join months shown in the retention table (the latest ones of the period).
COHORTS = 12


@dataclass
class Grid:
    """A table with named columns: one label and one figure per column for each row
    (membership by month, retention cohorts). ``percent``: figures are shares 0…1."""

    columns: list[str]
    rows: list[tuple[str, list[float | None]]] = field(default_factory=list)
    percent: bool = False


def _today() -> date:
    return timezone.now().astimezone(UTC).date()


def lost_by_day(period: Period) -> dict[date, int]:
    """Members lost on each day of the period (none after today): three queries."""
    lost: dict[date, int] = defaultdict(int)
    end = min(period.end, _today())
    if end < period.start:
        return lost
    after = timedelta(days=analytics_settings().inactive_after_days)
    left = (
        MemberTenure.objects.filter(left_day__range=(period.start, end))
        .values_list("left_day")
        .annotate(n=Count("member_id"))
        .order_by()
    )
    for day, n in left:
        lost[day] += n
    silent = (
        MemberTenure.objects.filter(
            left_day__isnull=True, last_active_day__range=(period.start - after, end - after)
        )
        .values_list("last_active_day")
        .annotate(n=Count("member_id"))
        .order_by()
    )
    for day, n in silent:
        lost[day + after] += n
    return lost


def _month(day: date) -> date:
    return day.replace(day=1)


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def by_month(
    period: Period,
    new_per_day: Mapping[date, int] | None = None,
    lost_per_day: Mapping[date, int] | None = None,
) -> Grid:
    """New members, members lost and net growth (new − lost) per calendar month of the
    period; months cut by the period's ends count only its days. Four queries, none when
    given the new members and the members lost per day (of the period, or of a longer
    one: the overview's, which reads them for its other tables too)."""
    if new_per_day is None:
        new_per_day = dict(
            DailyMetric.objects.filter(
                metric="new_members", dimension="", day__range=(period.start, period.end)
            ).values_list("day", "value")
        )
    if lost_per_day is None:
        lost_per_day = lost_by_day(period)
    new: dict[date, int] = defaultdict(int)
    lost: dict[date, int] = defaultdict(int)
    for found, by_day in ((new, new_per_day), (lost, lost_per_day)):
        for day, n in by_day.items():
            if period.start <= day <= period.end:
                found[_month(day)] += n
    grid = Grid([str(_("New members")), str(_("Members lost")), str(_("Net growth"))])
    month = _month(period.start)
    while month <= period.end:
        grid.rows.append((f"{month:%Y-%m}", [new[month], lost[month], new[month] - lost[month]]))
        month = _add_months(month, 1)
    return grid


def cohorts(period: Period) -> Grid:
    """Retention by join month: for each calendar month the period touches (the last
    ``COHORTS`` of them), the share of the members who joined in it (the whole month)
    active 1, 2, 3, … calendar months later, up to this month (later cells are empty:
    not yet known). One query."""
    first, last = _month(period.start), _month(min(period.end, _today()))
    first = max(first, _add_months(last, -(COHORTS - 1)))
    now = _month(_today())
    columns = min(COHORTS, (now.year - first.year) * 12 + now.month - first.month)
    grid = Grid([str(_("Month %(n)d") % {"n": n}) for n in range(1, columns + 1)], percent=True)
    if first > last:
        return grid
    found: dict[date, dict[int, int]] = defaultdict(dict)
    for joined, after, members in RetentionCohort.objects.filter(
        joined_month__range=(first, last), months_after__lte=columns
    ).values_list("joined_month", "months_after", "members"):
        found[joined][after] = members
    month = first
    while month <= last:
        size = found[month].get(0, 0)
        elapsed = (now.year - month.year) * 12 + now.month - month.month
        label = ngettext("%(month)s (%(n)d member)", "%(month)s (%(n)d members)", size) % {
            "month": f"{month:%Y-%m}",
            "n": size,
        }
        values: list[float | None] = [
            (found[month].get(n, 0) / size if size else None) if n <= elapsed else None
            for n in range(1, columns + 1)
        ]
        grid.rows.append((label, values))
        month = _add_months(month, 1)
    return grid
