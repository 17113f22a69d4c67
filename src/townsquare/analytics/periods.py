"""The vocabulary every analytics page shares: a period of UTC days, a metric's value
over it, and a line of a dashboard table."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

DEFAULT_DAYS = 30
#: The periods (days ending today) the hourly job computes ahead into the caches of the
#: dashboard and the People page: the default and a year.
WARM_DAYS = (DEFAULT_DAYS, 365)


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("A period ends on or after its start.")

    @classmethod
    def ending(cls, end: date, days: int = DEFAULT_DAYS) -> "Period":
        return cls(end - timedelta(days=days - 1), end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return list(_dates(self.start, self.end))

    def previous(self) -> "Period":
        """The period of equal length that ends the day before this one starts."""
        return Period.ending(self.start - timedelta(days=1), self.days)


@lru_cache(maxsize=64)
def _dates(start: date, end: date) -> tuple[date, ...]:
    """A page asks for the same periods' days dozens of times (every metric's series)."""
    return tuple(start + timedelta(days=n) for n in range((end - start).days + 1))


@dataclass
class Value:
    """A metric over a period: one value per day (empty where a daily figure has no
    meaning) and the period's figure. ``None`` when the metric cannot follow the filter."""

    series: list[tuple[date, float]] = field(default_factory=list)
    total: float | None = None


@dataclass
class Row:
    """A line of a dashboard table: a figure now and in the previous period."""

    label: str
    current: float | None
    previous: float | None
    definition: str = ""
    percent: bool = False
    key: str = ""

    @property
    def change(self) -> float | None:
        """Change against the previous period in per cent; None when there is nothing to
        compare against."""
        if self.current is None or not self.previous:
            return None
        return round(100 * (self.current - self.previous) / self.previous, 1)
