"""The forum's actions keep the search index current: what is written is found, in every
language, and what is hidden is not."""

import pytest
from django.contrib.auth.models import AnonymousUser

from tests.forum.conftest import start_topic
from townsquare.core.queries import get_community
from townsquare.forum import actions
from townsquare.search.queries import search


def titles(user, query: str, **filters) -> list[str]:
    found = search(user, get_community(), query, **filters)
    return [hit.topic.title for hit in found.hits]


@pytest.mark.django_db
def test_what_members_write_is_found_and_edits_reindex(
    member, bob, general, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        topic = start_topic(member, general, title="我们的在线社区管理软件",
                            body="Nasza społeczność rośnie; communities everywhere.")  # fmt: skip
        reply = actions.create_post(bob, topic, body="Dashboards export to CSV")
    assert titles(bob, "社区管理") == ["我们的在线社区管理软件"]
    assert titles(bob, "społeczności") == ["我们的在线社区管理软件"]
    assert titles(bob, "community") == ["我们的在线社区管理软件"]
    with django_capture_on_commit_callbacks(execute=True):
        actions.edit_post(bob, reply, body="Reports go out as spreadsheets")
    assert titles(bob, "dashboards") == []
    assert titles(bob, "spreadsheets") == ["我们的在线社区管理软件"]


@pytest.mark.django_db
def test_hidden_and_anonymous_content_stays_hidden(
    member, bob, moderator, general, lounge, newcomers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start_topic(member, lounge, title="Members only roadmap", body="Quarterly plans")
        gone = start_topic(member, general, title="Soon deleted topic", body="Quarterly plans")
        start_topic(bob, newcomers, title="Shy quarterly question", body="Quarterly plans?",
                    anonymous=True)  # fmt: skip
        actions.delete_post(member, gone.posts.get(number=1))
    assert titles(AnonymousUser(), "quarterly") == ["Shy quarterly question"]
    assert sorted(titles(member, "quarterly")) == ["Members only roadmap", "Shy quarterly question"]
    # An author filter never finds anonymous posts, not even for moderators.
    assert titles(moderator, "quarterly", author=bob) == []
