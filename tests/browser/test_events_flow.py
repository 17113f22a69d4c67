"""Events in a real browser: a manager creates and publishes an event through the form, a
member answers going and finds it in the month view and on the home page; a second member
is put on the waiting list of the full event and gets the place when the first gives it up."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_forum_flow import sign_in
from tests.conftest import make_member
from townsquare.accounts.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def answer(page: Page, label: str) -> None:
    page.locator(".rsvp").get_by_label(label, exact=True).check()
    page.get_by_role("button", name="Save my answer").click()


def test_create_publish_answer_and_the_waiting_list(page: Page, live_server, guidelines):
    manager = make_member("boss", guidelines, role=Role.MANAGER, display_name="Bea Boss")
    first = make_member("ada", guidelines, timezone_name="Europe/Warsaw")
    second = make_member("bob", guidelines, timezone_name="Europe/Warsaw")
    warsaw = ZoneInfo("Europe/Warsaw")
    day = (datetime.now(warsaw) + timedelta(days=2)).date()

    sign_in(page, live_server, manager.email)
    page.goto(live_server.url + "/events/")
    page.get_by_role("link", name="New event").click()
    page.fill("#id_title", "Friday community session")
    page.fill("#id_description", "Bring **questions**.")
    page.fill("#id_starts_at", f"{day.isoformat()}T18:00")
    page.fill("#id_ends_at", f"{day.isoformat()}T19:00")
    page.select_option("#id_timezone", "Europe/Warsaw")
    page.select_option("#id_format", "in_person")
    page.fill("#id_venue", "Cafe Nowa")
    page.fill("#id_address", "ul. Nowy Świat 1, Warszawa")
    page.fill("#id_capacity", "1")
    page.get_by_role("button", name="Save as a draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Friday community session")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("main")).to_contain_text("The event is published.")
    event_url = page.url

    sign_in(page, live_server, first.email)
    page.goto(event_url)
    answer(page, "Going")
    expect(page.locator(".rsvp")).to_contain_text("You are going.")
    # The month view, reached from the list, filtered by place.
    page.goto(f"{live_server.url}/events/")
    page.get_by_role("link", name="Month").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Events: ")
    page.goto(f"{live_server.url}/events/calendar/{day.year}/{day.month}/?location=warszawa")
    cell = page.locator(f'td:has(time[datetime="{day.isoformat()}"])')
    expect(cell.get_by_role("link")).to_have_text("18:00 Friday community session")
    expect(page.locator("table.month-calendar thead th").first).to_have_text("Sun")
    page.get_by_role("link", name="Friday community session").click()
    expect(page).to_have_url(event_url)
    # The community home's next sessions.
    page.goto(live_server.url + "/")
    sessions = page.locator("section.next-sessions")
    expect(sessions.get_by_role("link", name="Friday community session")).to_be_visible()
    expect(sessions).to_contain_text("18:00")

    sign_in(page, live_server, second.email)
    page.goto(event_url)
    answer(page, "Going")
    expect(page.locator("main")).to_contain_text("The event is full: you are on the waiting list.")
    expect(page.locator(".rsvp")).to_contain_text("You are on the waiting list")

    sign_in(page, live_server, first.email)
    page.goto(event_url)
    answer(page, "Not going")
    expect(page.locator(".rsvp")).to_contain_text("You are not going.")

    sign_in(page, live_server, second.email)
    page.goto(event_url)
    expect(page.locator(".rsvp")).to_contain_text("You are going.")
    expect(page.locator(".rsvp code.ticket")).to_have_text(re.compile(r"^[A-Z0-9]{8}$"))


def test_the_month_view_stacks_the_days_on_a_phone(page: Page, live_server, guidelines):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/events/calendar/")
    table = page.locator("table.month-calendar")
    expect(table).to_be_visible()
    # The weekday headers are hidden on a phone (each day names its weekday); days without
    # events are left out, today stays.
    expect(page.locator("table.month-calendar thead")).to_have_css("position", "absolute")
    today = page.locator('td[aria-current="date"]')
    expect(today).to_be_visible()
    expect(today.locator(".weekday")).to_be_visible()
    assert table.bounding_box()["width"] <= 375
