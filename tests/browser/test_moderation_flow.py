"""Moderation in a real browser: a member flags a topic, a moderator hides it from the
review queue with a reason and a guideline, the author reads the notice and answers it."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_forum_flow import sign_in
from tests.conftest import make_member
from tests.forum.conftest import start_topic
from townsquare.accounts.models import Role
from townsquare.forum.models import Category

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_flag_hide_with_a_reason_and_answer_the_notice(page: Page, live_server, guidelines):
    author = make_member("spammer", guidelines, display_name="Sam Spammer")
    make_member("reporter", guidelines, display_name="Rosa Reporter")
    make_member("mod", guidelines, display_name="Mo Derator", role=Role.MODERATOR)
    general = Category.objects.create(name="General", slug="general")
    topic = start_topic(author, general, title="Cheap watches here", body="Buy now, buy now.")

    sign_in(page, live_server, "reporter@example.com")
    page.goto(f"{live_server.url}{topic.get_absolute_url()}")
    page.get_by_role("link", name="Flag this topic").click()
    page.get_by_label("Spam").check()
    page.get_by_role("button", name="Flag").click()
    expect(page.locator("body")).to_contain_text("Thank you")

    sign_in(page, live_server, "mod@example.com")
    page.get_by_role("link", name="Moderation").click()
    expect(page.locator("main")).to_contain_text("Cheap watches here")
    page.locator("main a[href^='/moderation/review/']").first.click()
    expect(page.locator("main")).to_contain_text("@reporter")
    page.get_by_label("Hide").check()
    page.fill("textarea[name=reason]", "Advertising is not allowed here.")
    page.select_option("select[name=guideline]", "be-kind")
    page.get_by_role("button", name="Decide").click()
    expect(page.locator("main")).to_contain_text("Decided.")
    expect(page.locator("main")).not_to_contain_text("Cheap watches here")  # the queue is empty

    # Gone for everyone else.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/")
    expect(page.locator("main")).not_to_contain_text("Cheap watches here")

    sign_in(page, live_server, "spammer@example.com")
    page.goto(f"{live_server.url}/notices/")
    notice = page.locator("main")
    expect(notice).to_contain_text("Advertising is not allowed here.")
    expect(notice.locator("a[href$='#be-kind']")).to_have_count(1)
    page.fill("textarea[name=body]", "It was a real offer, please look again.")
    page.get_by_role("button", name="Send to the moderators").click()
    expect(page.locator("#messages")).to_contain_text("please look again")
