"""Who sees which category, proven on every channel: pages, lists, tags, feeds, sitemap.

A category readable only by a group must never leak its name, its topics, its tags or its
counts to anyone else; what one may not see answers exactly like what does not exist.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from tests.conftest import set_access_mode, sitemap_text
from tests.forum.conftest import client_for, start_topic
from townsquare.core import permissions
from townsquare.core.queries import get_community
from townsquare.forum import actions
from townsquare.forum.models import Audience
from townsquare.groups import actions as group_actions

SECRET_TITLE = "Board minutes: acquisition of Contoso"
SECRET_TAG = "acquisition"


@pytest.fixture
def secret_topic(insider, boardroom):
    return start_topic(insider, boardroom, title=SECRET_TITLE, body="Confidential numbers.",
                       tags=[SECRET_TAG])  # fmt: skip


@pytest.mark.django_db
def test_group_category_is_visible_to_its_members_and_staff_only(
    member, insider, moderator, boardroom, general
):
    community = get_community()
    assert permissions.may_view_category(insider, community, boardroom)
    assert permissions.may_view_category(moderator, community, boardroom)
    assert not permissions.may_view_category(member, community, boardroom)
    assert not permissions.may_view_category(AnonymousUser(), community, boardroom)
    assert permissions.may_view_category(AnonymousUser(), community, general)


@pytest.mark.django_db
def test_subcategory_is_never_more_open_than_its_parent(member, insider, boardroom):
    child = actions.create_category(None, name="Open minutes", parent=boardroom)
    assert child.read_access == Audience.EVERYONE
    community = get_community()
    assert not permissions.may_view_category(member, community, child)
    assert permissions.may_view_category(insider, community, child)


@pytest.mark.django_db
def test_joining_the_group_opens_the_category_at_once(member, board, boardroom):
    community = get_community()
    assert not permissions.may_view_category(member, community, boardroom)
    group_actions.add_member(None, board, member)
    assert permissions.may_view_category(member, community, boardroom)
    group_actions.remove_member(None, board, member)
    assert not permissions.may_view_category(member, community, boardroom)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["visitor", "member"])
def test_secret_topic_leaks_through_no_page(who, member, secret_topic, general):
    start_topic(member, general, title="A public question", body="Hello", tags=["public"])
    client = client_for(member if who == "member" else None)
    for path in [
        "/", "/latest/", "/top/?period=all", "/unanswered/", "/categories/", "/tags/",
        "/latest.rss", "/latest.atom", "sitemap",
    ]:  # fmt: skip
        page = (
            sitemap_text(client)
            if path == "sitemap"
            else (client.get(path, follow=True).content.decode())
        )
        assert SECRET_TITLE not in page, path
        assert "Boardroom" not in page, path
        assert SECRET_TAG not in page, path
    # Direct addresses answer exactly like addresses that do not exist.
    missing = client.get("/t/nothing/999999/")
    for path in [
        secret_topic.get_absolute_url(), f"/t/{secret_topic.pk}/", f"/p/{secret_topic.pk}/1/",
        "/c/boardroom/", f"/tags/{SECRET_TAG}/", "/c/boardroom/feed.rss",
        f"/tags/{SECRET_TAG}/feed.rss", f"/t/{secret_topic.pk}/reply/",
    ]:  # fmt: skip
        response = client.get(path)
        if who == "visitor" and response.status_code == 302:
            continue  # sign-in first, for members-only actions
        assert response.status_code == missing.status_code == 404, path
        assert SECRET_TITLE not in response.content.decode()


@pytest.mark.django_db
def test_insider_sees_the_secret_topic_everywhere_but_public_feeds(insider, secret_topic):
    client = client_for(insider)
    assert SECRET_TITLE in client.get("/latest/").content.decode()
    assert SECRET_TITLE in client.get(secret_topic.get_absolute_url()).content.decode()
    assert SECRET_TAG in client.get("/tags/").content.decode()
    # Feeds are for the public, whoever asks.
    assert SECRET_TITLE not in client.get("/latest.rss").content.decode()


@pytest.mark.django_db
def test_members_only_category_is_hidden_from_visitors(member, lounge):
    topic = start_topic(member, lounge, title="Members chat here", body="Welcome")
    visitor = client_for(None)
    assert "Members chat here" not in visitor.get("/latest/").content.decode()
    assert visitor.get(topic.get_absolute_url()).status_code == 404
    assert "Members chat here" in client_for(member).get("/latest/").content.decode()


@pytest.mark.django_db
def test_private_community_shows_visitors_nothing(member, general):
    topic = start_topic(member, general)
    set_access_mode("private")
    visitor = client_for(None)
    for path in ["/latest/", topic.get_absolute_url(), "/categories/", "/latest.rss"]:
        response = visitor.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client_for(member).get(topic.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_hybrid_community_opens_the_forum_when_chosen(member, general):
    topic = start_topic(member, general)
    set_access_mode("hybrid", ["home"])
    assert client_for(None).get(topic.get_absolute_url()).status_code == 302
    set_access_mode("hybrid", ["home", "forum"])
    assert client_for(None).get(topic.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_start_and_reply_rights_follow_the_category(member, insider, board):
    shared = actions.create_category(
        None, name="Product council", topic_access=Audience.GROUPS, topic_groups=[board],
        reply_access=Audience.GROUPS, reply_groups=[board],
    )  # fmt: skip
    with pytest.raises(PermissionDenied):
        start_topic(member, shared)
    topic = start_topic(insider, shared)
    with pytest.raises(PermissionDenied):
        actions.create_post(member, topic, body="May I chime in?")
    actions.create_post(insider, topic, body="Council members reply here.")
    # Everyone may read it, though.
    assert client_for(member).get(topic.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_unlisted_topics_are_out_of_lists_but_reachable(member, moderator, general):
    topic = start_topic(member, general, title="Quietly unlisted", body="Shh")
    actions.set_listed(moderator, topic, False)
    client = client_for(member)
    assert "Quietly unlisted" not in client.get("/latest/").content.decode()
    assert "Quietly unlisted" not in client.get("/latest.rss").content.decode()
    page = client.get(topic.get_absolute_url())
    assert page.status_code == 200 and b'name="robots" content="noindex"' in page.content
