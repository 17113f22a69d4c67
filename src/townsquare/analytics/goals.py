"""Goals' progress and forecast, read from the daily aggregates (docs/metrics.md, "Goals").

The current value depends on how the metric's period figure is made (``Metric.kind``):

- ``sum`` (page views, posts, new members, ...): the total from the goal's start to today
  (or to the deadline, once it has passed);
- ``last`` (WAU, MAU): the value of that last day;
- every other kind — rates, means and shares: the metric's figure over the latest 30
  days, cut at the goal's start.

The forecast is the least-squares line through the daily series since the start (for
sums, the running total; for the others, the daily value), extrapolated to the deadline;
a goal is on track when the forecast reaches the target (or stays at or below it, for an
"at most" goal). Shares of the 90-9-1 curve have no daily series, hence no forecast.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.analytics import metrics
from townsquare.analytics.metrics import Metric
from townsquare.analytics.models import Direction, Goal
from townsquare.analytics.periods import Period, Value

RATE_WINDOW_DAYS = 30

STATUS = {
    "not_started": _("Not started"),
    "on_track": _("On track"),
    "off_track": _("Off track"),
    "met": _("Met"),
    "missed": _("Missed"),
    "no_forecast": _("No forecast"),
    "unknown_metric": _("Unknown metric"),
}


@dataclass
class Progress:
    goal: Goal
    metric: Metric | None
    #: The days the current value covers (None before the start).
    window: Period | None = None
    current: float | None = None
    forecast: float | None = None
    status: str = "no_forecast"

    @property
    def percent(self) -> float | None:
        """The current value as a share of the target, in per cent."""
        target = float(self.goal.target)
        if self.current is None or not target:
            return None
        return round(100 * self.current / target, 1)

    @property
    def on_track(self) -> bool | None:
        if self.status in ("on_track", "met"):
            return True
        if self.status in ("off_track", "missed"):
            return False
        return None

    @property
    def status_label(self) -> str:
        return str(STATUS[self.status])


def least_squares(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Slope and intercept of the least-squares line through ``(x, y)`` points; None with
    fewer than two distinct x."""
    n = len(points)
    if n < 2:
        return None
    mean_x = sum(x for x, _y in points) / n
    mean_y = sum(y for _x, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _y in points)
    if not spread:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return slope, mean_y - slope * mean_x


def forecast(series: list[tuple[date, float]], start: date, deadline: date) -> float | None:
    """The line through the series (x = days since ``start``) at the deadline."""
    line = least_squares([((day - start).days, value) for day, value in series])
    if line is None:
        return None
    slope, intercept = line
    return round(slope * (deadline - start).days + intercept, 2)


def _reached(goal: Goal, value: float) -> bool:
    target = float(goal.target)
    return value <= target if goal.direction == Direction.AT_MOST else value >= target


class _Reader:
    """The daily aggregates every goal needs, read once (one query), and each distinct
    window's members counted once: a list of goals costs a fixed number of queries, plus
    one per different rate window and whatever metrics with their own aggregates read."""

    def __init__(self, goals: list[Goal], today: date) -> None:
        starts = [goal.start for goal in goals if goal.start <= today]
        if starts:
            ends = [min(goal.deadline, today) for goal in goals if goal.start <= today]
            self.daily = metrics._load(Period(min(starts), max(ends)), None)
        else:  # no goal has started: nothing to read
            self.daily = defaultdict(lambda: defaultdict(int))
        self._distinct: dict[Period, Callable[[], dict[str, int]]] = {}

    def distinct(self, period: Period) -> Callable[[], dict[str, int]]:
        if period not in self._distinct:
            self._distinct[period] = metrics._cached(period)
        return self._distinct[period]

    def value(self, metric: Metric, period: Period, *, series_only: bool = False) -> Value:
        if metric.compute is not None:
            return metric.compute(period, None)
        if series_only:
            # Only the days are wanted: no distinct count of members for the total.
            def distinct() -> dict[str, int]:
                return {"active": 0, "lurkers": 0, "occasional": 0, "regular": 0}
        else:
            distinct = self.distinct(period)
        return metrics._value(metric, period, self.daily, distinct, False)


def _progress(goal: Goal, reader: _Reader, today: date) -> Progress:
    metric = metrics.METRICS.get(goal.metric)
    if metric is None:
        return Progress(goal, None, status="unknown_metric")
    if today < goal.start:
        return Progress(goal, metric, status="not_started")
    as_of = min(today, goal.deadline)
    since_start = Period(goal.start, as_of)
    if metric.kind in ("sum", "last"):
        window = since_start
        value = reader.value(metric, window)
        current = value.total
        if metric.kind == "sum":
            running, total = [], 0.0
            for day, number in value.series:
                total += number
                running.append((day, total))
            trend = running
        else:
            trend = value.series
    else:
        window = Period(max(goal.start, as_of - timedelta(days=RATE_WINDOW_DAYS - 1)), as_of)
        current = reader.value(metric, window).total
        trend = []
        if metric.kind != "share":  # the 90-9-1 shares are period figures only
            trend = reader.value(metric, since_start, series_only=True).series
    progress = Progress(goal, metric, window, current)
    if today >= goal.deadline:
        progress.forecast = current
        if current is not None:
            progress.status = "met" if _reached(goal, current) else "missed"
        return progress
    progress.forecast = forecast(trend, goal.start, goal.deadline)
    if metric.kind == "sum" and progress.forecast is not None and current is not None:
        # A running total never falls: a line pulled down by early quiet days (a burst of
        # sign-ups yesterday) must not forecast less than is already counted.
        progress.forecast = max(progress.forecast, float(current))
    if progress.forecast is not None:
        progress.status = "on_track" if _reached(goal, progress.forecast) else "off_track"
    return progress


def utc_today() -> date:
    return timezone.now().astimezone(UTC).date()


def progress_of(goals: Iterable[Goal], today: date | None = None) -> list[Progress]:
    """Each goal's current value, forecast and status (see the module docstring)."""
    goals = list(goals)
    today = today or utc_today()
    reader = _Reader(goals, today)
    return [_progress(goal, reader, today) for goal in goals]
