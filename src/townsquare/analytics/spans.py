"""A period read from the per-member aggregates: its whole calendar months from the
monthly rows (``MonthlyActiveMember``, ``MonthlyMemberCredit``) and only the days cut at
its ends from the daily ones, so a year is ~12 rows per member instead of ~365.

The rollup rewrites a month's monthly rows whenever it recomputes one of its days, so the
two readings give the same answers (tests/analytics/test_people_months.py).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet

from townsquare.analytics.membership import _add_months, _month
from townsquare.analytics.periods import Period


@dataclass(frozen=True)
class Span:
    """Days ``start`` … ``end`` of a period: whole calendar months (``whole``, read from
    the monthly rows, whose ``month`` is a month's first day, so ``month__range=(start,
    end)`` selects them) or days of a single month cut by the period (the daily rows)."""

    start: date
    end: date
    whole: bool

    @property
    def month(self) -> date:
        """The first day of the month the span starts in (of a cut span: its only one)."""
        return _month(self.start)


def split(period: Period) -> list[Span]:
    """The period as cut months and runs of whole months, in order."""
    found: list[Span] = []
    month = _month(period.start)
    while month <= period.end:
        month_end = _add_months(month, 1) - timedelta(days=1)
        start, end = max(month, period.start), min(month_end, period.end)
        whole = (start, end) == (month, month_end)
        if whole and found and found[-1].whole:
            found[-1] = Span(found[-1].start, end, True)
        else:
            found.append(Span(start, end, whole))
        month = _add_months(month, 1)
    return found


def whole_months(period: Period) -> tuple[date, date] | None:
    """The first days of the first and last whole calendar month inside the period."""
    for span in split(period):
        if span.whole:
            return span.start, _month(span.end)
    return None


def rows(
    period: Period,
    daily: Callable[[Span], QuerySet],
    monthly: Callable[[Span], QuerySet],
) -> list[QuerySet]:
    """The queries that cover the period: ``monthly(span)`` for its whole months,
    ``daily(span)`` for each cut month. They must select the same columns."""
    return [(monthly if span.whole else daily)(span) for span in split(period)]


def union(queries: Iterable[QuerySet]) -> tuple[str, list]:
    """SQL (and its parameters) of the queries' rows together (``UNION ALL``), to group
    in an outer query: Django cannot group a union."""
    parts = [query.query.sql_with_params() for query in queries]
    return (
        " UNION ALL ".join(sql for sql, _params in parts),
        [param for _sql, params in parts for param in params],
    )
