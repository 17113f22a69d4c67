"""The .ics output parses with icalendar and carries the right UTC instants and text."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from townsquare.events.ics import CANCELLED, CalendarEntry, calendar_bytes
from townsquare.events.recurrence import occurrences, weekly_rule

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NASTY = (
    'Ünïcode, commas; semicolons\\ "quotes" <script>alert(1)</script> 😀🎉 '
    "周五社区交流 Zażółć gęślą jaźń"
)


def entry(**fields) -> CalendarEntry:
    values = {
        "uid": "event-1@townsquare.example",
        "title": "Friday community session",
        "starts_at": datetime(2026, 3, 6, 15, 0, tzinfo=UTC),
        "ends_at": datetime(2026, 3, 6, 16, 0, tzinfo=UTC),
    }
    return CalendarEntry(**{**values, **fields})


def parse(entries, **options) -> Calendar:
    return Calendar.from_ical(calendar_bytes(entries, name="Townsquare", now=NOW, **options))


def test_calendar_and_event_properties():
    warsaw = ZoneInfo("Europe/Warsaw")
    raw = calendar_bytes(
        [
            entry(
                starts_at=datetime(2026, 3, 6, 16, 0, tzinfo=warsaw),  # any zone: written in UTC
                ends_at=datetime(2026, 3, 6, 17, 30, tzinfo=warsaw),
                description="Bring questions.",
                location="Online",
                url="https://townsquare.example/events/1",
                sequence=3,
                last_modified=datetime(2026, 2, 20, 9, 15, tzinfo=UTC),
                organizer="Ola Nowak",
                organizer_uri="https://townsquare.example/u/ola",
            )
        ],
        name="Townsquare events",
        now=NOW,
    )
    assert b"DTSTART:20260306T150000Z\r\n" in raw
    assert b"DTEND:20260306T163000Z\r\n" in raw
    calendar = Calendar.from_ical(raw)
    assert str(calendar["PRODID"]) == "-//Townsquare//Events//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Townsquare events"
    assert "REFRESH-INTERVAL" not in calendar
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "event-1@townsquare.example"
    assert event.decoded("DTSTAMP") == NOW
    assert event.decoded("DTSTART") == datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 3, 6, 16, 30, tzinfo=UTC)
    assert event.decoded("DTSTART").tzinfo is not None
    assert str(event["SUMMARY"]) == "Friday community session"
    assert str(event["DESCRIPTION"]) == "Bring questions."
    assert str(event["LOCATION"]) == "Online"
    assert str(event["URL"]) == "https://townsquare.example/events/1"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("SEQUENCE") == 3
    assert event.decoded("LAST-MODIFIED") == datetime(2026, 2, 20, 9, 15, tzinfo=UTC)
    assert str(event["ORGANIZER"]) == "https://townsquare.example/u/ola"
    assert event["ORGANIZER"].params["CN"] == "Ola Nowak"


def test_feed_refresh_interval():
    calendar = parse([entry()], refresh=timedelta(hours=1))
    assert calendar.decoded("REFRESH-INTERVAL") == timedelta(hours=1)
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert str(calendar["X-PUBLISHED-TTL"]) == "PT1H"


def test_nasty_text_is_escaped_and_comes_back_intact():
    description = f"Line one\r\nLine two\rLine three\n{NASTY}\x00\x1b"
    raw = calendar_bytes(
        [
            entry(
                title=NASTY,
                description=description,
                location="Kraków, ul. Długa 1; 2nd floor",
                organizer='Zoë "Boss", PhD\nline',
                organizer_uri="https://townsquare.example/u/zoe",
            )
        ],
        name=f"Cal {NASTY}",
        now=NOW,
    )
    # Folded at 75 octets (the continuation's leading space counts), never inside a character.
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75
        line.decode()
    assert b"\\, commas\\; semicolons\\\\" in raw  # RFC 5545 TEXT escaping
    assert b"\x00" not in raw and b"\x1b" not in raw
    calendar = Calendar.from_ical(raw)
    assert str(calendar["X-WR-CALNAME"]) == f"Cal {NASTY}"
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == NASTY
    assert str(event["DESCRIPTION"]) == f"Line one\nLine two\nLine three\n{NASTY}"
    assert str(event["LOCATION"]) == "Kraków, ul. Długa 1; 2nd floor"
    assert event["ORGANIZER"].params["CN"] == 'Zoë "Boss", PhD line'
    assert len(event.walk("VEVENT")) == 1  # no text became a component


def test_cancelled_entries_say_so():
    calendar = parse([entry(status=CANCELLED, sequence=2), entry(uid="event-2@x")])
    first, second = calendar.walk("VEVENT")
    assert (str(first["STATUS"]), first.decoded("SEQUENCE")) == ("CANCELLED", 2)
    assert str(second["STATUS"]) == "CONFIRMED"


def test_entries_refuse_what_a_calendar_cannot_carry():
    with pytest.raises(ValueError, match="aware"):
        entry(starts_at=datetime(2026, 3, 6, 15, 0))
    with pytest.raises(ValueError, match="end before"):
        entry(ends_at=datetime(2026, 3, 6, 14, 0, tzinfo=UTC))
    with pytest.raises(ValueError, match="status"):
        entry(status="tentative")
    with pytest.raises(ValueError, match="organizer_uri"):
        entry(organizer="Ola")


def test_weekly_warsaw_series_end_to_end_across_the_clock_change():
    """recurrence -> entries -> .ics -> icalendar -> 16:00 in Warsaw every Friday."""
    warsaw = ZoneInfo("Europe/Warsaw")
    first = datetime(2026, 3, 13, 16, 0)
    series = occurrences(weekly_rule(first), first, "Europe/Warsaw", timedelta(minutes=90), limit=6)
    entries = [
        entry(
            uid=f"series-7-{o.start:%Y%m%dT%H%M%SZ}@townsquare.example",
            starts_at=o.start,
            ends_at=o.end,
        )
        for o in series
    ]
    events = parse(entries).walk("VEVENT")
    starts = [event.decoded("DTSTART") for event in events]
    assert [start.astimezone(UTC).hour for start in starts] == [15, 15, 15, 14, 14, 14]
    for event in events:
        start = event.decoded("DTSTART").astimezone(warsaw)
        assert (start.strftime("%A %H:%M")) == "Friday 16:00"
        assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=90)
    assert len({str(event["UID"]) for event in events}) == 6
