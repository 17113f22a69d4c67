"""Support metrics (the support page and ``GET /api/v1/metrics``), read from the daily
per-category sums (analytics.models.SupportDay) that the rollup keeps from the
per-question facts (QuestionFact).

A question counts for the period it was **asked** in: its answer, solution and times
belong to that period even when they came later (so a period's figures can still rise
while its questions are being answered).

A period costs two queries of small rows, one per whole calendar month (SupportMonth) and
one per remaining day (SupportDay) and category, whatever the number of questions: the
counts are added up, and the medians read from the rows' duration
histograms (``EDGES``: fixed buckets a minute wide below half an hour, then at most a
twelfth of their value; the median is its bucket's lower edge, see docs/metrics.md).
"""

from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from operator import add

from django.db.models import Q, QuerySet, Sum

from townsquare.analytics.models import SupportDay, SupportMonth
from townsquare.analytics.periods import Period, Value
from townsquare.analytics.queries import analytics_settings

HOUR, DAY = 3600, 86400
#: What a group of questions can be broken down by.
BY_CATEGORY, BY_DAY = "category_id", "day"
COUNTS = ("asked", "answered", "solved", "first_by_staff", "solved_by_staff")


def _edges() -> list[int]:
    """The lower edges (seconds) of the duration histograms' fixed buckets: tiers of
    (up to, width) in seconds, each width at most a twelfth of the tier's start and a
    divisor or multiple of an hour, so whole hours are edges."""
    tiers = [
        (30 * 60, 60),
        (HOUR, 120),
        (150 * 60, 300),
        (5 * HOUR, 600),
        (10 * HOUR, 1200),
        (DAY, 1800),
        (2 * DAY, HOUR),
        (5 * DAY, 3 * HOUR),
        (10 * DAY, 6 * HOUR),
        (30 * DAY, 12 * HOUR),
        (90 * DAY, DAY),
        (365 * DAY, 5 * DAY),
    ]
    edges, start = [], 0
    for end, width in tiers:
        edges.extend(range(start, end, width))
        start = end
    return [*edges, start]  # the last bucket: a year or more


#: 345 buckets: 1 minute wide below 30 minutes, then at most 1/12 of their lower edge.
EDGES = _edges()


def bucket(seconds: int) -> int:
    """The index of a duration's bucket in EDGES. A median read from the buckets is its
    bucket's lower edge: at most one bucket width under the exact median."""
    return bisect_right(EDGES, seconds) - 1


def add_buckets(total: list[int], counts: list[int]) -> None:
    """Add a histogram (a list of counts per bucket, trailing zeros left off) to
    ``total`` in place; in C (``map``), as a year of a page is thousands of them."""
    if len(counts) > len(total):
        total.extend([0] * (len(counts) - len(total)))
    total[: len(counts)] = map(add, total, counts)


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


@dataclass
class Summary:
    """The support figures of the questions asked in a period (or one day, or one
    category of it)."""

    asked: int = 0
    answered: int = 0
    solved: int = 0
    first_by_staff: int = 0
    solved_by_staff: int = 0
    first_response_hours: float | None = None
    solution_hours: float | None = None
    cost_per_ticket: Decimal = Decimal(0)

    @property
    def first_by_members(self) -> int:
        return self.answered - self.first_by_staff

    @property
    def solved_by_members(self) -> int:
        return self.solved - self.solved_by_staff

    @property
    def answered_share(self) -> float | None:
        return _percent(self.answered, self.asked)

    @property
    def unanswered_share(self) -> float | None:
        return _percent(self.asked - self.answered, self.asked)

    @property
    def solved_share(self) -> float | None:
        return _percent(self.solved, self.asked)

    @property
    def first_by_members_share(self) -> float | None:
        return _percent(self.first_by_members, self.answered)

    @property
    def solved_by_members_share(self) -> float | None:
        return _percent(self.solved_by_members, self.solved)

    @property
    def cost_saved(self) -> float:
        return float(round(self.solved_by_members * self.cost_per_ticket, 2))


def median_hours(histogram: list[int]) -> float | None:
    """The median of a histogram (counts per bucket of EDGES) in hours (2 decimals): the
    middle value, or the mean of the middle two, as the exact median is taken, each
    read as its bucket's lower edge."""
    total = sum(histogram)
    if not total:
        return None
    low, high = (total - 1) // 2, total // 2  # the middle ranks, from 0
    seen, found = 0, []
    for index, count in enumerate(histogram):
        seen += count
        while len(found) < 2 and seen > (low, high)[len(found)]:
            found.append(EDGES[index])
        if len(found) == 2:
            break
    return round(sum(found) / 2 / HOUR, 2)


class _Group:
    """The running sums of a group of SupportDay rows."""

    __slots__ = ("counts", "first", "solution")

    def __init__(self) -> None:
        self.counts = dict.fromkeys(COUNTS, 0)
        self.first: list[int] = []
        self.solution: list[int] = []

    def add(self, row: tuple) -> None:
        for n, name in enumerate(COUNTS):
            self.counts[name] += row[n]
        add_buckets(self.first, row[len(COUNTS)])
        add_buckets(self.solution, row[len(COUNTS) + 1])

    def merge(self, other: "_Group") -> None:
        for name in COUNTS:
            self.counts[name] += other.counts[name]
        add_buckets(self.first, other.first)
        add_buckets(self.solution, other.solution)

    def summary(self, cost_per_ticket: Decimal) -> Summary:
        return Summary(
            **self.counts,
            first_response_hours=median_hours(self.first),
            solution_hours=median_hours(self.solution),
            cost_per_ticket=cost_per_ticket,
        )


def _months(period: Period) -> tuple[list[date], list[tuple[date, date]]]:
    """The calendar months wholly inside the period (their first days), and the day
    ranges of the period outside them (at most two)."""
    first = period.start if period.start.day == 1 else next_month(period.start)
    months: list[date] = []
    while next_month(first) - timedelta(days=1) <= period.end:
        months.append(first)
        first = next_month(first)
    if not months:
        return [], [(period.start, period.end)]
    ranges = [(period.start, months[0] - timedelta(days=1)), (first, period.end)]
    return months, [(start, end) for start, end in ranges if start <= end]


def next_month(day: date) -> date:
    """The first day of the month after the day's."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _in(rows: QuerySet, categories: Collection[int] | None) -> QuerySet:
    if categories is not None:
        rows = rows.filter(category_id__in=list(categories))
    return rows.order_by()


def _days(period: Period, categories: Collection[int] | None) -> QuerySet:
    return _in(SupportDay.objects.filter(day__range=(period.start, period.end)), categories)


def _rows(period: Period, categories: Collection[int] | None) -> list[tuple]:
    """The period's sums as (day or month, category, *COUNTS, first buckets, solution
    buckets): whole months from SupportMonth, the rest from SupportDay (two queries, at
    most about 60 + 12 rows a category for a year)."""
    months, ranges = _months(period)
    rows = []
    if months:
        found = SupportMonth.objects.filter(month__in=months)
        rows += _in(found, categories).values_list("month", *_FIELDS[1:])
    if ranges:
        days = Q()
        for start, end in ranges:
            days |= Q(day__range=(start, end))
        rows += _in(SupportDay.objects.filter(days), categories).values_list(*_FIELDS)
    return rows


def _groups(rows: Iterable[tuple], by: str | None) -> dict:
    """Rows (day, category, *COUNTS, first buckets, solution buckets) summed per group;
    the whole (key None) is summed from the per-category groups, which are few."""
    index = 0 if by == BY_DAY else 1
    groups: dict = {}
    for row in rows:
        if row[2]:  # questions asked that day (rows of solutions only are skipped)
            groups.setdefault(row[index], _Group()).add(row[2:])
    if by:
        return groups
    whole = _Group()
    for group in groups.values():
        whole.merge(group)
    return {None: whole}


_FIELDS = ("day", "category_id", *COUNTS, "first_response_buckets", "solution_buckets")


def summaries(
    period: Period,
    categories: Collection[int] | None = None,
    *,
    by: str | None = None,
    cost_per_ticket: Decimal = Decimal(0),
) -> dict:
    """The period's Summary, or one per category or per day asked (``by``); groups
    without questions are missing. Two queries whatever the number of questions (one per
    day's rows when by day)."""
    if by == BY_DAY:
        rows = _days(period, categories).values_list(*_FIELDS)
    else:
        rows = _rows(period, categories)
    return {
        key: group.summary(cost_per_ticket)
        for key, group in _groups(rows, by).items()
        if group.counts["asked"]
    }


def summary(
    period: Period, categories: Collection[int] | None = None, cost_per_ticket=Decimal(0)
) -> Summary:
    """The whole period's figures (an empty Summary when nothing was asked)."""
    found = summaries(period, categories, cost_per_ticket=cost_per_ticket)
    return found.get(None, Summary(cost_per_ticket=cost_per_ticket))


@dataclass
class PeriodFigures:
    """Everything the support page shows of one period, from three queries."""

    whole: Summary
    by_category: dict[int, Summary]
    asked_on: dict[date, int]
    solved_on: dict[date, int]


def period_figures(
    period: Period, categories: Collection[int] | None = None, cost_per_ticket=Decimal(0)
) -> PeriodFigures:
    """The period's Summary, one per category (two queries) and the chart's two lines
    (one grouped query of the daily counts)."""
    groups = _groups(_rows(period, categories), BY_CATEGORY)
    whole = _Group()
    for group in groups.values():
        whole.merge(group)
    asked_on, solved_on = per_day(period, categories)
    return PeriodFigures(
        whole.summary(cost_per_ticket),
        {key: g.summary(cost_per_ticket) for key, g in groups.items() if g.counts["asked"]},
        asked_on,
        solved_on,
    )


def per_day(
    period: Period, categories: Collection[int] | None = None
) -> tuple[dict[date, int], dict[date, int]]:
    """Questions asked, and questions solved, on each day of the period (the chart: a
    question solved on a day counts on that day, whenever it was asked). One query."""
    asked_on: dict[date, int] = dict.fromkeys(period.dates(), 0)
    solved_on: dict[date, int] = dict.fromkeys(period.dates(), 0)
    rows = (
        _days(period, categories)
        .values_list("day")
        .annotate(asked_sum=Sum("asked"), solved_sum=Sum("solved_that_day"))
    )
    for day, asked, solved in rows:
        asked_on[day], solved_on[day] = asked, solved
    return asked_on, solved_on


# --- The registered metrics (analytics.metrics) -----------------------------------------

#: Metric key → the Summary attribute that is its period figure.
FIGURES = {
    "questions_asked": "asked",
    "questions_solved": "solved",
    "questions_answered_share": "answered_share",
    "questions_solved_share": "solved_share",
    "first_response_median_hours": "first_response_hours",
    "solution_median_hours": "solution_hours",
    "first_responses_by_members_share": "first_by_members_share",
    "solutions_by_members_share": "solved_by_members_share",
    "support_cost_saved": "cost_saved",
}


def compute(key: str) -> Callable[[Period, Collection[int] | None], Value]:
    """The ``compute`` of a support metric: the period's figure, and per day the figure
    of the questions asked that day (days whose figure is undefined — a share or median
    of no questions — are left out of the series; counts are 0 there)."""
    attribute = FIGURES[key]

    def value(period: Period, categories: Collection[int] | None) -> Value:
        cost = analytics_settings().cost_per_ticket if key == "support_cost_saved" else Decimal(0)
        days = summaries(period, categories, by=BY_DAY, cost_per_ticket=cost)
        empty = Summary(cost_per_ticket=cost)
        series = []
        for day in period.dates():
            figure = getattr(days.get(day, empty), attribute)
            if figure is not None:
                series.append((day, figure))
        total = getattr(summary(period, categories, cost), attribute)
        return Value(series, total)

    return value
