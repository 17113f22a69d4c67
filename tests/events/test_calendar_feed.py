"""Calendar files served: one event's ``.ics`` (page and API), the personal calendar feed
by its secret address, and the caller's own calendar in the API. Every output is parsed
with icalendar; the secret group's event leaks through none of them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from tests.conftest import make_member
from tests.events.conftest import make_event
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import User
from townsquare.core.models import ActivityEvent
from townsquare.events import actions, calendars, registrations
from townsquare.events.models import CalendarFeed, Event
from townsquare.groups import actions as group_actions
from townsquare.moderation.actions import sanctions

pytestmark = pytest.mark.django_db

START = datetime(2031, 3, 7, 15, 0, tzinfo=UTC)


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def parse(response) -> Calendar:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def vevents(calendar: Calendar) -> dict[str, dict]:
    """SUMMARY -> the event's properties, decoded."""
    found = {}
    for component in calendar.walk("VEVENT"):
        found[str(component["SUMMARY"])] = {
            "uid": str(component["UID"]),
            "start": component.decoded("DTSTART"),
            "end": component.decoded("DTEND"),
            "status": str(component["STATUS"]),
            "sequence": int(component["SEQUENCE"]),
            "location": str(component.get("LOCATION", "")),
            "url": str(component.get("URL", "")),
            "description": str(component.get("DESCRIPTION", "")),
            "organizer": component.get("ORGANIZER"),
        }
    return found


def feed_url(member: User) -> str:
    return f"/events/calendar/{calendars.calendar_feed(member, member).token}.ics"


@pytest.fixture
def meetup(manager) -> Event:
    return make_event(
        manager,
        title="Warsaw meetup",
        description="Talks, then **pizza**.",
        format="hybrid",
        venue="Hub",
        address="Prosta 20, Warsaw",
        video_url="https://meet.example/secret-room",
        timezone="Europe/Warsaw",
        starts_at=START,
    )


def test_event_file_from_the_page_and_the_api(meetup, member, settings):
    settings.SITE_URL = "https://community.example"
    page = client_for(None).get(f"/events/{meetup.pk}.ics")
    api = client_for(None).get(f"/api/v1/events/{meetup.pk}.ics")
    assert (
        page.content.replace(b"\r\n", b"\n").split(b"DTSTAMP")[0]
        == (api.content.replace(b"\r\n", b"\n").split(b"DTSTAMP")[0])
    )
    assert 'filename="warsaw-meetup.ics"' in page["Content-Disposition"]
    assert page["Content-Disposition"].startswith("attachment")
    calendar = parse(page)
    assert str(calendar["METHOD"]) == "PUBLISH"
    entry = vevents(calendar)["Warsaw meetup"]
    assert entry["uid"] == f"event-{meetup.pk}@community.example"
    # 16:00 in Warsaw (winter time) is 15:00 UTC, written as a UTC instant.
    assert entry["start"] == START and entry["start"].utcoffset() == timedelta(0)
    assert entry["end"] == START + timedelta(hours=1)
    assert entry["location"] == "Hub, Prosta 20, Warsaw"
    assert entry["url"] == f"https://community.example/events/{meetup.pk}/warsaw-meetup/"
    assert entry["description"] == "Talks, then **pizza**."
    assert entry["status"] == "CONFIRMED" and entry["sequence"] == 0
    assert str(entry["organizer"]) == "https://community.example/"
    assert entry["organizer"].params["CN"] == "Townsquare"
    assert b"secret-room" not in page.content and b"secret-room" not in api.content


def test_online_event_is_located_at_its_page_and_never_carries_the_video_link(
    event, member, manager
):
    registrations.rsvp(member, event, "going")
    for client in (client_for(None), client_for(member), client_for(manager)):
        response = client.get(f"/events/{event.pk}.ics")
        entry = vevents(parse(response))[event.title]
        assert entry["location"].endswith(event.get_absolute_url())
        assert b"meet.example" not in response.content
    feed = client_for(None).get(feed_url(member))
    assert event.title in vevents(parse(feed)) and b"meet.example" not in feed.content


def test_sequence_grows_with_time_place_and_cancellation(meetup, manager):
    actions.update_event(manager, meetup, title="Warsaw meetup, spring")
    meetup.refresh_from_db()
    assert meetup.sequence == 0  # the title is no reason to replace calendar copies
    actions.update_event(manager, meetup, starts_at=START + timedelta(hours=1),
                         ends_at=START + timedelta(hours=2))  # fmt: skip
    actions.update_event(manager, meetup, venue="Hub, room 2")
    actions.update_event(manager, meetup, venue="Hub, room 2")  # no change
    meetup.refresh_from_db()
    assert meetup.sequence == 2
    actions.cancel_event(manager, meetup)
    entry = vevents(parse(client_for(None).get(f"/events/{meetup.pk}.ics")))
    assert entry["Warsaw meetup, spring"]["status"] == "CANCELLED"
    assert entry["Warsaw meetup, spring"]["sequence"] == 3
    assert entry["Warsaw meetup, spring"]["start"] == START + timedelta(hours=1)


def test_feed_holds_what_the_member_answered_from_a_month_ago(manager, member):
    now = timezone.now().replace(microsecond=0)  # iCalendar times are to the second
    going, maybe, waiting, not_going, _unanswered, old, recent, cancelled = (
        make_event(manager, title=title, starts_at=now + timedelta(days=days), capacity=capacity)
        for title, days, capacity in [
            ("Going there", 3, None), ("Maybe there", 4, None), ("Waiting list", 5, 1),
            ("Not going", 6, None), ("Unanswered", 7, None), ("Old session", 1, None),
            ("Recent session", 1, None), ("Called off", 8, None),
        ]
    )  # fmt: skip
    registrations.rsvp(manager, waiting, "going")  # takes the one place
    for answered, status in [
        (going, "going"), (maybe, "maybe"), (waiting, "going"), (not_going, "not_going"),
        (old, "going"), (recent, "going"), (cancelled, "going"),
    ]:  # fmt: skip
        registrations.rsvp(member, answered, status)
    actions.cancel_event(manager, cancelled)
    # Two events that are over: one 40 days ago (out), one 20 days ago (in).
    Event.objects.filter(pk=old.pk).update(
        starts_at=now - timedelta(days=40), ends_at=now - timedelta(days=40, hours=-1)
    )
    Event.objects.filter(pk=recent.pk).update(
        starts_at=now - timedelta(days=20), ends_at=now - timedelta(days=20, hours=-1)
    )
    response = client_for(None).get(feed_url(member))
    calendar = parse(response)
    assert response["Content-Disposition"].startswith("inline")
    assert "REFRESH-INTERVAL" in calendar and str(calendar["X-WR-CALNAME"]).startswith("Townsquare")
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    found = vevents(calendar)
    assert set(found) == {
        "Going there",
        "Maybe there",
        "Waiting list",
        "Recent session",
        "Called off",
    }
    assert found["Called off"]["status"] == "CANCELLED" and found["Called off"]["sequence"] == 1
    assert found["Going there"]["start"] == going.starts_at
    # The API gives the caller the same calendar.
    own = parse(client_for(member).get("/api/v1/events.ics"))
    assert set(vevents(own)) == set(found)


def test_feed_is_one_fixed_number_of_queries(manager, member):
    url = feed_url(member)
    client = client_for(None)

    def fetch() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            found = vevents(parse(client.get(url)))
        return len(found), len(captured)

    registrations.rsvp(member, make_event(manager, title="First"), "going")
    events, queries = fetch()
    assert events == 1
    for number in range(12):
        registrations.rsvp(member, make_event(manager, title=f"Session {number}"), "maybe")
    assert fetch() == (13, queries)


def test_secret_group_event_leaks_through_no_calendar(
    secret_event, secret_group, board_member, member, manager
):
    registrations.rsvp(board_member, secret_event, "going")
    title = secret_event.title
    ics = f"/events/{secret_event.pk}.ics"
    api_ics = f"/api/v1/events/{secret_event.pk}.ics"
    # The group's member sees it everywhere.
    assert title in vevents(parse(client_for(board_member).get(ics)))
    assert title in vevents(parse(client_for(board_member).get(api_ics)))
    assert title in vevents(parse(client_for(board_member).get("/api/v1/events.ics")))
    feed = feed_url(board_member)
    assert title in vevents(parse(client_for(None).get(feed)))
    # Others: "not found", exactly like an event that does not exist.
    for client in (client_for(None), client_for(member)):
        assert client.get(ics).status_code == 404
        assert client.get(api_ics).status_code == 404
        assert client.get("/events/999999.ics").status_code == 404
    assert title not in vevents(parse(client_for(member).get("/api/v1/events.ics")))
    # After leaving the group, it is gone from the member's feed and API calendar too,
    # though their answer is kept.
    group_actions.leave_group(board_member, secret_group)
    assert title not in vevents(parse(client_for(None).get(feed)))
    assert title not in vevents(parse(client_for(board_member).get("/api/v1/events.ics")))
    assert client_for(board_member).get(ics).status_code == 404
    assert client_for(board_member).get(api_ics).status_code == 404
    assert b"Board" not in client_for(None).get(feed).content


def test_unknown_reset_deactivated_and_suspended_feeds_answer_404(member, event, manager):
    registrations.rsvp(member, event, "going")
    client = client_for(None)
    assert client.get("/events/calendar/not-a-token.ics").status_code == 404
    old = feed_url(member)
    assert client.get(old).status_code == 200
    assert calendars.calendar_feed(member, member).token == old.split("/")[-1][:-4]  # stable
    new = f"/events/calendar/{calendars.reset_calendar_feed(member, member).token}.ics"
    assert new != old
    assert client.get(old).status_code == 404
    assert event.title in vevents(parse(client.get(new)))
    sanction = sanctions.suspend(manager, member, until=None, reason="Spam")
    assert client.get(new).status_code == 404
    sanctions.lift(manager, sanction, reason="Appeal granted")
    assert client.get(new).status_code == 200
    User.objects.filter(pk=member.pk).update(is_active=False)
    assert client.get(new).status_code == 404
    verbs = list(
        ActivityEvent.objects.filter(verb__startswith="calendar_feed.").values_list(
            "verb", flat=True
        )
    )
    assert sorted(verbs) == ["calendar_feed.created", "calendar_feed.reset"]


def test_feed_works_without_sign_in_in_a_private_community(private_community, member, event):
    registrations.rsvp(member, event, "going")
    response = client_for(None).get(feed_url(member))
    assert event.title in vevents(parse(response))
    assert client_for(None).get(f"/events/{event.pk}.ics").status_code == 302
    assert client_for(None).get("/api/v1/events.ics").status_code == 401


def test_settings_page_creates_shows_and_resets_the_address(member, guidelines):
    client = client_for(member)
    page = client.get("/settings/calendar/")
    assert page.status_code == 200 and not CalendarFeed.objects.exists()
    assert client.post("/settings/calendar/").status_code == 302
    token = CalendarFeed.objects.get(member=member).token
    page = client.get("/settings/calendar/").content.decode()
    assert f"http://testserver/events/calendar/{token}.ics" in page
    assert f"webcal://testserver/events/calendar/{token}.ics" in page
    assert client.post("/settings/calendar/reset/").status_code == 302
    new_token = CalendarFeed.objects.get(member=member).token
    assert new_token != token and token not in client.get("/settings/calendar/").content.decode()
    # Someone else's settings page shows their own (none yet), never this address.
    other = client_for(make_member("bob", guidelines)).get("/settings/calendar/")
    assert new_token not in other.content.decode()
    assert client_for(None).get("/settings/calendar/").status_code == 302


def test_event_page_links_to_its_calendar_file(event):
    page = client_for(None).get(event.get_absolute_url()).content.decode()
    assert f'href="/events/{event.pk}.ics"' in page


def test_own_calendar_by_api_token_and_in_the_openapi_document(member, event):
    registrations.rsvp(member, event, "maybe")
    _token, raw = account_actions.create_api_token(member, member, "Calendar sync")
    response = Client().get("/api/v1/events.ics", headers={"authorization": f"Bearer {raw}"})
    found = vevents(parse(response))
    assert list(found) == [event.title]
    # The same UID as the event's own file: calendars keep one copy.
    assert (
        found[event.title]["uid"]
        == vevents(parse(Client().get(f"/events/{event.pk}.ics")))[event.title]["uid"]
    )
    assert Client().get("/api/v1/events.ics").status_code == 401
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/events.ics", "/api/v1/events/{event_id}.ics"):
        assert "text/calendar" in paths[path]["get"]["responses"]["200"]["content"]
