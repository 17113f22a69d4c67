"""Direct messages in a real browser: from a profile's Message button to a conversation, and
a reply appended by htmx without a reload."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_forum_flow import sign_in
from tests.conftest import make_member

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_message_a_member_and_reply_without_reload(page: Page, live_server, guidelines):
    writer = make_member("writer", guidelines, display_name="Wanda Writer")
    make_member("reader", guidelines, display_name="Rita Reader")

    sign_in(page, live_server, writer.email)
    page.goto(f"{live_server.url}/u/reader/")
    page.get_by_role("link", name="Message", exact=True).click()
    expect(page.locator("#id_participants")).to_have_value("reader")
    page.fill("#id_body", "Hello **Rita**")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#messages strong")).to_have_text("Rita")

    page.evaluate("window.notReloaded = true")
    page.fill("#id_body", "Are you coming on Friday?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#messages li")).to_have_count(2)
    expect(page.locator("#messages li").last).to_contain_text("Are you coming on Friday?")
    expect(page.locator("#id_body")).to_have_value("")
    assert page.evaluate("window.notReloaded") is True

    sign_in(page, live_server, "reader@example.com")
    page.goto(live_server.url + "/")
    # One conversation unread; the notification badge (loaded by htmx) counts its messages.
    expect(
        page.locator('header .account .badge[title="Conversations with unread messages"]')
    ).to_have_text("1")
    expect(page.locator('header .account .badge[title="Unread notifications"]')).to_have_text("2")
