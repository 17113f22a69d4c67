"""The forum: which categories, topics and posts a user may see, and what they may do there.

Category rules are few and small, so a user's whole view of them (``ForumAccess``) is
computed once, in a handful of queries, and kept on the user object for the request;
lists then filter by category id. Changes to categories or group memberships call
``forget_forum_access`` so a long-lived user object (a script, a test) never acts on an
old answer.
"""

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from townsquare.core.models import Community
from townsquare.core.permissions.community import (
    AnyUser,
    is_manager,
    is_member,
    is_staff,
    may_view_area,
)
from townsquare.core.permissions.moderation import is_silenced
from townsquare.forum.models import (
    Audience,
    Category,
    CategoryKind,
    Poll,
    Post,
    PostKind,
    Topic,
    Upload,
)
from townsquare.groups.models import GroupMembership

_generation = itertools.count()
_current_generation = next(_generation)


def forget_forum_access() -> None:
    """Category rules or group memberships changed: recompute every user's view."""
    global _current_generation
    _current_generation = next(_generation)


@dataclass(frozen=True)
class CategoryRule:
    kind: str
    topic_access: str
    reply_access: str
    may_start_by_group: bool
    may_reply_by_group: bool


@dataclass(frozen=True)
class ForumAccess:
    """What one user may see and do in categories."""

    visible_ids: frozenset[int]
    rules: dict[int, CategoryRule]


def _group_ids(user: AnyUser) -> frozenset[int]:
    if not is_member(user):
        return frozenset()
    return frozenset(GroupMembership.objects.filter(user=user).values_list("group_id", flat=True))


#: (id, parent_id, kind, read_access, topic_access, reply_access) of every category.
_CATEGORY_COLUMNS = ("id", "parent_id", "kind", "read_access", "topic_access", "reply_access")


def _linked(through, group_ids: Iterable[int]) -> dict[int, set[int]]:
    """{group id: category ids} of one of the category-group links, for these groups."""
    group_ids = list(group_ids)
    linked: dict[int, set[int]] = {}
    if group_ids:
        rows = through.objects.filter(group_id__in=group_ids).values_list("group_id", "category_id")
        for group_id, category_id in rows:
            linked.setdefault(group_id, set()).add(category_id)
    return linked


def _categories_by_group(group_ids: frozenset[int], linked: dict[int, set[int]]) -> set[int]:
    return {category_id for group_id in group_ids for category_id in linked.get(group_id, ())}


def _build(
    user: AnyUser,
    community: Community,
    group_ids: frozenset[int],
    rows: list[tuple],
    links: tuple[dict[int, set[int]], dict[int, set[int]], dict[int, set[int]]],
) -> ForumAccess:
    readable_by_group, startable_by_group, repliable_by_group = (
        _categories_by_group(group_ids, linked) for linked in links
    )
    staff, member = is_staff(user), is_member(user)
    public = may_view_area(user, community, "forum")

    def may_read(read_access: str, category_id: int) -> bool:
        if staff:
            return True
        if read_access == Audience.EVERYONE:
            return public
        if read_access == Audience.MEMBERS:
            return member
        return category_id in readable_by_group

    readable = {row[0]: row[1] for row in rows if may_read(row[3], row[0])}
    # A subcategory is never more open than its parent.
    visible = frozenset(
        cid for cid, parent in readable.items() if parent is None or parent in readable
    )
    rules = {
        row[0]: CategoryRule(
            kind=row[2],
            topic_access=row[4],
            reply_access=row[5],
            may_start_by_group=row[0] in startable_by_group,
            may_reply_by_group=row[0] in repliable_by_group,
        )
        for row in rows
        if row[0] in visible
    }
    return ForumAccess(visible_ids=visible, rules=rules)


def _links(group_ids: Iterable[int]) -> tuple[dict, dict, dict]:
    group_ids = list(group_ids)
    return (
        _linked(Category.read_groups.through, group_ids),
        _linked(Category.topic_groups.through, group_ids),
        _linked(Category.reply_groups.through, group_ids),
    )


def _compute(user: AnyUser, community: Community) -> ForumAccess:
    group_ids = _group_ids(user)
    rows = list(Category.objects.values_list(*_CATEGORY_COLUMNS))
    return _build(user, community, group_ids, rows, _links(group_ids))


def _stamp(user: AnyUser, community: Community) -> tuple:
    return (_current_generation, community.access_mode, tuple(community.public_areas), user.pk)


def prime_forum_access(users: Iterable[AnyUser], community: Community) -> None:
    """Compute ``forum_access`` for many users at once — five queries whatever their number —
    and keep each answer on its user object, as ``forum_access`` does: a batch job (the
    digest) then asks the policy per member without a query per member. The rules are
    ``_compute``'s own (a test compares the two)."""
    users = [
        user
        for user in users
        if getattr(user, "_forum_access", (None,))[0] != _stamp(user, community)
    ]
    if not users:
        return
    rows = list(Category.objects.values_list(*_CATEGORY_COLUMNS))
    members = [user.pk for user in users if is_member(user)]
    groups: dict[int, set[int]] = {}
    if members:
        memberships = GroupMembership.objects.filter(user_id__in=members)
        for user_id, group_id in memberships.values_list("user_id", "group_id"):
            groups.setdefault(user_id, set()).add(group_id)
    links = _links({group_id for ids in groups.values() for group_id in ids})
    for user in users:
        group_ids = frozenset(groups.get(user.pk, ())) if is_member(user) else frozenset()
        access = _build(user, community, group_ids, rows, links)
        user._forum_access = (_stamp(user, community), access)


def forum_access(user: AnyUser, community: Community) -> ForumAccess:
    stamp = _stamp(user, community)
    cached = getattr(user, "_forum_access", None)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    access = _compute(user, community)
    user._forum_access = (stamp, access)
    return access


# --- Seeing -------------------------------------------------------------------------------


def visible_category_ids(user: AnyUser, community: Community) -> frozenset[int]:
    return forum_access(user, community).visible_ids


def visible_categories(user: AnyUser, community: Community) -> QuerySet[Category]:
    return Category.objects.filter(id__in=visible_category_ids(user, community))


def may_view_category(user: AnyUser, community: Community, category: Category) -> bool:
    return category.pk in visible_category_ids(user, community)


def _sees_hidden(user: AnyUser, author_id: int | None) -> bool:
    """Hidden content is opened by staff and by its author only."""
    return is_staff(user) or (is_member(user) and author_id == user.pk)


def visible_topics(user: AnyUser, community: Community) -> QuerySet[Topic]:
    """Topics for lists, feeds, search and the sitemap: listed, not deleted, readable, and
    not hidden by the moderators (staff's lists show hidden ones)."""
    topics = Topic.objects.filter(
        category_id__in=visible_category_ids(user, community),
        deleted_at__isnull=True,
        is_listed=True,
    )
    return topics if is_staff(user) else topics.filter(hidden_at__isnull=True)


def reachable_topics(user: AnyUser, community: Community) -> QuerySet[Topic]:
    """Topics one may open by their address: unlisted ones too; deleted ones for staff;
    hidden ones for staff and their author."""
    topics = Topic.objects.filter(category_id__in=visible_category_ids(user, community))
    if is_staff(user):
        return topics
    shown = Q(hidden_at__isnull=True)
    if is_member(user):
        shown |= Q(author_id=user.pk)
    return topics.filter(shown, deleted_at__isnull=True)


def may_view_topic(user: AnyUser, community: Community, topic: Topic) -> bool:
    if topic.category_id not in visible_category_ids(user, community):
        return False
    if topic.hidden_at is not None and not _sees_hidden(user, topic.author_id):
        return False
    return topic.deleted_at is None or is_staff(user)


def visible_posts(user: AnyUser, community: Community) -> QuerySet[Post]:
    """Posts for search, feeds and profiles: not deleted, not hidden (staff excepted), in
    topics from visible_topics."""
    posts = Post.objects.filter(
        topic__category_id__in=visible_category_ids(user, community),
        topic__deleted_at__isnull=True,
        topic__is_listed=True,
        deleted_at__isnull=True,
        kind=PostKind.REGULAR,
    )
    if is_staff(user):
        return posts
    return posts.filter(hidden_at__isnull=True, topic__hidden_at__isnull=True)


def may_view_post(user: AnyUser, community: Community, post: Post) -> bool:
    """Whether the post may be shown with its content (deleted ones: staff only; hidden
    ones: staff and the author). Others see a placeholder in the topic's stream."""
    if post.hidden_at is not None and not _sees_hidden(user, post.author_id):
        return False
    return may_view_topic(user, community, post.topic) and (
        post.deleted_at is None or is_staff(user)
    )


# --- Writing ------------------------------------------------------------------------------


def _audience_allows(user: AnyUser, audience: str, by_group: bool) -> bool:
    if audience == Audience.MEMBERS:
        return True
    if audience == Audience.GROUPS:
        return by_group
    return is_staff(user)


def _may_write(user: AnyUser) -> bool:
    """Members who are not silenced (silenced ones read but do not write)."""
    return is_member(user) and not is_silenced(user)


def may_start_topic(user: AnyUser, community: Community, category: Category) -> bool:
    if not _may_write(user):
        return False
    rule = forum_access(user, community).rules.get(category.pk)
    if rule is None:
        return False
    if is_staff(user):
        return True
    if rule.kind == CategoryKind.ANNOUNCEMENTS:
        return False
    return _audience_allows(user, rule.topic_access, rule.may_start_by_group)


def _topic_is_writable(topic: Topic) -> bool:
    return (
        topic.deleted_at is None
        and topic.hidden_at is None
        and not topic.is_archived
        and topic.merged_into_id is None
    )


def may_reply(user: AnyUser, community: Community, topic: Topic) -> bool:
    if not _may_write(user) or not _topic_is_writable(topic):
        return False
    rule = forum_access(user, community).rules.get(topic.category_id)
    if rule is None:
        return False
    if is_staff(user):
        return True
    if topic.is_closed:
        return False
    return _audience_allows(user, rule.reply_access, rule.may_reply_by_group)


def may_post_anonymously(user: AnyUser, category: Category) -> bool:
    return is_member(user) and category.kind == CategoryKind.ANONYMOUS


def may_edit_post(user: AnyUser, community: Community, post: Post) -> bool:
    # Silenced members cannot edit either: an edit would be a way to post.
    if not _may_write(user) or post.kind != PostKind.REGULAR or post.deleted_at is not None:
        return False
    if not _topic_is_writable(post.topic) or not may_view_topic(user, community, post.topic):
        return False
    return is_staff(user) or post.author_id == user.pk


def may_delete_post(user: AnyUser, community: Community, post: Post) -> bool:
    """Authors delete their own posts; an opening post (the topic) only while nobody else
    has replied. Moderators delete anything."""
    if not is_member(user) or post.deleted_at is not None:
        return False
    if not may_view_topic(user, community, post.topic):
        return False
    if is_staff(user):
        return True
    if post.author_id != user.pk or not _topic_is_writable(post.topic):
        return False
    if post.number == 1:
        return (
            not post.topic.posts.filter(deleted_at__isnull=True, number__gt=1)
            .exclude(author_id=user.pk)
            .exists()
        )
    return True


def may_recover_post(user: AnyUser, community: Community, post: Post) -> bool:
    return is_staff(user) and post.deleted_at is not None


def may_see_revisions(user: AnyUser, post: Post) -> bool:
    return is_staff(user) or (is_member(user) and post.author_id == user.pk)


def may_react(user: AnyUser, community: Community, post: Post) -> bool:
    """Members react to others' posts (reactions count as appreciation received)."""
    return (
        _may_write(user)
        and post.kind == PostKind.REGULAR
        and post.deleted_at is None
        and post.hidden_at is None
        and post.author_id != user.pk
        and _topic_is_writable(post.topic)
        and may_view_topic(user, community, post.topic)
    )


def may_bookmark(user: AnyUser, community: Community, post: Post) -> bool:
    return is_member(user) and may_view_post(user, community, post)


def may_accept_answer(user: AnyUser, community: Community, topic: Topic) -> bool:
    """In Q&A categories the asker or a moderator marks the accepted answer."""
    if not is_member(user) or not _topic_is_writable(topic):
        return False
    if topic.category.kind != CategoryKind.QA:
        return False
    if not may_view_topic(user, community, topic):
        return False
    return is_staff(user) or topic.author_id == user.pk


def may_vote(user: AnyUser, community: Community, poll: Poll) -> bool:
    return (
        _may_write(user)
        and not poll.is_closed()
        and poll.post.deleted_at is None
        and _topic_is_writable(poll.post.topic)
        and may_view_topic(user, community, poll.post.topic)
    )


def may_upload(user: AnyUser) -> bool:
    return _may_write(user)


def may_view_upload(user: AnyUser, community: Community, upload: Upload) -> bool:
    """An attachment is seen by its uploader and by whoever may read a post that uses it."""
    if is_member(user) and upload.uploader_id == user.pk:
        return True
    posts = Post.objects.filter(
        uploads=upload, topic__category_id__in=visible_category_ids(user, community)
    )
    if not is_staff(user):
        posts = posts.filter(
            deleted_at__isnull=True,
            topic__deleted_at__isnull=True,
            hidden_at__isnull=True,
            topic__hidden_at__isnull=True,
        )
    return posts.exists()


# --- Running the forum --------------------------------------------------------------------


def may_moderate(user: AnyUser) -> bool:
    """Pin, close, archive, unlist, move, split and merge topics; recover posts."""
    return is_staff(user)


def may_reveal_anonymous(user: AnyUser) -> bool:
    """Moderators may see who wrote an anonymous post; each look is recorded."""
    return is_staff(user)


def may_manage_categories(user: AnyUser) -> bool:
    return is_manager(user)


def may_schedule_topics(user: AnyUser) -> bool:
    return is_manager(user)
