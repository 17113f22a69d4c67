"""Notifications: who may be told about a topic, a post, a group or a conversation.

A notification is one more channel, so it answers what the rest of the policy answers:
``may_view_topic``, ``may_view_post``, ``visible_groups``, ``may_view_conversation``.
Fan-out asks about many members at once, so the forum answer is computed for a whole
batch in a fixed number of queries (the same rules as ``forum._compute``; a test
compares the two for every kind of member and category).
"""

from collections.abc import Iterable

from django.db.models import QuerySet

from townsquare.accounts.models import User
from townsquare.core.models import Community
from townsquare.core.permissions.community import STAFF_ROLES
from townsquare.core.permissions.groups import visible_groups
from townsquare.forum.models import Audience, Category, Post, Topic
from townsquare.groups.models import Group, GroupMembership
from townsquare.messaging.models import Conversation, Participant


def _members(user_ids: Iterable[int]) -> QuerySet[User]:
    return User.objects.filter(pk__in=list(user_ids), is_active=True, role__isnull=False)


def members_who_may_view_topic(
    user_ids: Iterable[int], community: Community, topic: Topic
) -> set[int]:
    """Those among ``user_ids`` for whom ``may_view_topic`` is true: three queries."""
    roles = dict(_members(user_ids).values_list("pk", "role"))
    if not roles:
        return set()
    chain = [topic.category_id]
    parent_id = Category.objects.filter(pk=topic.category_id).values_list("parent_id", flat=True)
    parent = parent_id.first()
    if parent is not None:
        chain.append(parent)
    categories = {c.pk: c for c in Category.objects.filter(pk__in=chain)}
    staff = {pk for pk, role in roles.items() if role in STAFF_ROLES}
    allowed = set(roles)
    for category_id in chain:
        category = categories.get(category_id)
        if category is None:
            return set()
        if category.read_access == Audience.GROUPS:
            group_ids = category.read_groups.values("pk")
            in_groups = set(
                GroupMembership.objects.filter(
                    group_id__in=group_ids, user_id__in=list(allowed - staff)
                ).values_list("user_id", flat=True)
            )
            allowed &= in_groups | staff
        # EVERYONE and MEMBERS: every member may read.
    if topic.deleted_at is not None:
        allowed &= staff
    elif topic.hidden_at is not None:
        allowed &= staff | {topic.author_id}
    return allowed


def members_who_may_view_post(
    user_ids: Iterable[int], community: Community, post: Post
) -> set[int]:
    """Those among ``user_ids`` for whom ``may_view_post`` is true."""
    allowed = members_who_may_view_topic(user_ids, community, post.topic)
    if post.deleted_at is not None or post.hidden_at is not None:
        staff = set(_members(allowed).filter(role__in=STAFF_ROLES).values_list("pk", flat=True))
        allowed &= staff if post.deleted_at is not None else staff | {post.author_id}
    return allowed


def members_who_may_see_group(
    user_ids: Iterable[int], community: Community, group: Group
) -> set[int]:
    """Those for whom the group is in ``visible_groups`` (recipients of group events are
    few: the requester, the invitee, the group's managers)."""
    return {
        user.pk
        for user in _members(user_ids)
        if visible_groups(user, community).filter(pk=group.pk).exists()
    }


def members_who_may_view_conversation(
    user_ids: Iterable[int], conversation: Conversation
) -> set[int]:
    """The active participants among ``user_ids`` (``may_view_conversation``): one query."""
    ids = list(user_ids)
    return set(
        Participant.objects.filter(
            conversation=conversation,
            user_id__in=ids,
            left_at__isnull=True,
            user__is_active=True,
            user__role__isnull=False,
        ).values_list("user_id", flat=True)
    )
