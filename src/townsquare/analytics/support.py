"""Support metrics (the support page and ``GET /api/v1/metrics``), read from the
per-question facts (analytics.models.QuestionFact) that the rollup writes.

A question counts for the period it was **asked** in: its answer, solution and times
belong to that period even when they came later (so a period's figures can still rise
while its questions are being answered).

The database does the work: counts are one grouped query, and each median one query that
numbers the durations in order with a window function and returns only the middle one or
two of each group — so a page never pulls a period's questions into Python.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from townsquare.analytics.models import QuestionFact
from townsquare.analytics.periods import Period, Value
from townsquare.analytics.queries import analytics_settings

HOUR = 3600
#: What a group of questions can be broken down by.
BY_CATEGORY, BY_DAY = "category_id", "asked_on"


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


def asked(period: Period, categories: Collection[int] | None = None) -> QuerySet:
    """The questions asked in the period (deleted ones left out), in the categories."""
    found = QuestionFact.objects.filter(deleted=False, asked_on__range=(period.start, period.end))
    if categories is not None:
        found = found.filter(category_id__in=list(categories))
    return found.order_by()


def _medians(found: QuerySet, field: str, by: str | None) -> dict:
    """The median of ``field`` (seconds) in each group (key None: all), in hours, in one
    query: row numbers in order of the field within each group, and the group's size,
    keep the middle row (odd size) or two (even size), which are averaged here."""
    partition = [F(by)] if by else None
    rows = (
        found.filter(**{f"{field}__isnull": False})
        .annotate(
            twice=Window(RowNumber(), partition_by=partition, order_by=F(field).asc()) * 2,
            size=Window(Count("pk"), partition_by=partition),
        )
        .filter(twice__gte=F("size"), twice__lte=F("size") + 2)
        .values_list(field, *([by] if by else []))
    )
    middle: dict = {}
    for seconds, *key in rows:
        middle.setdefault(key[0] if by else None, []).append(seconds)
    return {key: round(sum(v) / len(v) / HOUR, 2) for key, v in middle.items()}


def summaries(
    period: Period,
    categories: Collection[int] | None = None,
    *,
    by: str | None = None,
    cost_per_ticket: Decimal = Decimal(0),
) -> dict:
    """The period's Summary, or one per category or per day asked (``by``); groups
    without questions are missing. Three queries whatever the number of questions."""
    found = asked(period, categories)
    aggregates = {
        "asked": Count("pk"),
        "answered": Count("pk", filter=Q(first_response_at__isnull=False)),
        "solved": Count("pk", filter=Q(solved_at__isnull=False)),
        "first_by_staff": Count("pk", filter=Q(first_responder_staff=True)),
        "solved_by_staff": Count("pk", filter=Q(solved_at__isnull=False, solver_staff=True)),
    }
    if by:
        rows = {row.pop(by): row for row in found.values(by).annotate(**aggregates)}
    else:
        rows = {None: found.aggregate(**aggregates)}
    first = _medians(found, "first_response_seconds", by)
    solution = _medians(found, "solution_seconds", by)
    return {
        key: Summary(
            **row,
            first_response_hours=first.get(key),
            solution_hours=solution.get(key),
            cost_per_ticket=cost_per_ticket,
        )
        for key, row in rows.items()
        if row["asked"]
    }


def summary(
    period: Period, categories: Collection[int] | None = None, cost_per_ticket=Decimal(0)
) -> Summary:
    """The whole period's figures (an empty Summary when nothing was asked)."""
    found = summaries(period, categories, cost_per_ticket=cost_per_ticket)
    return found.get(None, Summary(cost_per_ticket=cost_per_ticket))


def per_day(
    period: Period, categories: Collection[int] | None = None
) -> tuple[dict[date, int], dict[date, int]]:
    """Questions asked, and questions solved, on each day of the period (the chart: a
    question solved on a day counts on that day, whenever it was asked). Two queries."""
    asked_on: dict[date, int] = dict.fromkeys(period.dates(), 0)
    solved_on: dict[date, int] = dict.fromkeys(period.dates(), 0)
    asked_on.update(asked(period, categories).values_list("asked_on").annotate(n=Count("pk")))
    solved = QuestionFact.objects.filter(deleted=False, solved_on__range=(period.start, period.end))
    if categories is not None:
        solved = solved.filter(category_id__in=list(categories))
    solved_on.update(solved.order_by().values_list("solved_on").annotate(n=Count("pk")))
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
