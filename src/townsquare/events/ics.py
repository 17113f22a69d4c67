"""iCalendar (RFC 5545) output: one event's ``.ics`` file and a member's calendar feed.

Times are written in UTC (``DTSTART:20260306T150000Z``): every common calendar app (Google,
Apple, Outlook, Thunderbird) imports UTC instants reliably and shows them in the reader's
own zone, with no VTIMEZONE to get wrong. Each occurrence of a series is its own VEVENT
with its own UID rather than an RRULE, so an occurrence moved or cancelled on its own is
exactly what the calendar shows. Escaping and line folding (75 octets) are icalendar's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vDuration

PRODID = "-//Townsquare//Events//EN"
CONFIRMED = "confirmed"
CANCELLED = "cancelled"

# Control characters other than tab and newline have no place in calendar text (a lone
# one can break a line-oriented file for a strict reader).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class CalendarEntry:
    """One VEVENT. ``starts_at``, ``ends_at`` and ``last_modified`` are timezone-aware;
    ``sequence`` goes up with each change attendees should see (time, place, cancellation),
    so calendar apps replace their copy. ``organizer_uri`` (e.g. the host's profile page)
    is required with an ``organizer`` name: RFC 5545 gives ORGANIZER an address."""

    uid: str
    title: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    location: str = ""
    url: str = ""
    status: str = CONFIRMED
    sequence: int = 0
    last_modified: datetime | None = None
    organizer: str = ""
    organizer_uri: str = ""

    def __post_init__(self) -> None:
        for moment in (self.starts_at, self.ends_at, self.last_modified):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("calendar times must be timezone-aware")
        if self.ends_at < self.starts_at:
            raise ValueError("an event cannot end before it starts")
        if self.status not in (CONFIRMED, CANCELLED):
            raise ValueError(f"unknown status {self.status!r}")
        if self.organizer and not self.organizer_uri:
            raise ValueError("an organizer needs an organizer_uri")


def calendar_bytes(
    entries: Iterable[CalendarEntry],
    *,
    name: str,
    refresh: timedelta | None = None,
    now: datetime | None = None,
) -> bytes:
    """A VCALENDAR (METHOD:PUBLISH) holding ``entries``, as bytes to serve with
    ``text/calendar; charset=utf-8``. ``refresh`` is how often a subscribed feed should be
    fetched again (REFRESH-INTERVAL, and X-PUBLISHED-TTL for Outlook and Apple); ``now`` is
    the DTSTAMP, the moment the file was made."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _text(name))
    if refresh is not None:
        calendar.add("refresh-interval", vDuration(refresh), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(refresh))
    for entry in entries:
        calendar.add_component(_event(entry, stamp))
    return calendar.to_ical()


def _event(entry: CalendarEntry, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", entry.starts_at.astimezone(UTC))
    event.add("dtend", entry.ends_at.astimezone(UTC))
    event.add("summary", _text(entry.title))
    if entry.description:
        event.add("description", _text(entry.description))
    if entry.location:
        event.add("location", _text(entry.location))
    if entry.url:
        event.add("url", entry.url)
    event.add("status", entry.status.upper())
    event.add("sequence", entry.sequence)
    if entry.last_modified is not None:
        event.add("last-modified", entry.last_modified.astimezone(UTC))
    if entry.organizer:
        event.add(
            "organizer", entry.organizer_uri, parameters={"CN": " ".join(entry.organizer.split())}
        )
    return event


def _text(value: str) -> str:
    """Plain text for a TEXT property: one newline convention, no control characters."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
