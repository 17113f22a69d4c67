"""The discussions that engaged most: from the rollup's per-topic days, through the real
posting and reading actions; only topics the manager may see; linked; to CSV."""

import csv
import io
from datetime import UTC, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.analytics import discussions, rollups
from townsquare.analytics.models import DailyTopic, DailyTopicParticipant
from townsquare.analytics.periods import Period
from townsquare.core.queries import get_community
from townsquare.forum import actions as forum

pytestmark = pytest.mark.django_db
URL = "/manage/analytics/"


@pytest.fixture
def people(guidelines):
    return {handle: make_member(handle, guidelines) for handle in ("ann", "ben", "cat", "dan")} | {
        "maja": make_member("maja", guidelines, role=Role.MANAGER)
    }


@pytest.fixture
def forum_history(people):
    """General: "Busy" (Ann opens; Ben twice and Cat once reply; then Ben, Cat and Dan
    open it, but only Dan for the first time: writing in a topic already follows it) and
    "Quiet one" (Dan opens, Ann replies once). "Gone away" has four replies but is
    deleted. The period's top: Busy (3 replies, 3 participants: Ann, Ben, Cat; 1 first
    view), then Quiet one (1 reply, 2 participants, 0 first views)."""
    ann, ben, cat, dan = (people[h] for h in ("ann", "ben", "cat", "dan"))
    general = forum.create_category(None, name="General")
    busy = forum.create_topic(ann, general, title="=1+1 Busy", body="What do you think?")
    for n, author in enumerate((ben, cat, ben)):
        forum.create_post(author, busy, body=f"Reply number {n}, with some words.")
    for reader in (ben, cat, dan):
        forum.mark_read(reader, busy, 1)
    quiet = forum.create_topic(dan, general, title="Quiet one", body="Anyone here?")
    forum.create_post(ann, quiet, body="Yes, here.")
    gone = forum.create_topic(cat, general, title="Gone away", body="Soon deleted.")
    for n, author in enumerate((ann, ben, dan, ann)):
        forum.create_post(author, gone, body=f"Reply number {n} to the gone one.")
    forum.delete_post(people["maja"], gone.posts.order_by("number").first())
    today = timezone.now().astimezone(UTC).date()
    rollups.rollup([today])
    return busy, quiet, gone, general


def _period() -> Period:
    return Period.ending(timezone.now().astimezone(UTC).date(), 30)


def test_the_topics_with_most_replies_with_participants_and_first_views(people, forum_history):
    busy, quiet, gone, general = forum_history
    # The aggregate counts the deleted topic too; the manager's list leaves it out.
    assert DailyTopic.objects.get(topic_id=gone.pk).replies == 4
    assert DailyTopicParticipant.objects.filter(topic_id=busy.pk).count() == 3
    found = discussions.top_discussions(_period(), None, people["maja"], get_community())
    assert [(d.topic, d.replies, d.participants, d.views) for d in found] == [
        (busy, 3, 3, 1),
        (quiet, 1, 2, 0),
    ]
    assert (
        discussions.top_discussions(_period(), [general.pk + 1], people["maja"], get_community())
        == []
    )


def test_a_manager_sees_only_topics_of_categories_they_may_read(people, guidelines, board, insider):
    """A manager outside the board does not see the board's private topic."""
    from townsquare.forum.models import Audience

    secret = forum.create_category(
        None, name="Secret", read_access=Audience.GROUPS, read_groups=[board]
    )
    topic = forum.create_topic(insider, secret, title="Board only", body="Private words.")
    forum.create_post(insider, topic, body="More private words.")
    rollups.rollup([timezone.now().astimezone(UTC).date()])
    assert DailyTopic.objects.filter(topic_id=topic.pk).exists()
    from townsquare.core import permissions

    sees = secret.pk in permissions.visible_category_ids(people["maja"], get_community())
    found = discussions.top_discussions(_period(), None, people["maja"], get_community())
    assert [d.topic for d in found] == ([topic] if sees else [])


def test_the_dashboard_lists_and_links_them_and_exports_them(people, forum_history):
    busy = forum_history[0]
    client = Client()
    client.force_login(people["maja"])
    html = client.get(URL).content.decode()
    assert "The discussions that engaged most" in html
    assert (
        f'<a href="{busy.get_absolute_url()}">=1+1 Busy</a></th><td>3</td><td>3</td><td>1</td>'
        in html
    )
    assert "Gone away" not in html
    response = client.get(URL, {"format": "csv", "table": "discussions"})
    rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert rows[0] == ["Topic", "Replies", "Participants", "First views", "Address"]
    assert rows[1][:4] == ["'=1+1 Busy", "3", "3", "1"]
    assert rows[1][4].endswith(busy.get_absolute_url())
    assert rows[2][:4] == ["Quiet one", "1", "2", "0"]
    member = Client()
    member.force_login(people["ann"])
    assert member.get(URL, {"format": "csv", "table": "discussions"}).status_code == 403


def test_the_number_of_queries_does_not_grow_with_the_topics(people, forum_history):
    client = Client()
    client.force_login(people["maja"])
    client.get(URL)

    def queries() -> int:
        cache.clear()  # counted cold both times: the rollup below changes the cache keys
        with CaptureQueriesContext(connection) as context:
            client.get(URL)
        return len(context)

    before = queries()
    general = forum_history[3]
    for n in range(5):
        topic = forum.create_topic(people["ann"], general, title=f"More {n}", body="Words here.")
        forum.create_post(people["ben"], topic, body="A reply here.")
    rollups.rollup([timezone.now().astimezone(UTC).date() - timedelta(days=0)])
    assert queries() == before
