"""Support metrics (the support page and ``GET /api/v1/metrics``), read from the
per-question facts (analytics.models.QuestionFact) that the rollup writes.

A question counts for the period it was **asked** in: its answer, solution and times
belong to that period even when they came later (so a period's figures can still rise
while its questions are being answered). Medians are taken in Python over the period's
facts, one small row per question; see docs/metrics.md for how many that allows.
"""

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from statistics import median

from django.db.models import Q

from townsquare.analytics.models import QuestionFact
from townsquare.analytics.periods import Period, Value
from townsquare.analytics.queries import analytics_settings

HOUR = 3600


@dataclass(frozen=True)
class Fact:
    category_id: int
    asked_on: date
    asked_at: datetime
    first_response_at: datetime | None
    first_responder_staff: bool | None
    solved_at: datetime | None
    solved_on: date | None
    solver_staff: bool | None


def facts(period: Period, categories: Collection[int] | None = None) -> list[Fact]:
    """The questions asked or solved in the period (not deleted), in one query."""
    rows = QuestionFact.objects.filter(deleted=False).filter(
        Q(asked_on__range=(period.start, period.end))
        | Q(solved_on__range=(period.start, period.end))
    )
    if categories is not None:
        rows = rows.filter(category_id__in=list(categories))
    return [
        Fact(*row)
        for row in rows.values_list(
            "category_id",
            "asked_on",
            "asked_at",
            "first_response_at",
            "first_responder_staff",
            "solved_at",
            "solved_on",
            "solver_staff",
        )
    ]


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def _median_hours(seconds: list[float]) -> float | None:
    return round(median(seconds) / HOUR, 2) if seconds else None


@dataclass
class Summary:
    """The support figures of a set of questions (those asked in a period)."""

    asked: int = 0
    answered: int = 0
    solved: int = 0
    first_by_staff: int = 0
    solved_by_staff: int = 0
    first_response_seconds: list[float] = field(default_factory=list)
    solution_seconds: list[float] = field(default_factory=list)
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
    def first_response_hours(self) -> float | None:
        return _median_hours(self.first_response_seconds)

    @property
    def solution_hours(self) -> float | None:
        return _median_hours(self.solution_seconds)

    @property
    def cost_saved(self) -> float:
        return float(round(self.solved_by_members * self.cost_per_ticket, 2))


def summarise(found: Iterable[Fact], cost_per_ticket: Decimal = Decimal(0)) -> Summary:
    """Add up questions (the caller chooses which: those asked in a period)."""
    summary = Summary(cost_per_ticket=cost_per_ticket)
    for fact in found:
        summary.asked += 1
        if fact.first_response_at is not None:
            summary.answered += 1
            summary.first_by_staff += bool(fact.first_responder_staff)
            summary.first_response_seconds.append(
                (fact.first_response_at - fact.asked_at).total_seconds()
            )
        if fact.solved_at is not None:
            summary.solved += 1
            summary.solved_by_staff += bool(fact.solver_staff)
            summary.solution_seconds.append((fact.solved_at - fact.asked_at).total_seconds())
    return summary


def asked_in(found: Iterable[Fact], period: Period) -> list[Fact]:
    return [fact for fact in found if period.start <= fact.asked_on <= period.end]


def per_day(found: Iterable[Fact], period: Period) -> tuple[dict[date, int], dict[date, int]]:
    """Questions asked, and questions solved, on each day of the period (the chart: a
    question solved on a day counts on that day, whenever it was asked)."""
    asked: dict[date, int] = dict.fromkeys(period.dates(), 0)
    solved: dict[date, int] = dict.fromkeys(period.dates(), 0)
    for fact in found:
        if fact.asked_on in asked:
            asked[fact.asked_on] += 1
        if fact.solved_on in solved:
            solved[fact.solved_on] += 1
    return asked, solved


def by_category(found: Iterable[Fact], period: Period, cost: Decimal) -> dict[int, Summary]:
    """The period's figures for each category that had questions asked in it."""
    groups: dict[int, list[Fact]] = defaultdict(list)
    for fact in asked_in(found, period):
        groups[fact.category_id].append(fact)
    return {pk: summarise(group, cost) for pk, group in groups.items()}


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
    of no questions — are left out of the series)."""
    attribute = FIGURES[key]

    def value(period: Period, categories: Collection[int] | None) -> Value:
        cost = Decimal(0)
        if key == "support_cost_saved":
            cost = analytics_settings().cost_per_ticket
        asked = asked_in(facts(period, categories), period)
        days: dict[date, list[Fact]] = {day: [] for day in period.dates()}
        for fact in asked:
            days[fact.asked_on].append(fact)
        series = []
        for day, found in days.items():
            figure = getattr(summarise(found, cost), attribute)
            if figure is not None:
                series.append((day, figure))
        return Value(series, getattr(summarise(asked, cost), attribute))

    return value
