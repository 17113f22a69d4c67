"""The forum in a real browser: ask a question with a poll, preview it, answer, react
without a reload, vote, and mark the answer that solved it."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD, make_member
from townsquare.forum import actions
from townsquare.forum.models import CategoryKind, Topic

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

QUESTION = """How do I export a **quarterly** report as CSV?

[poll type=single]
# Which format do you use?
* CSV
* XLSX
[/poll]
"""


def sign_in(page: Page, live_server, email: str) -> None:
    # Let the last page's htmx requests (the lazily loaded composer) finish first: a late
    # answer would set the previous member's CSRF cookie again after the sign-in page's.
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator("header .account")).to_contain_text("@")


def test_ask_answer_react_vote_and_solve(page: Page, live_server, guidelines, tmp_path):
    asker = make_member("asker", guidelines, display_name="Ada Asker")
    make_member("helper", guidelines, display_name="Hugo Helper")
    questions = actions.create_category(None, name="Questions", kind=CategoryKind.QA)

    sign_in(page, live_server, asker.email)
    page.goto(f"{live_server.url}/new-topic/?category={questions.slug}")
    page.fill("#id_title", "Exporting a quarterly report")
    page.fill("#id_body", QUESTION)
    page.fill("#id_tags", "csv reports")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator(".preview")
    expect(preview.locator("p strong")).to_have_text("quarterly")
    expect(preview).to_contain_text("Which format do you use?")
    page.get_by_role("button", name="Create topic").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Exporting a quarterly report")
    expect(page.locator(".badge.open")).to_have_text("Unsolved")
    topic_url = page.url

    sign_in(page, live_server, "helper@example.com")
    page.goto(topic_url)
    # Vote: the results appear once the member has voted.
    expect(page.locator(".poll meter")).to_have_count(0)
    page.get_by_label("CSV").check()
    page.get_by_role("button", name="Vote").click()
    expect(page.locator(".poll meter")).to_have_count(2)
    # React to the question without a reload (htmx swaps the reaction bar).
    first_post = page.locator("#post-1")
    first_post.locator(".add-reaction summary").click()
    first_post.get_by_role("button", name="Like").click()
    like = first_post.locator(".reactions button[aria-pressed=true]")
    expect(like).to_contain_text("1")
    # Answer.
    page.fill("#id_body", "Open **Reports**, pick the quarter, then *Export → CSV*.")
    page.get_by_role("button", name="Reply").last.click()
    expect(page).to_have_url(re.compile(r"#post-2$"))
    expect(page.locator("#post-2")).to_contain_text("pick the quarter")

    sign_in(page, live_server, asker.email)
    page.goto(topic_url)
    page.locator("#post-2").get_by_role("button", name="Mark as the answer").click()
    expect(page.locator(".topic-header .badge.solved")).to_contain_text("Solved")
    expect(page.locator("#post-2 .badge.solved")).to_contain_text("Accepted answer")
    page.screenshot(path=tmp_path / "solved.png", full_page=True)

    topic = Topic.objects.get()
    assert topic.accepted_post.number == 2
    assert topic.posts.get(number=1).reaction_counts == {"like": 1}
    assert topic.posts.get(number=1).polls.get().voter_count == 1


def test_more_topics_load_in_place(page: Page, live_server, guidelines, settings):
    settings.FORUM_TOPICS_PER_PAGE = 5
    author = make_member("writer", guidelines)
    general = actions.create_category(None, name="General")
    for n in range(12):
        actions.create_topic(author, general, title=f"Topic number {n:02d}", body=f"Text {n}")
    page.goto(live_server.url + "/latest/")
    rows = page.locator("#topic-rows tr.topic-row")
    expect(rows).to_have_count(5)
    page.get_by_role("link", name="More topics").click()
    expect(rows).to_have_count(10)
    page.get_by_role("link", name="More topics").click()
    expect(rows).to_have_count(12)
    expect(page.get_by_role("link", name="More topics")).to_have_count(0)
    assert page.url.endswith("/latest/")  # loaded in place, no navigation


def test_new_and_unread_badges_arrive_after_the_page(page: Page, live_server, guidelines):
    from datetime import timedelta

    from django.utils import timezone

    from townsquare.accounts.models import User

    reader = make_member("reader", guidelines)
    author = make_member("author", guidelines)
    general = actions.create_category(None, name="General")
    User.objects.filter(pk=reader.pk).update(previous_visit_at=timezone.now() - timedelta(days=1))
    for n in range(3):
        actions.create_topic(author, general, title=f"Fresh topic {n}", body="Hello")
    sign_in(page, live_server, reader.email)
    page.goto(live_server.url + "/latest/")
    expect(page.locator("#count-new")).to_have_text(" (3)")
