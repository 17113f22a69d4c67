"""Recurring events: iCalendar RRULEs expanded in the event's own time zone.

A series is a first start (a naive *local* datetime), a time zone name and a rule: the
RRULE value of RFC 5545 without DTSTART, e.g. ``FREQ=WEEKLY;BYDAY=FR``. Expansion happens
in local time and each local start is then placed in the zone, so "every Friday 16:00
Europe/Warsaw" stays 16:00 on the wall clock across daylight-saving changes (14:00 UTC in
summer, 15:00 UTC in winter).

Local times the zone skips or repeats are resolved with ``fold=0`` (PEP 495):
- a time in the spring gap (02:30 on the night clocks go forward) is shifted forward by the
  gap: it becomes 03:30 summer time;
- an ambiguous time in autumn (02:30 happens twice) is the first of the two (summer time).

As RFC 5545 says, the first start always counts as the first occurrence (and towards
COUNT), even when the rule itself would not produce it.

Nothing here touches the database: the events app stores the rule and calls these
functions to materialise occurrences, e.g. "all future occurrences" from one occurrence
with ``occurrences(..., after=that_occurrence.start)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import chain, islice
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from django.core.exceptions import ValidationError
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

# One expansion covers at most this many occurrences and this span of time: enough for a
# weekly session for years or a daily one for a season, small enough to store as rows.
MAX_OCCURRENCES = 500
HORIZON = timedelta(days=731)  # two years, leap day included

# The RRULE parts a rule may carry. BYHOUR/BYMINUTE/BYSECOND are left out on purpose: the
# time of day comes from the first start, and they could repeat an event within a day.
_PARTS = (
    "FREQ", "INTERVAL", "COUNT", "UNTIL", "BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY",
    "BYDAY", "BYSETPOS", "WKST",
)  # fmt: skip
_TIME_OF_DAY_PARTS = {"BYHOUR", "BYMINUTE", "BYSECOND"}
_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
_SUB_DAILY = {"HOURLY", "MINUTELY", "SECONDLY"}
_DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # index = datetime.weekday()
_UNTIL_FORMATS = ("%Y%m%d", "%Y%m%dT%H%M%S")
_NUMBER = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class Occurrence:
    """One occurrence: ``start`` and ``end`` are UTC-aware; ``local_start`` is the naive
    wall-clock start the rule produced, which identifies the occurrence within its series
    (RECURRENCE-ID) whatever happens to the zone's offsets."""

    local_start: datetime
    start: datetime
    end: datetime


# --- Presets ------------------------------------------------------------------------------


def weekly_rule(first_local: datetime) -> str:
    """Every week on the weekday of the first start."""
    return f"FREQ=WEEKLY;BYDAY={_DAY_CODES[first_local.weekday()]}"


def monthly_rule(first_local: datetime, *, on: Literal["weekday", "day"] = "weekday") -> str:
    """Every month, either on the same weekday of the month as the first start (``weekday``,
    the default, e.g. "the second Tuesday": what monthly sessions and AMAs usually keep) or
    on the same day of the month (``day``, e.g. "the 15th").

    A first start in the fifth week of its month becomes "the last <weekday>", since most
    months have no fifth one. With ``day``, months without that day (the 31st in April) are
    skipped, as RFC 5545 requires."""
    if on == "day":
        return f"FREQ=MONTHLY;BYMONTHDAY={first_local.day}"
    week = (first_local.day - 1) // 7 + 1
    return f"FREQ=MONTHLY;BYDAY={week if week < 5 else -1}{_DAY_CODES[first_local.weekday()]}"


# --- Validation ---------------------------------------------------------------------------


def validate_rule(text: str, *, first_start_local: datetime | None = None) -> str:
    """The rule in normal form (upper case, ``RRULE:`` prefix dropped, parts in RFC order), or
    a ValidationError saying what is wrong.

    With ``first_start_local`` the rule is also expanded: it must produce at most
    MAX_OCCURRENCES within HORIZON of the first start (a daily rule needs an end), and it must
    produce something after the first start."""
    parts = _parse(text)
    rule = _format(parts)
    if first_start_local is not None:
        end = first_start_local + HORIZON
        starts = _local_starts(parts, first_start_local, end)
        count = sum(1 for _start in zip(range(MAX_OCCURRENCES + 1), starts, strict=False))
        if count > MAX_OCCURRENCES:
            raise ValidationError(
                _(
                    "This rule repeats too often: at most %(max)d occurrences within two "
                    "years. Repeat less often or end the series (COUNT or UNTIL)."
                ),
                code="too_many",
                params={"max": MAX_OCCURRENCES},
            )
        if count < 2 and parts.get("COUNT") != "1":
            raise ValidationError(
                _("This rule never repeats within two years of the first start."),
                code="no_repeat",
            )
    return rule


def _invalid(detail: str = "") -> ValidationError:
    message = _("This is not a valid repetition rule (RRULE), e.g. FREQ=WEEKLY;BYDAY=FR.")
    return ValidationError(f"{message} {detail}".strip(), code="invalid")


def _parse(text: str) -> dict[str, str]:
    """Split and check a rule; raise ValidationError with a clear message."""
    source = (text or "").strip().upper()
    if "DTSTART" in source or "TZID" in source:
        raise ValidationError(
            _(
                "Leave DTSTART and TZID out of the rule: the first start and the time zone "
                "are set with the event."
            ),
            code="dtstart",
        )
    source = source.removeprefix("RRULE:")
    if not source or "\n" in source or "RRULE" in source:
        raise _invalid()
    parts: dict[str, str] = {}
    for item in filter(None, (item.strip() for item in source.split(";"))):
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not value or key in parts:
            raise _invalid()
        if key in _TIME_OF_DAY_PARTS:
            raise ValidationError(
                _(
                    "Leave BYHOUR, BYMINUTE and BYSECOND out of the rule: the time of day "
                    "comes from the first start."
                ),
                code="time_of_day",
            )
        if key not in _PARTS:
            raise _invalid(_("Unknown part: %(part)s.") % {"part": key})
        parts[key] = value
    frequency = parts.get("FREQ")
    if frequency in _SUB_DAILY:
        raise ValidationError(
            _("An event can repeat at most daily (FREQ=DAILY, WEEKLY, MONTHLY or YEARLY)."),
            code="too_frequent",
        )
    if frequency not in _FREQUENCIES:
        raise _invalid()
    if "COUNT" in parts and "UNTIL" in parts:
        raise ValidationError(
            _("A rule ends either after a number of times (COUNT) or on a date (UNTIL)."),
            code="count_and_until",
        )
    for key in ("INTERVAL", "COUNT"):
        if key in parts and not (_NUMBER.fullmatch(parts[key]) and int(parts[key]) >= 1):
            raise _invalid()
    if int(parts.get("INTERVAL", "1")) > 1000:
        raise _invalid()
    if int(parts.get("COUNT", "1")) > MAX_OCCURRENCES:
        raise ValidationError(
            _("A series can have at most %(max)d occurrences."),
            code="too_many",
            params={"max": MAX_OCCURRENCES},
        )
    if "UNTIL" in parts:
        _until_local(parts["UNTIL"], None)
    try:  # dateutil checks the values of the BY* parts
        rrulestr(_format(parts, without=("COUNT", "UNTIL")), dtstart=datetime(2000, 1, 1))
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise _invalid() from error
    return parts


def _format(parts: dict[str, str], without: tuple[str, ...] = ()) -> str:
    return ";".join(f"{key}={parts[key]}" for key in _PARTS if key in parts and key not in without)


def _until_local(value: str, zone: ZoneInfo | None) -> datetime:
    """UNTIL as a naive local datetime: a date means the whole of that local day; a UTC time
    (``...Z``, what RFC 5545 asks for with a zoned DTSTART) is converted to the zone."""
    utc = value.endswith("Z")
    for fmt in _UNTIL_FORMATS:
        try:
            until = datetime.strptime(value.removesuffix("Z"), fmt)
        except ValueError:
            continue
        if fmt == "%Y%m%d":
            return until + timedelta(days=1) - timedelta(microseconds=1)
        if utc and zone is not None:
            return until.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
        return until
    raise _invalid()


# --- Expansion ----------------------------------------------------------------------------


def _local_starts(
    parts: dict[str, str], first: datetime, end: datetime, zone: ZoneInfo | None = None
) -> Iterator[datetime]:
    """Naive local starts from the first one, up to ``end`` (local), UNTIL and COUNT.

    The first start always comes first and counts towards COUNT (RFC 5545), even when the
    rule would not produce it, so COUNT is applied here rather than by dateutil; UNTIL
    and ``end`` bound the iteration. (A rule that matches nothing, e.g. 30 February, still
    makes dateutil search up to the year 9999, about 0.4 s: validate_rule rejects it.)"""
    bound = end
    if "UNTIL" in parts:
        bound = min(end, _until_local(parts["UNTIL"], zone))
    rule = rrulestr(_format(parts, without=("COUNT", "UNTIL")), dtstart=first)
    starts = chain([first], (start for start in rule.replace(until=bound) if start != first))
    if "COUNT" in parts:
        starts = islice(starts, int(parts["COUNT"]))
    yield from starts


def to_utc(local: datetime, tz: str) -> datetime:
    """A naive local time in ``tz`` as UTC: gaps shift forward, ambiguous times take the
    first (fold=0)."""
    return local.replace(tzinfo=ZoneInfo(tz), fold=0).astimezone(UTC)


def occurrences(
    rule: str,
    first_start_local: datetime,
    tz: str,
    duration: timedelta,
    *,
    after: datetime | None = None,
    until: datetime | None = None,
    limit: int = MAX_OCCURRENCES,
) -> list[Occurrence]:
    """The occurrences of a series with UTC-aware starts and ends, in order.

    ``after`` and ``until`` are aware datetimes: occurrences that start at or after
    ``after`` (inclusive, so ``after=occurrence.start`` regenerates "this and all future
    occurrences") and at or before ``until``. Without ``until`` the expansion covers
    HORIZON from ``after`` (or from the first start); it never returns more than ``limit``.
    ``duration`` is elapsed time: a two-hour session across a clock change lasts two hours.
    """
    if first_start_local.tzinfo is not None:
        raise ValueError("first_start_local must be naive (wall-clock time in tz)")
    for bound in (after, until):
        if bound is not None and bound.tzinfo is None:
            raise ValueError("after and until must be timezone-aware")
    parts = _parse(rule)
    zone = ZoneInfo(tz)
    lower = after or to_utc(first_start_local, tz)
    upper = until or lower + HORIZON
    # A day of slack: the local bound only has to contain the UTC window.
    end_local = upper.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
    found: list[Occurrence] = []
    for local in _local_starts(parts, first_start_local, end_local, zone):
        start = to_utc(local, tz)
        if start > upper or len(found) >= limit:
            break
        if start >= lower:
            found.append(Occurrence(local_start=local, start=start, end=start + duration))
    return found


# --- Description --------------------------------------------------------------------------

_EVERY_WEEKDAY = (
    gettext_lazy("Every Monday at %(time)s (%(zone)s)"),
    gettext_lazy("Every Tuesday at %(time)s (%(zone)s)"),
    gettext_lazy("Every Wednesday at %(time)s (%(zone)s)"),
    gettext_lazy("Every Thursday at %(time)s (%(zone)s)"),
    gettext_lazy("Every Friday at %(time)s (%(zone)s)"),
    gettext_lazy("Every Saturday at %(time)s (%(zone)s)"),
    gettext_lazy("Every Sunday at %(time)s (%(zone)s)"),
)

# "the second Tuesday" as whole phrases: ordinals agree with the weekday in Polish.
_NTH_WEEKDAY = {
    1: (
        gettext_lazy("the first Monday"), gettext_lazy("the first Tuesday"),
        gettext_lazy("the first Wednesday"), gettext_lazy("the first Thursday"),
        gettext_lazy("the first Friday"), gettext_lazy("the first Saturday"),
        gettext_lazy("the first Sunday"),
    ),
    2: (
        gettext_lazy("the second Monday"), gettext_lazy("the second Tuesday"),
        gettext_lazy("the second Wednesday"), gettext_lazy("the second Thursday"),
        gettext_lazy("the second Friday"), gettext_lazy("the second Saturday"),
        gettext_lazy("the second Sunday"),
    ),
    3: (
        gettext_lazy("the third Monday"), gettext_lazy("the third Tuesday"),
        gettext_lazy("the third Wednesday"), gettext_lazy("the third Thursday"),
        gettext_lazy("the third Friday"), gettext_lazy("the third Saturday"),
        gettext_lazy("the third Sunday"),
    ),
    4: (
        gettext_lazy("the fourth Monday"), gettext_lazy("the fourth Tuesday"),
        gettext_lazy("the fourth Wednesday"), gettext_lazy("the fourth Thursday"),
        gettext_lazy("the fourth Friday"), gettext_lazy("the fourth Saturday"),
        gettext_lazy("the fourth Sunday"),
    ),
    -1: (
        gettext_lazy("the last Monday"), gettext_lazy("the last Tuesday"),
        gettext_lazy("the last Wednesday"), gettext_lazy("the last Thursday"),
        gettext_lazy("the last Friday"), gettext_lazy("the last Saturday"),
        gettext_lazy("the last Sunday"),
    ),
}  # fmt: skip


def describe(rule: str, first_start_local: datetime, tz: str) -> str:
    """The rule in words in the active language, e.g. "Every Friday at 16:00 (Europe/Warsaw)"
    or "Every month on the second Tuesday at 18:30 (Europe/Warsaw)"; rules without a
    sentence of their own are shown as their text."""
    parts = _parse(rule)
    values = {"time": first_start_local.strftime("%H:%M"), "zone": tz}
    text = _sentence(parts, first_start_local, values)
    if text is None:
        text = _("Repeats by the rule %(rule)s at %(time)s (%(zone)s)") % {
            **values,
            "rule": _format(parts),
        }
    if "COUNT" in parts:
        count = int(parts["COUNT"])
        text = ngettext(
            "%(description)s, %(count)d time", "%(description)s, %(count)d times", count
        ) % {"description": text, "count": count}
    elif "UNTIL" in parts:
        last: date = _until_local(parts["UNTIL"], ZoneInfo(tz)).date()
        text = _("%(description)s, until %(date)s") % {
            "description": text,
            "date": date_format(last, "DATE_FORMAT"),
        }
    return text


def _sentence(parts: dict[str, str], first: datetime, values: dict[str, str]) -> str | None:
    """The sentence for the common rules, or None for the others."""
    frequency, interval = parts["FREQ"], int(parts.get("INTERVAL", "1"))
    others = set(parts) - {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST"}
    if frequency == "DAILY" and interval == 1 and not others:
        return _("Every day at %(time)s (%(zone)s)") % values
    if frequency == "WEEKLY" and others <= {"BYDAY"}:
        codes = parts.get("BYDAY", _DAY_CODES[first.weekday()]).split(",")
        if not set(codes) <= set(_DAY_CODES):
            return None
        days = sorted({_DAY_CODES.index(code) for code in codes})
        if interval == 1 and len(days) == 1:
            return _EVERY_WEEKDAY[days[0]] % values
        names = ", ".join(str(WEEKDAYS[day]) for day in days)
        if interval == 1:
            return _("Every week on %(days)s at %(time)s (%(zone)s)") % {**values, "days": names}
        # Plural forms for 2 and more only: each language's forms all carry the number.
        return ngettext(
            "Every %(count)d week on %(days)s at %(time)s (%(zone)s)",
            "Every %(count)d weeks on %(days)s at %(time)s (%(zone)s)",
            interval,
        ) % {**values, "days": names, "count": interval}
    if frequency == "MONTHLY" and interval == 1 and others == {"BYDAY"}:
        code = parts["BYDAY"]
        week, day = code[:-2], code[-2:]
        if day in _DAY_CODES and re.fullmatch(r"[+-]?[0-9]", week) and int(week) in _NTH_WEEKDAY:
            nth = _NTH_WEEKDAY[int(week)][_DAY_CODES.index(day)]
            return _("Every month on %(day)s at %(time)s (%(zone)s)") % {**values, "day": nth}
        return None
    if frequency == "MONTHLY" and interval == 1 and others == {"BYMONTHDAY"}:
        day = parts["BYMONTHDAY"]
        if _NUMBER.fullmatch(day):
            return _("Every month on day %(number)d at %(time)s (%(zone)s)") % {
                **values,
                "number": int(day),
            }
    return None
