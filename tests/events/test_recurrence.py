"""Recurrence rules: validation, presets, expansion in local time across clock changes, and
the rule in words. Pure functions: no database."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from townsquare.events.recurrence import (
    MAX_OCCURRENCES,
    describe,
    monthly_rule,
    occurrences,
    validate_rule,
    weekly_rule,
)

WARSAW = "Europe/Warsaw"
HOUR = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- Every Friday 16:00 Europe/Warsaw keeps 16:00 local -------------------------------------


def test_weekly_keeps_the_local_hour_across_the_spring_change():
    first = datetime(2026, 3, 13, 16, 0)  # Friday; clocks go forward on Sunday 29 March
    found = occurrences(weekly_rule(first), first, WARSAW, HOUR, until=utc(2026, 4, 11))
    assert [o.start for o in found] == [
        utc(2026, 3, 13, 15), utc(2026, 3, 20, 15), utc(2026, 3, 27, 15),  # CET, UTC+1
        utc(2026, 4, 3, 14), utc(2026, 4, 10, 14),  # CEST, UTC+2
    ]  # fmt: skip
    assert [o.end - o.start for o in found] == [HOUR] * 5
    for occurrence in found:
        local = occurrence.start.astimezone(ZoneInfo(WARSAW))
        assert (local.weekday(), local.hour, local.minute) == (4, 16, 0)
        assert occurrence.local_start == local.replace(tzinfo=None)


def test_weekly_keeps_the_local_hour_across_the_autumn_change():
    first = datetime(2026, 10, 16, 16, 0)  # clocks go back on Sunday 25 October
    found = occurrences("FREQ=WEEKLY;BYDAY=FR", first, WARSAW, HOUR, until=utc(2026, 11, 1))
    assert [o.start for o in found] == [
        utc(2026, 10, 16, 14),
        utc(2026, 10, 23, 14),
        utc(2026, 10, 30, 15),
    ]


def test_a_time_in_the_spring_gap_moves_forward_and_an_ambiguous_one_takes_summer_time():
    spring = occurrences("FREQ=DAILY;COUNT=3", datetime(2026, 3, 28, 2, 30), WARSAW, HOUR)
    # 02:30 does not exist on 29 March: it becomes 03:30 summer time, 01:30 UTC.
    assert [o.start for o in spring] == [
        utc(2026, 3, 28, 1, 30),
        utc(2026, 3, 29, 1, 30),
        utc(2026, 3, 30, 0, 30),
    ]
    assert spring[1].start.astimezone(ZoneInfo(WARSAW)).hour == 3
    autumn = occurrences("FREQ=DAILY;COUNT=3", datetime(2026, 10, 24, 2, 30), WARSAW, HOUR)
    # 02:30 happens twice on 25 October: the first one (summer time, fold=0).
    assert [o.start for o in autumn] == [
        utc(2026, 10, 24, 0, 30),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 26, 1, 30),
    ]


def test_duration_is_elapsed_time_across_a_clock_change():
    (session,) = occurrences(
        "FREQ=WEEKLY;COUNT=1", datetime(2026, 3, 29, 1, 0), WARSAW, timedelta(hours=3)
    )
    assert session.start == utc(2026, 3, 29, 0)
    assert session.end == utc(2026, 3, 29, 3)  # 05:00 summer time: three hours later


ZONES = ["Europe/Warsaw", "America/New_York", "Asia/Shanghai", "Australia/Lord_Howe", "UTC"]


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    first=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
)
def test_every_occurrence_is_its_local_start_in_the_zone(zone, first):
    """Each start read back in the zone is the rule's wall-clock time, except in a gap,
    where it is later by at most the gap (two hours covers every zone here)."""
    first = first.replace(second=0, microsecond=0)
    found = occurrences(weekly_rule(first), first, zone, HOUR, limit=60)
    assert len(found) == 60
    for occurrence in found:
        assert occurrence.start.tzinfo == UTC
        local = occurrence.start.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        assert local.weekday() == first.weekday() or local.date() != occurrence.local_start.date()
        assert timedelta(0) <= local - occurrence.local_start <= timedelta(hours=2)
        if local != occurrence.local_start:  # only a local time that does not exist moves
            back = occurrence.local_start.replace(tzinfo=ZoneInfo(zone))
            assert back.astimezone(UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None) != (
                occurrence.local_start
            )


# --- Windows: after, until, limit, COUNT, UNTIL ----------------------------------------------


def test_after_regenerates_this_and_all_future_occurrences():
    first = datetime(2026, 1, 2, 16, 0)
    series = occurrences(weekly_rule(first), first, WARSAW, HOUR, until=utc(2026, 6, 1))
    future = occurrences(
        weekly_rule(first), first, WARSAW, HOUR, after=series[10].start, until=utc(2026, 6, 1)
    )
    assert future == series[10:]


def test_until_is_inclusive_and_limit_caps():
    first = datetime(2026, 1, 2, 16, 0)
    found = occurrences(weekly_rule(first), first, WARSAW, HOUR, until=utc(2026, 1, 16, 15))
    assert [o.start for o in found] == [
        utc(2026, 1, 2, 15),
        utc(2026, 1, 9, 15),
        utc(2026, 1, 16, 15),
    ]
    assert len(occurrences(weekly_rule(first), first, WARSAW, HOUR, limit=4)) == 4


def test_without_until_an_expansion_covers_two_years():
    first = datetime(2026, 1, 2, 16, 0)
    found = occurrences(weekly_rule(first), first, WARSAW, HOUR)
    assert found[-1].start <= utc(2028, 1, 3, 15)
    assert len(found) == 105
    later = occurrences(weekly_rule(first), first, WARSAW, HOUR, after=utc(2030, 1, 1))
    assert (later[0].start, later[-1].start) == (utc(2030, 1, 4, 15), utc(2031, 12, 26, 15))
    assert len(later) == 104  # up to 2 January 2032, two years (731 days) after 1 January


def test_the_first_start_counts_even_when_the_rule_would_not_produce_it():
    first = datetime(2026, 3, 5, 18, 0)  # a Thursday, for a rule of Fridays
    found = occurrences("FREQ=WEEKLY;BYDAY=FR;COUNT=3", first, WARSAW, HOUR)
    assert [o.local_start for o in found] == [
        first,
        datetime(2026, 3, 6, 18),
        datetime(2026, 3, 13, 18),
    ]


def test_until_as_a_date_includes_that_local_day_and_utc_until_is_converted():
    first = datetime(2026, 3, 6, 23, 30)
    by_date = occurrences("FREQ=WEEKLY;UNTIL=20260320", first, WARSAW, HOUR)
    assert [o.local_start.day for o in by_date] == [6, 13, 20]
    # 22:30 UTC on 20 March is 23:30 in Warsaw: the last occurrence is included.
    by_utc = occurrences("FREQ=WEEKLY;UNTIL=20260320T223000Z", first, WARSAW, HOUR)
    assert [o.local_start.day for o in by_utc] == [6, 13, 20]


def test_naive_bounds_and_an_aware_first_start_are_refused():
    with pytest.raises(ValueError):
        occurrences("FREQ=DAILY", datetime(2026, 1, 1), WARSAW, HOUR, after=datetime(2026, 2, 1))
    with pytest.raises(ValueError):
        occurrences("FREQ=DAILY", datetime(2026, 1, 1, tzinfo=UTC), WARSAW, HOUR)


# --- Presets --------------------------------------------------------------------------------


def test_presets():
    second_tuesday = datetime(2026, 3, 10, 18, 30)
    assert weekly_rule(second_tuesday) == "FREQ=WEEKLY;BYDAY=TU"
    assert monthly_rule(second_tuesday) == "FREQ=MONTHLY;BYDAY=2TU"
    assert monthly_rule(second_tuesday, on="day") == "FREQ=MONTHLY;BYMONTHDAY=10"
    assert monthly_rule(datetime(2026, 3, 31, 18, 30)) == "FREQ=MONTHLY;BYDAY=-1TU"
    found = occurrences(monthly_rule(second_tuesday), second_tuesday, WARSAW, HOUR, limit=4)
    assert [o.local_start.date().isoformat() for o in found] == [
        "2026-03-10", "2026-04-14", "2026-05-12", "2026-06-09"
    ]  # fmt: skip
    assert {o.start.astimezone(ZoneInfo(WARSAW)).strftime("%a %H:%M") for o in found} == {
        "Tue 18:30"
    }


def test_monthly_on_the_31st_skips_shorter_months():
    first = datetime(2026, 1, 31, 10, 0)
    found = occurrences(monthly_rule(first, on="day"), first, WARSAW, HOUR, limit=4)
    assert [o.local_start.month for o in found] == [1, 3, 5, 7]


# --- Validation -----------------------------------------------------------------------------


def test_validate_rule_normalises():
    assert validate_rule(" rrule:byday=fr; freq=weekly ;") == "FREQ=WEEKLY;BYDAY=FR"
    assert validate_rule("FREQ=MONTHLY;BYDAY=-1TU", first_start_local=datetime(2026, 3, 31))
    assert validate_rule("FREQ=DAILY;COUNT=500", first_start_local=datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ("", "invalid"),
        ("every friday", "invalid"),
        ("FREQ=FORTNIGHTLY", "invalid"),
        ("FREQ=WEEKLY;BYDAY=XX", "invalid"),
        ("FREQ=WEEKLY;INTERVAL=0", "invalid"),
        ("FREQ=WEEKLY;COUNT=-1", "invalid"),
        ("FREQ=WEEKLY;X-COLOUR=RED", "invalid"),
        ("FREQ=WEEKLY;FREQ=DAILY", "invalid"),
        ("FREQ=WEEKLY;UNTIL=tomorrow", "invalid"),
        ("RRULE:FREQ=WEEKLY\nRRULE:FREQ=DAILY", "invalid"),
        ("FREQ=HOURLY", "too_frequent"),
        ("FREQ=MINUTELY;INTERVAL=30", "too_frequent"),
        ("FREQ=DAILY;BYHOUR=9,17", "time_of_day"),
        ("DTSTART:20260306T160000\nRRULE:FREQ=WEEKLY", "dtstart"),
        ("FREQ=WEEKLY;DTSTART=20260306T160000", "dtstart"),
        ("DTSTART;TZID=Europe/Warsaw:20260306T160000\nRRULE:FREQ=WEEKLY", "dtstart"),
        ("FREQ=WEEKLY;COUNT=5;UNTIL=20270101", "count_and_until"),
        ("FREQ=WEEKLY;COUNT=501", "too_many"),
        ("FREQ=DAILY", "too_many"),  # 731 in two years
        ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "too_many"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "no_repeat"),
        ("FREQ=WEEKLY;UNTIL=20250101", "no_repeat"),
    ],
)
def test_validate_rule_refuses_with_a_clear_message(rule, code):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validate_rule(rule, first_start_local=datetime(2026, 3, 6, 16))
    assert refused.value.code == code
    assert refused.value.messages[0].endswith(".")


def test_too_many_names_the_cap():
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validate_rule("FREQ=DAILY", first_start_local=datetime(2026, 3, 6, 16))
    assert str(MAX_OCCURRENCES) in refused.value.messages[0]


# --- In words -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "first", "text"),
    [
        ("FREQ=WEEKLY;BYDAY=FR", datetime(2026, 3, 6, 16), "Every Friday at 16:00 (Europe/Warsaw)"),
        ("FREQ=WEEKLY", datetime(2026, 3, 6, 16), "Every Friday at 16:00 (Europe/Warsaw)"),
        (
            "FREQ=DAILY;COUNT=10", datetime(2026, 3, 6, 7, 5),
            "Every day at 07:05 (Europe/Warsaw), 10 times",
        ),
        (
            "FREQ=MONTHLY;BYDAY=2TU", datetime(2026, 3, 10, 18, 30),
            "Every month on the second Tuesday at 18:30 (Europe/Warsaw)",
        ),
        (
            "FREQ=MONTHLY;BYDAY=-1TH", datetime(2026, 3, 26, 18, 30),
            "Every month on the last Thursday at 18:30 (Europe/Warsaw)",
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=15", datetime(2026, 3, 15, 9),
            "Every month on day 15 at 09:00 (Europe/Warsaw)",
        ),
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE,MO", datetime(2026, 3, 9, 12),
            "Every 2 weeks on Monday, Wednesday at 12:00 (Europe/Warsaw)",
        ),
        (
            "FREQ=WEEKLY;BYDAY=TU;UNTIL=20260630", datetime(2026, 3, 10, 12),
            "Every Tuesday at 12:00 (Europe/Warsaw), until June 30, 2026",
        ),
        (
            "FREQ=YEARLY;BYMONTH=3;BYDAY=1SU", datetime(2026, 3, 1, 12),
            "Repeats by the rule FREQ=YEARLY;BYMONTH=3;BYDAY=1SU at 12:00 (Europe/Warsaw)",
        ),
    ],
)  # fmt: skip
def test_describe(rule, first, text):
    with translation.override("en"):
        assert describe(rule, first, WARSAW) == text


RULE_WORDS = st.sampled_from(
    ["FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYSETPOS", "BYMONTH",
     "WEEKLY", "DAILY", "MONTHLY", "YEARLY", "HOURLY", "=", ";", ",", "-", "+", ":", "RRULE",
     "MO", "2TU", "-1FR", "0", "1", "5", "²", "٣", "99999999999999", "20261231", "T", "Z", "\n"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=60), st.lists(RULE_WORDS, max_size=14).map("".join)))
def test_any_text_is_a_rule_or_a_validation_error(text):
    try:
        rule = validate_rule(text)
    except ValidationError:
        return
    assert validate_rule(rule) == rule  # the normal form is stable
    occurrences(rule, datetime(2026, 3, 6, 16), WARSAW, HOUR, limit=3)
