"""Topic lists: keyset pages, orders and filters, in a fixed number of queries."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.forum.conftest import client_for, start_topic
from townsquare.core.queries import get_community
from townsquare.forum import actions, queries
from townsquare.forum.models import Topic


def many_topics(author, category, count: int) -> list[Topic]:
    now = timezone.now()
    return [
        actions.create_topic(
            None,
            category,
            title=f"Topic number {n:03d}",
            body=f"Body {n}",
            author=author,
            tags=["bulk", f"t{n % 3}"],
            created_at=now - timedelta(minutes=count - n),
        )
        for n in range(count)
    ]


@pytest.mark.django_db
def test_keyset_pages_cover_every_topic_once(member, general, settings):
    settings.FORUM_TOPICS_PER_PAGE = 7
    many_topics(member, general, 20)
    community = get_community()
    seen, cursor = [], None
    while True:
        page = queries.topic_list(member, community, cursor=cursor)
        seen += [t.title for t in page.topics]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [f"Topic number {n:03d}" for n in range(19, -1, -1)]
    with pytest.raises(ValidationError, match="not valid"):
        queries.topic_list(member, community, cursor="garbage!!")
    # A bad cursor in the address starts again from the first page.
    assert client_for(member).get("/latest/?cursor=garbage").status_code == 302


@pytest.mark.django_db
def test_top_ranks_by_activity_within_the_period(member, bob, general):
    quiet, busy = many_topics(member, general, 2)
    for n in range(3):
        actions.create_post(bob, busy, body=f"Reply {n}")
    actions.add_reaction(bob, quiet.posts.get(), "like")
    Topic.objects.filter(pk=quiet.pk).update(created_at=timezone.now() - timedelta(days=3))
    community = get_community()
    week = queries.topic_list(member, community, order="top", period="week").topics
    assert [t.pk for t in week] == [busy.pk, quiet.pk]
    day = queries.topic_list(member, community, order="top", period="day").topics
    assert [t.pk for t in day] == [busy.pk]


@pytest.mark.django_db
def test_tag_and_category_filters(member, general, questions):
    many_topics(member, general, 3)
    child = actions.create_category(None, name="API questions", parent=questions)
    start_topic(member, child, title="Pagination in the API", tags=["api"])
    community = get_community()
    in_questions = queries.topic_list(member, community, category=questions).topics
    assert [t.title for t in in_questions] == ["Pagination in the API"]
    tagged = client_for(member).get("/tags/api/").content.decode()
    assert "Pagination in the API" in tagged and "Topic number" not in tagged
    assert client_for(member).get("/tags/unknown-tag/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, 25])
def test_list_pages_use_a_fixed_number_of_queries(
    count, member, general, questions, django_assert_max_num_queries
):
    topics = many_topics(member, general, count)
    for topic in topics[:3]:
        client_for(member).get(topic.get_absolute_url())
    client = client_for(member)
    client.get("/latest/")  # warm the session and the community row
    for path in ["/latest/", "/top/?period=all", "/categories/", f"/c/{general.slug}/",
                 "/tags/bulk/", "/unread/", "/new/", "/"]:  # fmt: skip
        with django_assert_max_num_queries(22):
            assert client.get(path).status_code == 200, path


@pytest.mark.django_db
@pytest.mark.parametrize("replies", [2, 30])
def test_topic_page_uses_a_fixed_number_of_queries(
    replies, member, bob, general, django_assert_max_num_queries, settings
):
    settings.FORUM_POSTS_PER_PAGE = 40
    topic = start_topic(member, general, body="[poll]\n* a\n* b\n[/poll]")
    for n in range(replies):
        post = actions.create_post(bob, topic, body=f"Reply {n} to @alice #bulk")
        actions.add_reaction(member, post, "like")
    client = client_for(member)
    client.get(topic.get_absolute_url())
    with django_assert_max_num_queries(26):
        assert client.get(topic.get_absolute_url()).status_code == 200
