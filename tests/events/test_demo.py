"""The demo's events: a weekly Friday session in Warsaw time with its past occurrences
held (checked in, a recording each) and the next ones answered, a monthly AMA with a
guest host, a hybrid meetup with a waiting list; loaded once, and on the analytics page."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.analytics import metrics, rollups
from townsquare.analytics.periods import Period
from townsquare.core.models import ActivityEvent
from townsquare.events import demo
from townsquare.events.models import (
    Event,
    EventFormat,
    EventStatus,
    Registration,
    RegistrationStatus,
    ResourceKind,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(guidelines):
    make_member("maja", guidelines, role=Role.MANAGER)
    return [make_member(f"member{n}", guidelines) for n in range(20)]


def test_the_demo_events(people):
    now = timezone.now()
    found = demo.load()
    assert found["held"] == demo.PAST_WEEKS or found["held"] == demo.PAST_WEEKS + 1
    sessions = Event.objects.filter(title=demo.SESSION).order_by("starts_at")
    assert sessions.values("series").distinct().count() == 1
    for session in sessions:  # Fridays at 16:00 in Warsaw, summer time or not
        local = session.starts_at.astimezone(ZoneInfo("Europe/Warsaw"))
        assert (local.weekday(), local.hour, local.minute) == (4, 16, 0)
    held = sessions.filter(status=EventStatus.FINISHED)
    assert held.count() == found["held"] and not held.filter(ends_at__gt=now).exists()
    assert not sessions.filter(ends_at__lte=now).exclude(status=EventStatus.FINISHED).exists()
    for event in held:
        assert event.resources.filter(kind=ResourceKind.RECORDING).count() == 1
        assert event.registrations.exclude(checked_in_at=None).exists()
        assert event.follow_up_sent_at == event.ends_at
    checked_in = Registration.objects.filter(event__in=held).exclude(checked_in_at=None)
    assert checked_in.count() == found["attendees"]
    # The history is backdated: each answer and check-in at its own time, not now.
    attended = ActivityEvent.objects.filter(verb="event.attended")
    assert attended.count() == found["attendees"]
    assert not attended.filter(created_at__gt=now - timedelta(days=1)).exists()
    upcoming = sessions.filter(status=EventStatus.PUBLISHED)
    assert upcoming.exists() and not sessions.filter(status=EventStatus.DRAFT).exists()
    assert Registration.objects.filter(event__in=upcoming).count() == found["answers"] == 20

    ama = Event.objects.filter(title=demo.AMA).order_by("starts_at").first()
    assert [(h.name, h.title) for h in ama.hosts.exclude(name="")] == [
        ("Anna Nowak", "Head of Product")
    ]
    assert ama.series.rule.startswith("FREQ=MONTHLY")
    meetup = Event.objects.get(title=demo.MEETUP)
    assert meetup.format == EventFormat.HYBRID and meetup.venue and meetup.address
    assert meetup.video_url and meetup.capacity == 8
    statuses = list(meetup.registrations.values_list("status", flat=True))
    assert statuses.count(RegistrationStatus.GOING) == 8
    assert statuses.count(RegistrationStatus.WAITLISTED) == 3

    # Loaded once: a second run adds nothing.
    counts = (Event.objects.count(), Registration.objects.count(), ActivityEvent.objects.count())
    assert demo.load() == {}
    assert (Event.objects.count(), Registration.objects.count(), ActivityEvent.objects.count()) == (
        counts
    )

    # On the analytics page: the sessions held (all in the last 70 days).
    rollups.rebuild()
    period = Period.ending(now.date(), 70)
    assert metrics.series("events_held", period).total == found["held"]
    assert metrics.series("attendance_rate", period).total > 50
    assert metrics.series("repeat_attendees", period).total > 0
