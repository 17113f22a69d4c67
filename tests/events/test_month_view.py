"""The month view (/events/calendar/<yyyy>/<mm>/) and the community home's next sessions."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import make_member
from tests.events.conftest import make_event
from townsquare.events import actions
from townsquare.events.models import Event
from townsquare.groups import actions as group_actions

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def day_of(page: str, title: str) -> str:
    """The date (yyyy-mm-dd) of the month view's cell that lists ``title``."""
    cells = [cell for cell in page.split("<td")[1:] if title in cell]
    assert len(cells) == 1, f"{title!r} is in {len(cells)} cells"
    return re.search(r'<time datetime="(\d{4}-\d\d-\d\d)">', cells[0]).group(1)


def test_events_are_on_the_day_of_the_viewers_zone(manager, guidelines):
    warsaw = make_member("warsaw", guidelines, timezone_name="Europe/Warsaw")
    london = make_member("london", guidelines, timezone_name="UTC")
    make_event(manager, title="Late session", starts_at=datetime(2031, 1, 14, 23, 30, tzinfo=UTC))
    make_event(manager, title="Month end", starts_at=datetime(2031, 1, 31, 23, 30, tzinfo=UTC))

    page = client_for(warsaw).get("/events/calendar/2031/1/").content.decode()
    assert day_of(page, "Late session") == "2031-01-15"
    assert '<time datetime="2031-01-15T00:30:00+01:00">00:30</time>' in page
    assert "Month end" not in page  # 1 February, 00:30 in Warsaw
    february = client_for(warsaw).get("/events/calendar/2031/2/").content.decode()
    assert day_of(february, "Month end") == "2031-02-01"

    page = client_for(london).get("/events/calendar/2031/01/").content.decode()
    assert day_of(page, "Late session") == "2031-01-14"
    assert day_of(page, "Month end") == "2031-01-31"
    assert ">23:30</time>" in page


def test_the_week_starts_as_the_viewers_language_says(manager, guidelines):
    polish = make_member("polka", guidelines, language="pl")
    chinese = make_member("zhong", guidelines, language="zh-hans")
    english = Client().get("/events/calendar/2031/1/")
    assert english.context["weekdays"][0].weekday() == 6  # Sunday
    assert '<th scope="col"><abbr title="Sunday">Sun</abbr></th>' in english.content.decode()
    for user in (polish, chinese):
        weekdays = client_for(user).get("/events/calendar/2031/1/").context["weekdays"]
        assert [day.weekday() for day in weekdays] == list(range(7))
    page = client_for(polish).get("/events/calendar/2031/1/").content.decode()
    assert '<thead><tr><th scope="col"><abbr title="Poniedziałek">Pon</abbr></th>' in page
    assert "<caption>Styczeń 2031</caption>" in page
    weeks = english.context["weeks"]
    # January 2031 begins on a Wednesday: the grid starts with the last days of December.
    assert weeks[0][0]["date"].isoformat() == "2030-12-29" and not weeks[0][0]["in_month"]
    assert all(len(week) == 7 for week in weeks)


def test_the_month_view_is_a_table_with_today_marked_and_links_to_other_months(manager):
    today = timezone.localdate()
    response = Client().get("/events/calendar/")
    assert response.status_code == 302
    assert response.url == f"/events/calendar/{today.year}/{today.month}/"
    assert Client().get("/events/calendar/?format=online").url.endswith("/?format=online")
    page = Client().get(response.url).content.decode()
    assert "<caption>" in page and page.count('aria-current="date"') == 1
    assert f'<time datetime="{today.isoformat()}">' in page
    page = Client().get("/events/calendar/2031/12/?format=online").content.decode()
    assert 'href="/events/calendar/2031/11/?format=online"' in page
    assert 'href="/events/calendar/2032/1/?format=online"' in page
    assert "No events this month." in page
    for url in ("/events/calendar/2031/13/", "/events/calendar/2031/0/", "/events/calendar/1/1/"):
        assert Client().get(url).status_code == 404
    assert 'href="/events/calendar/"' in Client().get("/events/").content.decode()


def test_the_month_view_shows_only_what_the_viewer_may_see_and_filters(
    manager, member, board_member, secret_event, guidelines
):
    start = datetime(2031, 3, 10, 17, 0, tzinfo=UTC)
    make_event(manager, title="Online AMA", starts_at=start)
    make_event(
        manager,
        title="Warsaw meetup",
        format="in_person",
        venue="Cafe Nowa",
        address="ul. Nowy Świat 1, Warszawa",
        starts_at=start,
    )
    make_event(manager, title="Kraków meetup", format="hybrid", venue="Hala", starts_at=start)
    make_event(manager, title="Secret plans", publish=False, starts_at=start)
    readers = group_actions.create_group(None, name="Readers")
    make_event(manager, title="Book club", group=readers, starts_at=start)

    page = client_for(member).get("/events/calendar/2031/3/").content.decode()
    for title in ("Online AMA", "Warsaw meetup", "Kraków meetup", "Book club"):
        assert title in page
    assert "Secret plans" not in page and "Board roadmap" not in page
    insider_page = client_for(board_member).get("/events/calendar/2031/3/").content.decode()
    assert "Board roadmap" in insider_page

    def shown(query: str) -> set[str]:
        page = client_for(member).get(f"/events/calendar/2031/3/?{query}").content.decode()
        titles = {"Online AMA", "Warsaw meetup", "Kraków meetup", "Book club"}
        return {title for title in titles if title in page}

    assert shown("format=in_person") == {"Warsaw meetup"}
    assert shown("location=warszawa") == {"Warsaw meetup"}  # the address
    assert shown("location=HALA") == {"Kraków meetup"}  # the venue
    assert shown("group=readers") == {"Book club"}
    assert shown(f"group={secret_event.group.slug}") == shown("")  # unknown to the member
    # The list shares the location filter.
    listed = client_for(member).get("/events/?location=nowa").content.decode()
    assert "Warsaw meetup" in listed and "Online AMA" not in listed


def test_the_month_view_costs_a_fixed_number_of_queries(
    manager, guidelines, django_assert_max_num_queries
):
    reader = make_member("reader", guidelines, timezone_name="Europe/Warsaw")
    client = client_for(reader)
    groups = [group_actions.create_group(None, name=f"Group {n}") for n in range(3)]

    def add(count: int) -> None:
        for number in range(count):
            make_event(
                manager,
                title=f"Session number {number}",
                group=groups[number % 3],
                starts_at=datetime(2031, 5, 1 + number, 18, 0, tzinfo=UTC),
            )

    add(2)
    with django_assert_max_num_queries(25) as few:
        client.get("/events/calendar/2031/5/")
    add(12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/events/calendar/2031/5/").content.decode()
    assert page.count('<li class="event">') == 14


def next_sessions(client: Client) -> str:
    """The home page's "Next sessions" block (the latest discussions name events too: their
    threads), or "" when there is none."""
    page = client.get("/").content.decode()
    if 'id="next-sessions"' not in page:
        return ""
    return page.split('id="next-sessions"')[1].split("</section>")[0]


def test_the_home_shows_the_next_sessions_the_viewer_may_see(
    manager, member, board_member, secret_event
):
    assert next_sessions(client_for(member)) == ""
    soon = timezone.now().replace(microsecond=0) + timedelta(days=1)
    for number in range(6):
        make_event(manager, title=f"Session {number}", starts_at=soon + timedelta(days=number))
    make_event(manager, title="Secret plans", publish=False, starts_at=soon)
    cancelled = make_event(manager, title="Called off", starts_at=soon)
    actions.cancel_event(manager, cancelled)
    past = make_event(manager, title="Yesterday's session")
    Event.objects.filter(pk=past.pk).update(
        starts_at=timezone.now() - timedelta(days=1), ends_at=timezone.now() - timedelta(hours=23)
    )

    page = next_sessions(client_for(member))
    assert "Next sessions" in page and 'href="/events/"' in page
    assert [f"Session {n}" in page for n in range(6)] == [True] * 5 + [False]
    for hidden in ("Secret plans", "Called off", "Yesterday", "Board roadmap"):
        assert hidden not in page
    Event.objects.filter(title__startswith="Session").delete()
    assert "Board roadmap" in next_sessions(client_for(board_member))


def test_the_home_shows_start_times_in_the_viewers_zone(manager, guidelines):
    tokyo = make_member("tokyo", guidelines, timezone_name="Asia/Tokyo")
    make_event(manager, title="Friday session", starts_at=datetime(2031, 3, 7, 15, 0, tzinfo=UTC))
    assert "Sat 8 Mar, 00:00" in next_sessions(client_for(tokyo))


def test_the_homes_next_sessions_cost_no_query_per_event(
    manager, member, django_assert_max_num_queries
):
    client = client_for(member)
    make_event(manager, title="Session 0")
    with django_assert_max_num_queries(40) as few:
        client.get("/")
    for number in range(1, 5):
        make_event(manager, title=f"Session {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = next_sessions(client)
    assert all(f"Session {n}" in page for n in range(5))
