"""Numbers and dates in the viewer's language for the dashboard's charts and tables,
each value formatted once, and round axis ticks.
"""

import math
from datetime import date

from django.core.signals import setting_changed
from django.utils import formats, numberformat
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _


def nice_ticks(lo: float, hi: float, max_ticks: int = 6) -> list[float]:
    """Round axis ticks (multiples of 1, 2 or 5 × 10ⁿ) covering lo…hi and zero.

    The axis always includes zero so bars and lines stand on an honest baseline.
    """
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if lo == hi:  # all zero: any positive range will do
        hi = 1.0
    try:
        raw = (hi / 2 - lo / 2) * 2 / max(max_ticks - 1, 1)  # halves: the span cannot overflow
        magnitude = 10.0 ** math.floor(math.log10(raw))
        step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
        first, last = math.floor(lo / step), math.ceil(hi / step)
        # Division can underflow (-5e-324 / 2 == -0.0): widen until both ends are covered.
        first -= lo < first * step
        last += hi > last * step
        ticks = [_round(k * step, step) for k in range(first, last + 1)]
    except (OverflowError, ZeroDivisionError, ValueError, StopIteration):
        ticks = []
    # Near the limits of floating point (1e308, subnormals) round numbers do not exist.
    if len(ticks) < 2 or not all(math.isfinite(t) for t in ticks):
        return sorted({lo, 0.0, hi})
    return ticks


def _round(value: float, step: float) -> float:
    """Drop binary noise such as 0.30000000000000004 from a tick."""
    return round(value, max(0, -math.floor(math.log10(step)) + 2))


def tick_decimals(step: float) -> int:
    """How many decimals a tick step needs: 0.25 → 2, 0.2 → 1, 5 → 0 (at most 6)."""
    return next((d for d in range(6) if abs(round(step, d) - step) <= abs(step) * 1e-9), 6)


class _Formatter:
    """Numbers and dates in one language's style, each value formatted once.

    A year-long dashboard formats thousands of table cells, mostly the same dates and
    often the same numbers; Django looks the language's formats up again on every call.
    """

    MAX_ENTRIES = 20_000  # then start afresh: the cache is a speed-up, not a store

    def __init__(self, language: str | None):
        self.language = language
        self.decimal_separator = formats.get_format("DECIMAL_SEPARATOR", language)
        self.grouping = formats.get_format("NUMBER_GROUPING", language)
        self.thousand_separator = formats.get_format("THOUSAND_SEPARATOR", language)
        self.memo: dict[tuple, str] = {}

    def number(self, value: float, decimals: int = 0) -> str:
        # The type is part of the key (2 == 2.0 == True); -0.0 == 0.0 is not cached.
        key = (decimals, type(value), value)
        cacheable = bool(value) or math.copysign(1.0, value) > 0
        text = self.memo.get(key) if cacheable else None
        if text is None:
            shown = int(value) if decimals == 0 and float(value).is_integer() else value
            text = numberformat.format(
                shown,
                self.decimal_separator,
                decimals,
                self.grouping,
                self.thousand_separator,
                force_grouping=True,
                use_l10n=True,
            )
            if cacheable:
                self._remember(key, text)
        return text

    def date(self, day: date, format_name: str) -> str:
        key = (format_name, type(day), day)
        text = self.memo.get(key)
        if text is None:
            text = formats.date_format(day, format_name)
            self._remember(key, text)
        return text

    def _remember(self, key: tuple, text: str) -> None:
        if len(self.memo) >= self.MAX_ENTRIES:
            self.memo.clear()
        self.memo[key] = text


_formatters: dict[str | None, _Formatter] = {}


def formatter() -> _Formatter:
    """The formatter of the active language."""
    language = get_language()
    found = _formatters.get(language)
    if found is None:
        found = _formatters[language] = _Formatter(language)
    return found


def _forget_formats(**_kwargs: object) -> None:
    """Settings changed (tests): formats may have too."""
    _formatters.clear()


setting_changed.connect(_forget_formats, dispatch_uid="townsquare.analytics.numbers.formats")


def format_number(value: float, decimals: int = 0) -> str:
    """The full number in the active language's style (1,234,567 · 1 234 567)."""
    return formatter().number(value, decimals)


def compact_number(value: float, decimals: int = 0) -> str:
    """A short axis label: 1,234,567 → 1.2M; smaller numbers as they are."""
    magnitude = abs(value)
    # From 10,000 up (not 1,000): "1,500" reads better than "1.5K" on an axis.
    for limit, divisor, label in (
        (1e12, 1e12, pgettext("number abbreviation, 10^12", "%(number)sT")),
        (1e9, 1e9, pgettext("number abbreviation, 10^9", "%(number)sB")),
        (1e6, 1e6, pgettext("number abbreviation, 10^6", "%(number)sM")),
        (1e4, 1e3, pgettext("number abbreviation, 10^3", "%(number)sK")),
    ):
        if magnitude >= limit:
            short = value / divisor
            if abs(short) >= 1000:  # beyond trillions: fall back on scientific notation
                return f"{value:.1e}"
            places = 0 if short.is_integer() else 1
            return label % {"number": formats.number_format(short, places, use_l10n=True)}
    return format_number(value, decimals)


def percent(share: float, decimals: int = 0) -> str:
    return _("%(number)s%%") % {"number": format_number(share * 100, decimals)}
