"""The NPS panel in a real browser: a member picks a score, writes why, sends it, and the
panel turns into a thank-you in place; the next page does not ask again."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.test_forum_flow import sign_in
from tests.conftest import make_member
from townsquare.accounts.models import User
from townsquare.surveys.models import SurveyAnswer

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_a_member_answers_the_nps_prompt(page: Page, live_server, guidelines):
    member = make_member("nora", guidelines, display_name="Nora Member")
    User.objects.filter(pk=member.pk).update(date_joined=timezone.now() - timedelta(days=30))

    sign_in(page, live_server, member.email)
    page.goto(live_server.url + "/")
    panel = page.locator("#nps-prompt")
    expect(panel).to_contain_text("How likely are you to recommend")
    # Sending without a score: the browser stays, the server says what is missing.
    panel.get_by_role("button", name="Send").click()
    expect(panel.locator(".errors")).to_contain_text("Choose a score from 0 to 10.")
    panel.get_by_label("9", exact=True).check()
    panel.get_by_label("What is the main reason for your score?").fill("Kind, quick answers")
    panel.get_by_role("button", name="Send").click()
    expect(page.locator("#nps-prompt")).to_have_text("Thank you for your answer.")

    answer = SurveyAnswer.objects.get()
    assert (answer.member_id, answer.score, answer.comment) == (member.pk, 9, "Kind, quick answers")
    page.goto(live_server.url + "/latest/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Discussions")
    expect(page.locator("#nps-prompt")).to_have_count(0)


def test_not_now_without_javascript(page: Page, live_server, guidelines):
    member = make_member("otto", guidelines)
    User.objects.filter(pk=member.pk).update(date_joined=timezone.now() - timedelta(days=30))
    page.context.route("**/htmx.min.js", lambda route: route.abort())  # no htmx: plain forms
    sign_in(page, live_server, member.email)
    page.goto(live_server.url + "/latest/")
    page.locator("#nps-prompt").get_by_role("button", name="Not now").click()
    expect(page.locator(".messages")).to_contain_text("We will not ask again for a while.")
    assert page.url.endswith("/latest/")
    expect(page.locator("#nps-prompt")).to_have_count(0)
    assert SurveyAnswer.objects.get().score is None
