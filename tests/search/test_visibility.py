"""Search never shows, counts or quotes what the searcher may not see (core.permissions)."""

import pytest
from django.utils import timezone

from townsquare.accounts.models import Role
from townsquare.core.permissions import forget_forum_access
from townsquare.core.queries import get_community
from townsquare.forum.models import Audience, PostKind, Topic
from townsquare.groups.models import Group, GroupMembership
from townsquare.search.queries import search


def found(user, query: str, **filters) -> tuple[set[int], int]:
    results = search(user, get_community(), query, **filters)
    return {hit.post.pk for hit in results.hits}, results.total


@pytest.fixture
def places(forum):
    group = Group.objects.create(name="Staff room", slug="staff-room")
    public = forum.category("Public")
    members = forum.category("Members lounge", read_access=Audience.MEMBERS)
    board = forum.category("Board", read_access=Audience.GROUPS, groups=[group])
    # A subcategory open to everyone inside a members-only parent stays members-only.
    nested = forum.category("Nested", parent=members)
    return {
        "group": group,
        "public": forum.topic(public, "Public plan", "secret merger plan"),
        "members": forum.topic(members, "Members plan", "secret merger plan"),
        "board": forum.topic(board, "Board plan", "secret merger plan"),
        "nested": forum.topic(nested, "Nested plan", "secret merger plan"),
    }


def test_private_categories_are_invisible_to_visitors(places, visitor):
    assert found(visitor, "merger") == ({places["public"].pk}, 1)
    assert found(visitor, "plan secret merger") == ({places["public"].pk}, 1)


def test_members_see_members_categories_not_group_ones(forum, places):
    member = forum.member("ann")
    expected = {places["public"].pk, places["members"].pk, places["nested"].pk}
    assert found(member, "merger") == (expected, 3)


def test_group_members_and_staff_see_the_group_category(forum, places):
    insider = forum.member("ins")
    GroupMembership.objects.create(group=places["group"], user=insider)
    forget_forum_access()
    everything = {post.pk for key, post in places.items() if key != "group"}
    assert found(insider, "merger") == (everything, 4)
    assert found(forum.member("mod", role=Role.MODERATOR), "merger") == (everything, 4)


def test_category_filter_on_a_hidden_category_finds_nothing(places, visitor):
    board = places["board"].topic.category
    assert found(visitor, "merger", category=board) == (set(), 0)
    assert found(visitor, "", category=board) == (set(), 0)


def test_snippets_never_come_from_hidden_posts(places, visitor):
    results = search(visitor, get_community(), "merger")
    assert [hit.topic.title for hit in results.hits] == ["Public plan"]


def test_deleted_and_unlisted_content_is_not_found(forum, visitor):
    public = forum.category("Public")
    kept = forum.topic(public, "Kept", "quarantine notes")
    deleted_post = forum.reply(kept.topic, "quarantine notes, deleted")
    deleted_post.deleted_at = timezone.now()
    deleted_post.save()
    unlisted = forum.topic(public, "Unlisted", "quarantine notes")
    Topic.objects.filter(pk=unlisted.topic_id).update(is_listed=False)
    deleted_topic = forum.topic(public, "Gone", "quarantine notes")
    Topic.objects.filter(pk=deleted_topic.topic_id).update(deleted_at=timezone.now())
    action = forum.reply(kept.topic, "quarantine notes moved")
    action.kind = PostKind.ACTION
    action.save()
    forum.index(action.pk)
    moderator = forum.member("mod", role=Role.MODERATOR)
    for user in (visitor, moderator):
        assert found(user, "quarantine") == ({kept.pk}, 1)
    # Restoring needs no reindexing: the index still holds the terms.
    Topic.objects.filter(pk=unlisted.topic_id).update(is_listed=True)
    assert found(visitor, "quarantine") == ({kept.pk, unlisted.pk}, 2)


def test_moved_topic_follows_its_new_category_without_reindexing(forum, visitor):
    public = forum.category("Public")
    hidden = forum.category("Hidden", read_access=Audience.MEMBERS)
    post = forum.topic(public, "Moving", "relocation story")
    assert found(visitor, "relocation") == ({post.pk}, 1)
    Topic.objects.filter(pk=post.topic_id).update(category=hidden)
    assert found(visitor, "relocation") == (set(), 0)


def test_private_community_shows_visitors_nothing(forum, places, visitor, private_community):
    assert found(visitor, "merger") == (set(), 0)
    assert found(forum.member("ann"), "merger")[1] == 3
