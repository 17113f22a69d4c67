"""``/api/v1/events``: listing, creating with local times, RSVP, attendees."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from tests.conftest import make_member
from tests.events.conftest import make_event
from townsquare.events import actions
from townsquare.events.models import Event

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, path: str, data: dict):
    return client.post(path, data, content_type="application/json")


AMA = {
    "title": "Monthly AMA", "description": "Ask **anything**", "starts_at": "2031-03-07T16:00:00",
    "ends_at": "2031-03-07T17:00:00", "timezone": "Europe/Warsaw", "format": "hybrid",
    "capacity": 1, "video_url": "https://meet.example/ama", "venue": "Office, Warsaw",
}  # fmt: skip


def test_create_with_local_times_then_answer_and_list_attendees(manager, guidelines):
    client = client_for(manager)
    response = post(client, "/api/v1/events", AMA)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["local_starts_at"] == "2031-03-07T16:00:00"
    assert body["starts_at"].startswith("2031-03-07T15:00:00")
    event = Event.objects.get(pk=body["id"])
    assert event.starts_at == datetime(2031, 3, 7, 15, 0, tzinfo=UTC)
    actions.publish_event(manager, event)
    first, second = make_member("ann", guidelines), make_member("bob", guidelines)
    assert post(
        client_for(first), f"/api/v1/events/{event.pk}/rsvp", {"status": "going"}
    ).json() == {"status": "going"}
    answer = post(client_for(second), f"/api/v1/events/{event.pk}/rsvp", {"status": "going"})
    assert answer.json() == {"status": "waitlisted"}
    detail = client_for(second).get(f"/api/v1/events/{event.pk}").json()
    assert detail["my_status"] == "waitlisted" and detail["video_url"] is None
    assert detail["going"] == 1
    listed = client.get(f"/api/v1/events/{event.pk}/attendees").json()["results"]
    assert [(a["handle"], a["status"]) for a in listed] == [("ann", "going"), ("bob", "waitlisted")]
    assert client_for(first).get(f"/api/v1/events/{event.pk}/attendees").status_code == 404


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"starts_at": "2031-03-30T02:30:00"}, "starts_at", "does not exist"),
        (
            {"starts_at": "2031-10-26T02:30:00", "ends_at": "2031-10-26T04:00:00"},
            "starts_at",
            "twice",
        ),
        ({"starts_at": "2031-03-07T16:00:00+01:00"}, "starts_at", "without a UTC offset"),
        ({"timezone": "Mars/Base"}, "timezone", "Unknown time zone"),
        ({"ends_at": "2031-03-07T15:00:00"}, "ends_at", "end after"),
        ({"format": "in_person", "venue": ""}, "venue", "venue"),
    ],
)
def test_bad_input_answers_json_with_message_and_field(manager, change, field, words):
    response = post(client_for(manager), "/api/v1/events", AMA | change)
    assert response.status_code == 422
    assert response.json()["field"] == field and words in response.json()["detail"]
    assert not Event.objects.exists()


def test_members_may_not_create_and_bad_answers_are_refused(member, manager):
    assert post(client_for(member), "/api/v1/events", AMA).status_code == 403
    event = make_event(manager)
    response = post(client_for(member), f"/api/v1/events/{event.pk}/rsvp", {"status": "waitlisted"})
    assert response.status_code == 422 and response.json()["field"] == "status"
    assert post(Client(), f"/api/v1/events/{event.pk}/rsvp", {"status": "going"}).status_code == 401


def test_rsvp_is_rate_limited(member, manager, limits_on, settings):
    settings.MODERATION_RATE_LIMITS = {**settings.MODERATION_RATE_LIMITS, "rsvp": (2, 60)}
    event = make_event(manager)
    client = client_for(member)
    for status in ("going", "maybe"):
        assert (
            post(client, f"/api/v1/events/{event.pk}/rsvp", {"status": status}).status_code == 200
        )
    response = post(client, f"/api/v1/events/{event.pk}/rsvp", {"status": "going"})
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
