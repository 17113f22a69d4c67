"""Time read (trust levels) in a real browser: the topic page reports the time it is in
view every half minute."""

import pytest
from playwright.sync_api import Page

from tests.browser.test_forum_flow import sign_in
from tests.conftest import make_member
from townsquare.forum import actions
from townsquare.forum.models import TopicReadState

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_the_topic_page_reports_reading_time(page: Page, live_server, guidelines):
    author = make_member("author", guidelines)
    reader = make_member("reader", guidelines)
    general = actions.create_category(None, name="General")
    topic = actions.create_topic(author, general, title="A long read", body="Many words.")

    sign_in(page, live_server, reader.email)
    page.clock.install()
    page.goto(live_server.url + topic.get_absolute_url())
    with page.expect_response(lambda r: r.url.endswith(f"/t/{topic.pk}/reading/")) as sent:
        page.clock.run_for("00:31")
    assert sent.value.status == 204
    state = TopicReadState.objects.get(user=reader, topic=topic)
    assert 0 < state.seconds_read <= 30
