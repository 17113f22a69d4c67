"""Events metrics: a hand-built history of answers and check-ins, the aggregates the
rollup keeps (full and hourly), the page, CSV and the API.

Every expected figure is worked out by hand from the history in ``history``. The period
is the 7 days 2026-03-10..03-16; the previous one 03-03..03-09.
"""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.analytics.conftest import person
from tests.api.conftest import Api
from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.analytics import events, events_rollup, metrics, rollups
from townsquare.analytics.models import EventAttendee, EventFact
from townsquare.analytics.periods import Period
from townsquare.core import activity
from townsquare.events.models import Event, EventStatus
from townsquare.surveys import actions as survey_actions

pytestmark = pytest.mark.django_db
PERIOD = Period(date(2026, 3, 10), date(2026, 3, 16))
URL = "/manage/analytics/events/"
QUERY = "?from=2026-03-10&to=2026-03-16"


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def make(title: str, ends: datetime, status: str = EventStatus.FINISHED) -> Event:
    return Event.objects.create(
        title=title, slug="e", starts_at=ends - timedelta(hours=2), ends_at=ends, status=status
    )


def rsvp(member, event: Event, status: str, when: datetime) -> None:
    activity.record(member, "event.rsvp", event, at=when, status=status)


def promoted(member, event: Event, when: datetime) -> None:
    activity.record(member, "event.promoted", event, at=when)


def attended(member, event: Event, when: datetime) -> None:
    activity.record(member, "event.attended", event, at=when)


@pytest.fixture
def history():
    ann, bob, cat, dan, eve = (person(name) for name in ("ann", "bob", "cat", "dan", "eve"))
    old = make("Old meetup", at(3, 6, 18))  # previous period
    kickoff = make("Kick-off", at(3, 11, 15))
    workshop = make("Workshop", at(3, 14, 17))
    cancelled = make("Cancelled talk", at(3, 15, 17), EventStatus.CANCELLED)
    upcoming = make("Next week", at(3, 20, 17), EventStatus.PUBLISHED)
    make("A draft", at(3, 12, 17), EventStatus.DRAFT)

    rsvp(ann, old, "going", at(3, 1))
    rsvp(bob, old, "going", at(3, 2))
    attended(ann, old, at(3, 6, 17))
    attended(bob, old, at(3, 6, 17))

    rsvp(ann, kickoff, "going", at(3, 5))  # an RSVP of the previous period
    attended(ann, kickoff, at(3, 11, 14))
    rsvp(bob, kickoff, "going", at(3, 10))
    attended(bob, kickoff, at(3, 11, 14))
    rsvp(cat, kickoff, "going", at(3, 10, 9))  # going, not going, going: one RSVP, 03-10
    rsvp(cat, kickoff, "not_going", at(3, 10, 10))
    rsvp(cat, kickoff, "going", at(3, 11, 8))  # ... and a no-show
    rsvp(dan, kickoff, "waitlisted", at(3, 9))  # not going yet
    promoted(dan, kickoff, at(3, 10))  # going from 03-10; a no-show
    rsvp(eve, kickoff, "maybe", at(3, 10))
    attended(eve, kickoff, at(3, 11, 14))  # came anyway: going and attended, no RSVP

    rsvp(ann, workshop, "going", at(3, 12))
    attended(ann, workshop, at(3, 14, 16))
    rsvp(bob, workshop, "going", at(3, 12))  # a no-show
    rsvp(cat, cancelled, "going", at(3, 12))
    rsvp(dan, upcoming, "going", at(3, 13))
    activity.record(None, "event.rsvp", kickoff, at=at(3, 10), status="going")  # no member

    survey_actions.answer(None, "csat", 5, member=ann, context=f"event:{kickoff.pk}", at=at(3, 12))
    survey_actions.answer(None, "csat", 4, member=bob, context=f"event:{kickoff.pk}", at=at(3, 12))
    survey_actions.answer(None, "csat", 1, member=bob, context="topic:7", at=at(3, 12))
    rollups.rebuild()
    return {
        "ann": ann,
        "bob": bob,
        "dan": dan,
        "eve": eve,
        "kickoff": kickoff,
        "workshop": workshop,
    }


def test_the_rollup_keeps_one_row_per_event_and_member(history):
    facts = {fact.title: fact for fact in EventFact.objects.all()}
    assert set(facts) == {"Old meetup", "Kick-off", "Workshop", "Cancelled talk", "Next week"}
    # Kick-off: going ann, bob, cat, dan (promoted), eve (checked in); came ann, bob, eve.
    assert (facts["Kick-off"].going, facts["Kick-off"].attended) == (5, 3)
    assert facts["Kick-off"].held and facts["Kick-off"].held_on == date(2026, 3, 11)
    assert not facts["Cancelled talk"].held and not facts["Next week"].held
    dan = EventAttendee.objects.get(event_id=history["kickoff"].pk, member_id=history["dan"].pk)
    assert (dan.going_on, dan.going, dan.attended) == (date(2026, 3, 10), True, False)


def test_figures_worked_out_by_hand(history):
    now = {key: metrics.series(key, PERIOD).total for key, *_rest in events.FIGURES}
    # Held: kick-off and workshop. RSVPs from 03-10: bob, cat, dan at the kick-off, ann
    # and bob at the workshop, cat at the cancelled talk, dan at next week's: 7.
    # Attendance: (3 + 1) ÷ (5 + 2). No-shows: cat, dan; bob. Repeat: ann (2 events).
    assert now == {
        "events_held": 2,
        "event_rsvps": 7,
        "attendance_rate": 57.14,
        "no_shows": 3,
        "repeat_attendees": 1,
    }
    before = {key: metrics.series(key, PERIOD.previous()).total for key, *_r in events.FIGURES}
    # The old meetup (2 going, 2 came); ann's answer of 03-05 to the kick-off.
    assert before == {
        "events_held": 1,
        "event_rsvps": 1,
        "attendance_rate": 100.0,
        "no_shows": 0,
        "repeat_attendees": 0,
    }
    held = dict(metrics.series("events_held", PERIOD).series)
    assert held[date(2026, 3, 11)] == 1 and held[date(2026, 3, 14)] == 1
    assert sum(held.values()) == 2 and len(held) == 7
    assert dict(metrics.series("event_rsvps", PERIOD).series)[date(2026, 3, 10)] == 3
    assert metrics.series("events_held", PERIOD, categories=[1]).total is None


def test_the_events_table_and_the_most_engaged(history):
    lines = events.held_events(PERIOD)
    assert [(x.title, x.going, x.attended, x.no_shows, x.feedback) for x in lines] == [
        ("Kick-off", 5, 3, 2, 4.5),  # the topic's rating is not the event's
        ("Workshop", 2, 1, 1, None),
    ]
    top = [(item.member.handle, item.attended) for item in events.most_engaged(PERIOD)]
    assert top == [("ann", 2), ("bob", 1), ("eve", 1)]


def test_the_hourly_run_follows_new_check_ins_and_finishing(history):
    rollups.rollup_recent()  # nothing new: the same rows
    assert metrics.series("no_shows", PERIOD).total == 3
    attended(history["bob"], history["workshop"], at(3, 14, 16))
    upcoming = Event.objects.get(title="Next week")
    Event.objects.filter(pk=upcoming.pk).update(ends_at=at(3, 16, 17), starts_at=at(3, 16, 15))
    Event.objects.filter(pk=upcoming.pk).update(status=EventStatus.FINISHED)
    activity.record(None, "event.finished", upcoming, at=at(3, 16, 17))
    rollups.rollup_recent()
    incremental = sorted(EventAttendee.objects.values_list("event_id", "member_id", "attended"))
    # Workshop: bob came (no-shows 3 → 2); next week's event held, dan did not come.
    assert metrics.series("events_held", PERIOD).total == 3
    assert metrics.series("no_shows", PERIOD).total == 3
    assert metrics.series("attendance_rate", PERIOD).total == round(100 * 5 / 8, 2)
    assert metrics.series("repeat_attendees", PERIOD).total == 2  # ann and bob
    events_rollup.refresh()
    assert sorted(EventAttendee.objects.values_list("event_id", "member_id", "attended")) == (
        incremental
    )
    # A member deleted: their answers and check-ins leave the figures on the next run.
    eve = history["eve"]
    activity.record(None, "member.deleted", eve, at=at(3, 16, 18))
    eve.delete()
    rollups.rollup_recent()
    assert not EventAttendee.objects.filter(member_id=eve.pk).exists()
    assert metrics.series("attendance_rate", PERIOD).total == round(100 * 4 / 7, 2)
    Event.objects.filter(pk=upcoming.pk).delete()
    activity.record(None, "event.removed", upcoming, at=at(3, 16, 18))
    rollups.rollup_recent()
    assert not EventFact.objects.filter(event_id=upcoming.pk).exists()
    assert not EventAttendee.objects.filter(event_id=upcoming.pk).exists()


# --- The page, CSV and the API ------------------------------------------------------------


@pytest.fixture
def manager_client(guidelines) -> Client:
    client = Client()
    client.force_login(make_member("maja", guidelines, role=Role.MANAGER))
    return client


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_only_managers_see_it(client, member_client):
    assert client.get(URL).status_code == 302
    assert member_client.get(URL).status_code == 403
    assert member_client.get(URL + "?format=csv&table=events").status_code == 403


def test_the_page(manager_client, history):
    response = manager_client.get(URL + QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    rows = {row.key: row for row in response.context["summary"]}
    assert (rows["events_held"].current, rows["events_held"].previous) == (2, 1)
    assert rows["events_held"].change == 100.0
    assert "Members checked in at 2 or more" in html  # the definition
    assert "Kick-off" in html and "Most engaged attendees" in html
    assert 'aria-current="page">Events' in html
    assert (
        'href="/manage/analytics/events/"'
        in manager_client.get("/manage/analytics/").content.decode()
    )


def test_every_table_as_csv(manager_client, history):
    summary = read_csv(manager_client.get(URL + QUERY + "&format=csv&table=summary"))
    assert summary[1][:3] == ["Events held", "2", "1"]
    assert summary[3][:3] == ["Attendance rate", "57.14 %", "100 %"]
    table = read_csv(manager_client.get(URL + QUERY + "&format=csv&table=events"))
    assert table[0] == ["Event", "Date (UTC)", "Going", "Attended", "No-shows", "Feedback (1–5)"]
    assert table[1] == ["Kick-off", "2026-03-11 13:00", "5", "3", "2", "4.5"]
    assert table[2][-1] == ""
    people = read_csv(manager_client.get(URL + QUERY + "&format=csv&table=attendees"))
    assert people[1:] == [["ann", "2"], ["bob", "1"], ["eve", "1"]]
    assert manager_client.get(URL + "?format=csv&table=nope").status_code == 404


def test_the_page_runs_a_fixed_number_of_queries(manager_client, history):
    manager_client.get(URL + QUERY)
    with CaptureQueriesContext(connection) as few:
        manager_client.get(URL + QUERY)
    for n in range(10):
        event = make(f"Extra {n}", at(3, 10 + n % 6, 18))
        member = person()
        rsvp(member, event, "going", at(3, 10))
        attended(member, event, at(3, 10 + n % 6, 17))
        survey_actions.answer(None, "csat", 3, member=member, context=f"event:{event.pk}")
    events_rollup.refresh()
    with CaptureQueriesContext(connection) as many:
        response = manager_client.get(URL + QUERY)
    assert response.status_code == 200 and len(response.context["lines"]) == 12
    assert len(many) == len(few)


def test_the_api_serves_the_events_metrics(guidelines, history):
    api = Api(make_member("mia", guidelines, role=Role.MANAGER))
    body = api.get(
        "/metrics", metric="attendance_rate", **{"from": "2026-03-10", "to": "2026-03-16"}
    ).json()
    assert body["total"] == 57.14 and len(body["series"]) == 7
    assert body["definition"].startswith("Of the events held in the period")
    body = api.get(
        "/metrics", metric="repeat_attendees", **{"from": "2026-03-10", "to": "2026-03-16"}
    ).json()
    assert body["total"] == 1 and body["series"] == []
