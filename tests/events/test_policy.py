"""Who sees which event (core.permissions.visible_events and friends), through every
channel this session builds: lists, pages, the API, the forum thread."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from tests.conftest import make_member, set_access_mode
from tests.events.conftest import make_event
from townsquare.core import permissions
from townsquare.core.models import AccessMode
from townsquare.events import registrations

pytestmark = pytest.mark.django_db


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def seen(user, community) -> set[str]:
    return set(permissions.visible_events(user, community).values_list("title", flat=True))


def test_visibility_community_members_and_group(community, manager, guidelines, secret_group):
    from townsquare.groups import actions as group_actions

    makers = group_actions.create_group(None, name="Makers")
    insider, outsider = make_member("insider", guidelines), make_member("outsider", guidelines)
    group_actions.add_member(None, makers, insider)
    make_event(manager, title="Open to all")
    make_event(manager, title="Members only", visibility="members")
    make_event(manager, title="Makers only", visibility="group", group=makers)
    make_event(manager, title="Makers open", group=makers)
    make_event(manager, title="A draft", publish=False)
    base = {"Open to all", "Makers open"}
    assert seen(AnonymousUser(), community) == base
    assert seen(outsider, community) == base | {"Members only"}
    assert seen(insider, community) == base | {"Members only", "Makers only"}
    assert seen(manager, community) == base | {"Members only", "Makers only", "A draft"}


def test_drafts_are_seen_by_their_hosts(community, manager, member):
    draft = make_event(manager, title="Hosted draft", publish=False, hosts=[manager, member])
    assert permissions.may_view_event(member, community, draft)
    assert permissions.may_manage_event(member, draft)


def test_a_secret_groups_event_leaks_through_no_channel(
    community, manager, guidelines, secret_event, board_member
):
    """Even with visibility "community", an event of a secret group exists only for the
    group's members and managers: not in lists, filters, pages, the API or its thread."""
    outsider = make_member("outsider", guidelines)
    title = "Board roadmap preview"
    for user in (AnonymousUser(), outsider):
        assert title not in seen(user, community)
        client = client_for(None if user.is_anonymous else user)
        for path in (
            "/events/",
            "/events/?past",
            f"/events/?group={secret_event.group.slug}",
            "/events/?format=online",
            "/events/?q=roadmap",
            "/api/v1/events?q=roadmap",
            "/api/v1/events",
            "/api/v1/events?past=true",
        ):
            response = client.get(path)
            assert title not in response.content.decode(), path
        for path in (
            secret_event.get_absolute_url(),
            f"/events/{secret_event.pk}/",
            f"/events/{secret_event.pk}/attendees/",
            f"/api/v1/events/{secret_event.pk}",
        ):
            response = client.get(path)
            assert response.status_code in (404, 302) and title not in response.content.decode()
        missing = client.get("/api/v1/events/999999")
        assert client.get(f"/api/v1/events/{secret_event.pk}").json() == missing.json()
        assert client.get(secret_event.topic.get_absolute_url()).status_code == 404
        assert client.get(f"/api/v1/events?group={secret_event.group.slug}").status_code == 404
    assert title in seen(board_member, community)
    assert title in client_for(board_member).get("/events/?q=roadmap").content.decode()


def test_outsiders_cannot_answer_a_secret_groups_event(secret_event, guidelines):
    outsider = client_for(make_member("outsider", guidelines))
    response = outsider.post(
        f"/api/v1/events/{secret_event.pk}/rsvp",
        {"status": "going"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert outsider.post(f"/events/{secret_event.pk}/rsvp/", {"status": "going"}).status_code == 404


def test_private_community_shows_events_to_members_only(community, manager, member):
    make_event(manager, title="Open to all")
    set_access_mode(AccessMode.PRIVATE)
    assert client_for().get("/events/").status_code == 302
    assert client_for().get("/api/v1/events").status_code == 401
    assert "Open to all" in client_for(member).get("/events/").content.decode()


def test_the_video_link_policy(manager, guidelines, event):
    from datetime import timedelta

    from townsquare.events.models import Registration

    attendee, maybe = make_member("goer", guidelines), make_member("perhaps", guidelines)
    registrations.rsvp(attendee, event, "going")
    registrations.rsvp(maybe, event, "maybe")
    mine = Registration.objects.get(member=attendee)
    theirs = Registration.objects.get(member=maybe)
    opens = permissions.video_link_opens(event)
    assert opens == event.starts_at - timedelta(minutes=15)
    assert not permissions.may_see_video_link(
        attendee, event, mine, now=opens - timedelta(seconds=1)
    )
    assert permissions.may_see_video_link(attendee, event, mine, now=opens)
    assert not permissions.may_see_video_link(maybe, event, theirs, now=opens)
    assert not permissions.may_see_video_link(maybe, event, mine, now=opens)  # not theirs
    assert permissions.may_see_video_link(manager, event, None)
