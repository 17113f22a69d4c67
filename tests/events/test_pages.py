"""The event pages: list, detail, RSVP, create and edit, attendees, check-in and CSV."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import make_member
from tests.events.conftest import make_event
from townsquare.accounts.models import User
from townsquare.events import registrations
from townsquare.events.models import Event, Registration

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_shows_upcoming_and_past_events_and_filters_by_format(manager):
    make_event(manager, title="Online AMA")
    make_event(manager, title="Warsaw meetup", format="in_person", venue="Cafe Nowa")
    past = make_event(manager, title="Last week's session")
    Event.objects.filter(pk=past.pk).update(
        starts_at=timezone.now() - timedelta(days=7),
        ends_at=timezone.now() - timedelta(days=7) + timedelta(hours=1),
    )
    page = Client().get("/events/").content.decode()
    assert "Online AMA" in page and "Warsaw meetup" in page and "Last week" not in page
    assert "Last week" in Client().get("/events/?past").content.decode()
    filtered = Client().get("/events/?format=in_person").content.decode()
    assert "Warsaw meetup" in filtered and "Online AMA" not in filtered
    assert Client().get("/events/?format=bogus&group=nope").status_code == 200
    found = Client().get("/events/?q=warsaw").content.decode()
    assert "Warsaw meetup" in found and "Online AMA" not in found


def test_drafts_are_not_listed_and_answer_404_to_others(manager, member):
    draft = make_event(manager, title="Secret plans", publish=False)
    assert "Secret plans" not in client_for(member).get("/events/").content.decode()
    assert client_for(member).get(draft.get_absolute_url()).status_code == 404
    assert client_for(manager).get(draft.get_absolute_url()).status_code == 200


def test_the_list_costs_a_fixed_number_of_queries(
    manager, guidelines, django_assert_max_num_queries
):
    reader = make_member("reader", guidelines)
    client = client_for(reader)

    def add(count: int) -> None:
        for number in range(count):
            event = make_event(manager, title=f"Session number {number}", capacity=5)
            registrations.rsvp(reader, event, "going")

    add(2)
    with django_assert_max_num_queries(25) as few:
        client.get("/events/")
    add(12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/events/")
    assert response.content.decode().count('class="card event"') == 14
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/events").json()["results"]) == 14


def test_the_detail_shows_times_in_the_viewers_zone_and_the_events_own(manager, guidelines):
    viewer = make_member("tokyo", guidelines)
    User.objects.filter(pk=viewer.pk).update(timezone="Asia/Tokyo")
    event = make_event(
        manager,
        title="Friday session",
        timezone="Europe/Warsaw",
        starts_at=datetime(2031, 3, 7, 15, 0, tzinfo=UTC),
    )
    page = client_for(viewer).get(event.get_absolute_url()).content.decode()
    assert "00:00" in page and "Asia/Tokyo" in page  # 15:00 UTC is midnight in Tokyo
    assert "16:00" in page and "Europe/Warsaw" in page


def test_rsvp_through_the_page_and_the_form_keeps_input_on_error(manager, member):
    event = make_event(manager, questions=[("Your company?", True), ("Anything else?", False)])
    company, other = event.questions.all()
    client = client_for(member)
    response = client.post(
        f"/events/{event.pk}/rsvp/",
        {"status": "going", f"question_{other.pk}": "Vegetarian please", "show_me": "on"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Vegetarian please" in page and "Please answer" in page
    assert not Registration.objects.filter(event=event).exists()
    response = client.post(
        f"/events/{event.pk}/rsvp/", {"status": "going", f"question_{company.pk}": "Acme"}
    )
    assert response.status_code == 302
    registration = Registration.objects.get(event=event, member=member)
    assert registration.status == "going"
    assert registration.ticket_code in client.get(event.get_absolute_url()).content.decode()


def test_who_else_is_going_shows_only_those_who_agreed(manager, guidelines):
    event = make_event(manager)
    shy, open_ = make_member("shyone", guidelines), make_member("openone", guidelines)
    registrations.rsvp(shy, event, "going", show_me=False)
    registrations.rsvp(open_, event, "going", show_me=True)
    page = client_for(shy).get(event.get_absolute_url()).content.decode()
    assert "Openone" in page and "Shyone" not in page.split("Who else is going")[1]
    stranger = make_member("stranger", guidelines)
    assert (
        "Who else is going"
        not in client_for(stranger).get(event.get_absolute_url()).content.decode()
    )


def test_the_video_link_is_hidden_from_non_attendees_until_shortly_before(manager, guidelines):
    event = make_event(manager, video_url="https://meet.example/secret-room")
    attendee, stranger = make_member("goer", guidelines), make_member("stranger", guidelines)
    registrations.rsvp(attendee, event, "going")
    link = "meet.example/secret-room"
    assert link not in client_for(attendee).get(event.get_absolute_url()).content.decode()
    assert link in client_for(manager).get(event.get_absolute_url()).content.decode()
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() + timedelta(minutes=10))
    assert link in client_for(attendee).get(event.get_absolute_url()).content.decode()
    assert link not in client_for(stranger).get(event.get_absolute_url()).content.decode()
    assert link not in Client().get(event.get_absolute_url()).content.decode()
    assert link not in client_for(stranger).get(f"/api/v1/events/{event.pk}").content.decode()


def test_creating_an_event_reads_times_in_its_zone_and_reshows_input_on_error(manager):
    client = client_for(manager)
    form = {
        "title": "Monthly AMA", "description": "Ask us *anything*",
        "starts_at": "2031-03-30T02:30", "ends_at": "2031-03-30T04:00",
        "timezone": "Europe/Warsaw", "format": "online", "visibility": "community",
        "guests": "Anna Nowak, Head of Product", "questions": "Your role? *",
    }  # fmt: skip
    response = client.post("/events/new/", form)
    assert response.status_code == 200
    page = response.content.decode()
    assert "does not exist" in page and "Monthly AMA" in page and "Anna Nowak" in page
    form["starts_at"] = "2031-03-07T16:00"
    form["ends_at"] = "2031-03-07T17:00"
    response = client.post("/events/new/", form)
    assert response.status_code == 302
    event = Event.objects.get(title="Monthly AMA")
    assert event.starts_at == datetime(2031, 3, 7, 15, 0, tzinfo=UTC)
    assert event.status == "draft" and event.questions.get().required
    assert [h.name for h in event.hosts.all()] == ["", "Anna Nowak"]
    response = client.post(f"/events/{event.pk}/publish/")
    event.refresh_from_db()
    assert event.status == "published" and event.topic is not None


def test_members_may_not_create_events_and_hosts_may_edit(manager, member):
    assert client_for(member).get("/events/new/").status_code == 403
    event = make_event(manager, hosts=[manager, member])
    client = client_for(member)
    assert client.get(f"/events/{event.pk}/edit/").status_code == 200
    assert client.get(f"/events/{event.pk}/attendees/").status_code == 200


def test_hosts_check_in_by_list_and_code_and_export_csv(manager, guidelines):
    event = make_event(manager, questions=[("Company?", False)])
    question = event.questions.get()
    ann, bob = (
        make_member("ann", guidelines, display_name="=HYPERLINK(1)"),
        make_member("bob", guidelines),
    )
    registrations.rsvp(ann, event, "going", answers={str(question.pk): "Acme"})
    registrations.rsvp(bob, event, "going")
    client = client_for(manager)
    page = client.get(f"/events/{event.pk}/attendees/")
    assert page.status_code == 200
    response = client.post(f"/events/{event.pk}/attendees/", {"member": ann.pk})
    assert response.status_code == 302
    code = Registration.objects.get(member=bob).ticket_code
    assert client.post(f"/events/{event.pk}/attendees/", {"code": code.lower()}).status_code == 302
    bad = client.post(f"/events/{event.pk}/attendees/", {"code": "ZZZZ9999"})
    assert bad.status_code == 400 and "ZZZZ9999" in bad.content.decode()
    assert Registration.objects.filter(event=event, checked_in_at__isnull=False).count() == 2
    response = client.get(f"/events/{event.pk}/attendees/?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][-1] == "Company?"
    by_handle = {row[1]: row for row in rows[1:]}
    assert by_handle["ann"][0] == "'=HYPERLINK(1)" and by_handle["ann"][-1] == "Acme"
    assert by_handle["bob"][5] != ""
    outsider = client_for(make_member("outsider", guidelines))
    assert outsider.get(f"/events/{event.pk}/attendees/?format=csv").status_code == 403


def test_resources_are_added_by_hosts_and_shown(manager):
    event = make_event(manager)
    client = client_for(manager)
    bad = client.post(
        f"/events/{event.pk}/resources/", {"kind": "slides", "title": "Deck", "url": ""}
    )
    assert bad.status_code == 400 and "Deck" in bad.content.decode()
    client.post(
        f"/events/{event.pk}/resources/",
        {"kind": "slides", "title": "Deck", "url": "https://s.example/d"},
    )
    assert "https://s.example/d" in Client().get(event.get_absolute_url()).content.decode()


def test_the_main_navigation_links_to_events(community):
    assert 'href="/events/"' in Client().get("/").content.decode()


def test_hosts_edit_an_event_through_the_form(manager, member):
    event = make_event(manager, timezone="Europe/Warsaw", hosts=[manager, member], capacity=1)
    starts_at = event.starts_at.replace(second=0)
    Event.objects.filter(pk=event.pk).update(starts_at=starts_at)
    client = client_for(member)
    form = client.get(f"/events/{event.pk}/edit/").context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {"title": "Renamed session", "capacity": "2", "group": ""}
    data["starts_at"] = data["starts_at"].strftime("%Y-%m-%dT%H:%M")
    data["ends_at"] = data["ends_at"].strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/events/{event.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    event.refresh_from_db()
    assert event.title == "Renamed session" and event.capacity == 2
    assert event.starts_at == starts_at  # read back in Europe/Warsaw, unchanged
    assert {h.user_id for h in event.hosts.all()} == {manager.pk, member.pk}


def test_hybrid_communities_open_events_to_visitors_only_when_chosen(community, manager):
    from tests.conftest import set_access_mode
    from townsquare.core.models import AccessMode

    make_event(manager, title="Open session")
    set_access_mode(AccessMode.HYBRID, ["forum"])
    assert Client().get("/events/").status_code == 302
    set_access_mode(AccessMode.HYBRID, ["events"])
    assert "Open session" in Client().get("/events/").content.decode()


def test_the_pages_of_the_list_keep_its_filters(manager, settings):
    settings.EVENTS_PER_PAGE = 2
    for number in range(3):
        make_event(manager, title=f"Meetup number {number}", format="in_person", venue="Hall")
    page = Client().get("/events/?format=in_person&q=meetup").content.decode()
    assert "?format=in_person&amp;q=meetup&amp;page=2" in page
