"""Hand-built histories: members made directly (no sign-up events of their own), and
events and page views written straight into the log at chosen times."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import count

import pytest

from townsquare.accounts.models import User
from townsquare.core.models import ActivityEvent, PageView

_numbers = count()


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def person(handle: str | None = None) -> User:
    handle = handle or f"m{next(_numbers)}"
    return User.objects.create(handle=handle, email=f"{handle}@example.com", display_name=handle)


def event(actor: User | None, verb: str, day: date, hour: int = 12, **data) -> ActivityEvent:
    return ActivityEvent.objects.create(actor=actor, verb=verb, created_at=at(day, hour), data=data)


def view(day: date, key: str, *, user: User | None = None, source="direct", referrer="", hour=12):
    return PageView.objects.create(
        created_at=at(day, hour),
        user=user,
        visitor_key=key,
        path="/",
        source=source,
        referrer_host=referrer,
        status=200,
    )


@pytest.fixture
def day() -> date:
    """A fixed day in the past, well inside every window."""
    return date(2026, 3, 31)


def days_before(day: date, n: int) -> date:
    return day - timedelta(days=n)
