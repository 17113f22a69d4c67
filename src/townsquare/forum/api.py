"""The forum's JSON API (``/api/v1/``): categories, topics, posts, reactions, answers,
bookmarks, polls, notification levels and moderators' switches.

Thin, like the pages: find things through the permission policy (what the caller may not
see is "not found", exactly like what does not exist), change them only through
``forum.actions``, read lists through ``forum.queries`` in a fixed number of queries.
Shapes and serialisers are in ``forum.api_schemas``. See docs/api.md.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Status

from townsquare.accounts.models import User
from townsquare.api.access import require_area
from townsquare.api.auth import member_auth
from townsquare.core import permissions
from townsquare.core.queries import community_for
from townsquare.forum import actions, queries
from townsquare.forum.api_schemas import (
    LEVEL_NAMES,
    LEVELS,
    BookmarkOut,
    BookmarkPage,
    BookmarkQuery,
    CategoryIn,
    CategoryList,
    CategoryOut,
    LevelIn,
    LevelOut,
    ModerationIn,
    PageQuery,
    PendingOut,
    PollOut,
    PostOut,
    PostPatch,
    ReactionIn,
    ReactionsOut,
    ReplyIn,
    RevisionOut,
    TopicDetail,
    TopicFilter,
    TopicIn,
    TopicOut,
    TopicPage,
    VoteIn,
    accepted_numbers,
    action_targets,
    bookmark_out,
    category_out,
    poll_out,
    post_out,
    revision_out,
    topic_out,
)
from townsquare.forum.models import Category, Poll, Post, ReactionKind, Topic
from townsquare.forum.tracking import count_topic_view
from townsquare.forum.views.common import poll_or_404, post_or_404, tag_or_404, topic_or_404
from townsquare.groups.models import Group

router = Router(tags=["forum"])

IDEMPOTENCY_HELP = (
    "Any unique string (at most 64 characters). Sending the same request again with the same "
    "key creates nothing new and answers 200 with what the first request created."
)


# --- Helpers ------------------------------------------------------------------------------


@contextmanager
def api_fields(**renamed: str) -> Iterator[None]:
    """Name fields in errors as the API names them (``parent`` -> ``parent_id``)."""
    try:
        yield
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError(
            {renamed.get(name, name): errors for name, errors in error.error_dict.items()}
        ) from error


def _category_or_404(request: HttpRequest, category_id: int) -> Category:
    visible = permissions.visible_categories(request.user, community_for(request))
    return get_object_or_404(visible, pk=category_id)


def _filter_category(request: HttpRequest, value: str) -> Category:
    """``?category=`` takes an id or a slug; a number that is no visible category's id is
    tried as a slug."""
    visible = permissions.visible_categories(request.user, community_for(request))
    if value.isascii() and value.isdigit():
        found = visible.filter(pk=int(value)).first()
        if found is not None:
            return found
    return get_object_or_404(visible, slug=value)


def _listed_topic(request: HttpRequest, topic_id: int) -> dict:
    """A topic as lists show it, read fresh after a change."""
    (topic,) = queries.load_topics(Topic.objects.filter(pk=topic_id))
    queries.annotate_reader([topic], request.user)
    return topic_out(request, topic, accepted_numbers([topic]))


def _fresh_post(request: HttpRequest, post_id: int) -> dict:
    """A post as the topic page shows it, read fresh after a change."""
    post = queries.with_post_relations(Post.objects.filter(pk=post_id), request.user).get()
    topic = Topic.objects.select_related("category").get(pk=post.topic_id)
    queries.annotate_posts([post], request.user)
    community = community_for(request)
    return post_out(request, post, topic, community, action_targets(request, community, [post]))


def _earlier_with_key(user: User, key: str) -> Post | None:
    return Post.objects.filter(author=user, client_token=key).first() if key else None


def _key_reused() -> ValidationError:
    return ValidationError(
        {"Idempotency-Key": _("This Idempotency-Key was already used for another request.")}
    )


# --- Categories ---------------------------------------------------------------------------


@router.get("/categories", response=CategoryList, summary="Categories the caller may see")
def list_categories(request: HttpRequest) -> dict:
    require_area(request, "forum")
    community = community_for(request)
    flat: list[Category] = []
    for category in queries.category_list(request.user, community):
        flat.extend([category, *category.subcategories])
    return {"results": [category_out(request, c, community) for c in flat]}


@router.post(
    "/categories",
    response={201: CategoryOut},
    auth=member_auth,
    summary="Create a category (community managers and admins)",
)
def create_category(request: HttpRequest, payload: CategoryIn) -> Status:
    require_area(request, "forum")
    user = request.user
    if not permissions.may_manage_categories(user):
        raise PermissionDenied
    parent = None
    if payload.parent_id is not None:
        parent = Category.objects.filter(pk=payload.parent_id).first()
        if parent is None:
            raise ValidationError({"parent_id": _("Choose an existing category.")})
    groups = list(Group.objects.filter(pk__in=payload.read_group_ids))
    if len(groups) != len(set(payload.read_group_ids)):
        raise ValidationError({"read_group_ids": _("Choose existing groups.")})
    position = payload.position
    if position is None:
        position = Category.objects.count()
    with api_fields(parent="parent_id", read_groups="read_group_ids"):
        category = actions.create_category(
            user,
            name=payload.name,
            kind=payload.kind,
            parent=parent,
            description=payload.description,
            color=payload.color,
            slug=payload.slug,
            position=position,
            read_access=payload.read_access,
            read_groups=groups,
        )
    return Status(201, category_out(request, category, community_for(request)))


@router.get("/categories/{category_id}", response=CategoryOut, summary="One category")
def get_category(request: HttpRequest, category_id: int) -> dict:
    require_area(request, "forum")
    category = _category_or_404(request, category_id)
    return category_out(request, category, community_for(request))


# --- Topics -------------------------------------------------------------------------------


@router.get("/topics", response=TopicPage, summary="Topics the caller may see, by keyset pages")
def list_topics(request: HttpRequest, filters: Query[TopicFilter]) -> dict:
    require_area(request, "forum")
    category = _filter_category(request, filters.category) if filters.category else None
    tag = tag_or_404(request, filters.tag) if filters.tag else None
    listing = queries.topic_list(
        request.user,
        community_for(request),
        order=filters.order,
        period=filters.period,
        category=category,
        tag=tag,
        status=filters.status,
        solved=filters.solved,
        cursor=filters.cursor,
        limit=filters.limit,
    )
    numbers = accepted_numbers(listing.pinned + listing.topics)
    return {
        "results": [topic_out(request, topic, numbers) for topic in listing.topics],
        "pinned": [topic_out(request, topic, numbers) for topic in listing.pinned],
        "next_cursor": listing.next_cursor,
    }


@router.post(
    "/topics",
    response={200: TopicOut, 201: TopicOut, 202: PendingOut},
    auth=member_auth,
    summary="Start a topic",
)
def create_topic(
    request: HttpRequest,
    payload: TopicIn,
    idempotency_key: str = Header(
        "", alias="Idempotency-Key", max_length=64, description=IDEMPOTENCY_HELP
    ),
) -> Status:
    require_area(request, "forum")
    user, community = request.user, community_for(request)
    category = (
        permissions.visible_categories(user, community).filter(pk=payload.category_id).first()
    )
    if category is None:
        raise ValidationError({"category_id": _("Choose a category you can see.")})
    key = idempotency_key.strip()
    earlier = _earlier_with_key(user, key)
    if earlier is not None and earlier.number != 1:
        raise _key_reused()
    started = timezone.now()
    topic = actions.create_topic(
        user,
        category,
        title=payload.title,
        body=payload.body,
        tags=payload.tags,
        anonymous=payload.anonymous,
        client_token=key,
    )
    # The action answers a repeated request with the topic it made the first time.
    status = 201 if topic.created_at >= started else 200
    return Status(status, _listed_topic(request, topic.pk))


@router.get(
    "/topics/{topic_id}",
    response=TopicDetail,
    summary="A topic with one page of its posts",
    description="Reading a page as a member marks its posts read, as the web page does.",
)
def get_topic(request: HttpRequest, topic_id: int, query: Query[PageQuery]) -> dict:
    require_area(request, "forum")
    user, community = request.user, community_for(request)
    topic = topic_or_404(request, topic_id)
    merged_into_id = None
    if topic.merged_into_id:
        reachable = permissions.reachable_topics(user, community)
        if reachable.filter(pk=topic.merged_into_id).exists():
            merged_into_id = topic.merged_into_id
    page = queries.topic_posts(topic, user, query.page)
    level = None
    if permissions.is_member(user):
        state = actions.mark_read(user, topic, page.posts[-1].number if page.posts else 0)
        level = LEVEL_NAMES.get(state.notification_level)
    count_topic_view(request, topic)
    queries.annotate_reader([topic], user)
    queries.attach_tag_names([topic])
    targets = action_targets(request, community, page.posts)
    numbers = accepted_numbers([topic])
    posts = [post_out(request, post, topic, community, targets) for post in page.posts]
    return topic_out(request, topic, numbers) | {
        "deleted": topic.is_deleted,
        "merged_into_id": merged_into_id,
        "notification_level": level,
        "permissions": {
            "can_reply": permissions.may_reply(user, community, topic),
            "can_accept_answer": permissions.may_accept_answer(user, community, topic),
            "can_moderate": permissions.may_moderate(user),
        },
        "page": page.number,
        "page_count": page.count,
        "total_posts": page.total_posts,
        "posts": posts,
    }


@router.post(
    "/topics/{topic_id}/posts",
    response={200: PostOut, 201: PostOut, 202: PendingOut},
    auth=member_auth,
    summary="Reply in a topic",
)
def create_post(
    request: HttpRequest,
    topic_id: int,
    payload: ReplyIn,
    idempotency_key: str = Header(
        "", alias="Idempotency-Key", max_length=64, description=IDEMPOTENCY_HELP
    ),
) -> Status:
    require_area(request, "forum")
    user = request.user
    topic = topic_or_404(request, topic_id)
    reply_to = None
    if payload.reply_to is not None:
        reply_to = Post.objects.filter(topic=topic, number=payload.reply_to).first()
        if reply_to is None:
            raise ValidationError({"reply_to": _("You can only reply to a post in this topic.")})
    key = idempotency_key.strip()
    earlier = _earlier_with_key(user, key)
    if earlier is not None and (earlier.number == 1 or earlier.topic_id != topic.pk):
        raise _key_reused()
    started = timezone.now()
    post = actions.create_post(
        user,
        topic,
        body=payload.body,
        reply_to=reply_to,
        anonymous=payload.anonymous,
        client_token=key,
    )
    status = 201 if post.created_at >= started else 200
    return Status(status, _fresh_post(request, post.pk))


@router.put(
    "/topics/{topic_id}/notification-level",
    response=LevelOut,
    auth=member_auth,
    summary="How much the caller hears about a topic",
)
def set_notification_level(request: HttpRequest, topic_id: int, payload: LevelIn) -> dict:
    require_area(request, "forum")
    topic = topic_or_404(request, topic_id)
    state = actions.set_topic_level(request.user, topic, LEVELS[payload.level])
    return {"topic_id": topic.pk, "level": LEVEL_NAMES[state.notification_level]}


@router.post(
    "/topics/{topic_id}/moderation",
    response=TopicOut,
    auth=member_auth,
    summary="Pin, close, archive, unlist or move a topic (moderators)",
)
def moderate_topic(request: HttpRequest, topic_id: int, payload: ModerationIn) -> dict:
    require_area(request, "forum")
    user = request.user
    topic = topic_or_404(request, topic_id)
    if not permissions.may_moderate(user):
        raise PermissionDenied
    what = payload.action
    if what in actions.TOPIC_SWITCHES:
        action, value = actions.TOPIC_SWITCHES[what]
        action(user, topic, value)
    elif what == "pin":
        actions.pin_topic(user, topic, scope=payload.scope or "", until=payload.until)
    elif what == "unpin":
        actions.unpin_topic(user, topic)
    else:  # move
        target = None
        if payload.category_id is not None:
            target = Category.objects.filter(pk=payload.category_id).first()
        if target is None:
            raise ValidationError({"category_id": _("Choose a category you can see.")})
        with api_fields(category="category_id"):
            actions.move_topic(user, topic, target)
    return _listed_topic(request, topic.pk)


# --- Posts --------------------------------------------------------------------------------


@router.patch(
    "/posts/{post_id}",
    response=PostOut,
    auth=member_auth,
    summary="Edit a post (and, for an opening post, the topic's title and tags)",
)
def edit_post(request: HttpRequest, post_id: int, payload: PostPatch) -> dict:
    require_area(request, "forum")
    post = post_or_404(request, post_id)
    actions.edit_post(
        request.user,
        post,
        body=payload.body,
        title=payload.title,
        tags=payload.tags,
        reason=payload.reason,
    )
    return _fresh_post(request, post.pk)


@router.delete(
    "/posts/{post_id}",
    response={204: None},
    auth=member_auth,
    summary="Delete a post (deleting the opening post deletes the topic)",
)
def delete_post(request: HttpRequest, post_id: int) -> Status:
    require_area(request, "forum")
    actions.delete_post(request.user, post_or_404(request, post_id))
    return Status(204, None)


@router.post(
    "/posts/{post_id}/recover",
    response=PostOut,
    auth=member_auth,
    summary="Bring a deleted post back (moderators)",
)
def recover_post(request: HttpRequest, post_id: int) -> dict:
    require_area(request, "forum")
    post = post_or_404(request, post_id)
    actions.recover_post(request.user, post)
    return _fresh_post(request, post.pk)


@router.get(
    "/posts/{post_id}/revisions",
    response=list[RevisionOut],
    auth=member_auth,
    summary="Earlier versions of a post (its author and staff)",
)
def post_revisions(request: HttpRequest, post_id: int) -> list[dict]:
    require_area(request, "forum")
    post = post_or_404(request, post_id)
    if not permissions.may_see_revisions(request.user, post):
        raise Http404
    return [revision_out(request, post, r) for r in post.revisions.select_related("editor")]


def _reactions(request: HttpRequest, post: Post) -> dict:
    queries.annotate_posts([post], request.user)
    return {
        "post_id": post.pk,
        "reactions": dict(post.reaction_counts),
        "my_reactions": sorted(post.my_reactions),
    }


@router.post(
    "/posts/{post_id}/reactions",
    response=ReactionsOut,
    auth=member_auth,
    summary="React to a post",
)
def add_reaction(request: HttpRequest, post_id: int, payload: ReactionIn) -> dict:
    require_area(request, "forum")
    post = actions.add_reaction(request.user, post_or_404(request, post_id), payload.kind)
    return _reactions(request, post)


@router.delete(
    "/posts/{post_id}/reactions/{kind}",
    response=ReactionsOut,
    auth=member_auth,
    summary="Take back a reaction",
)
def remove_reaction(request: HttpRequest, post_id: int, kind: ReactionKind) -> dict:
    require_area(request, "forum")
    post = actions.remove_reaction(request.user, post_or_404(request, post_id), kind)
    return _reactions(request, post)


@router.post(
    "/posts/{post_id}/accept",
    response=TopicOut,
    auth=member_auth,
    summary="Mark a reply as the accepted answer (the asker or a moderator, in Q&A)",
)
def accept_answer(request: HttpRequest, post_id: int) -> dict:
    require_area(request, "forum")
    topic = actions.accept_answer(request.user, post_or_404(request, post_id))
    return _listed_topic(request, topic.pk)


@router.delete(
    "/posts/{post_id}/accept",
    response=TopicOut,
    auth=member_auth,
    summary="Unmark the accepted answer",
)
def unaccept_answer(request: HttpRequest, post_id: int) -> dict:
    require_area(request, "forum")
    user = request.user
    post = post_or_404(request, post_id)
    topic = post.topic
    if topic.accepted_post_id == post.pk:
        actions.unaccept_answer(user, topic)
    elif not permissions.may_accept_answer(user, community_for(request), topic):
        # Nothing to undo, but the caller learns the same as when there is.
        if not topic.category.is_qa:
            raise ValidationError(_("Only questions in Q&A categories have accepted answers."))
        raise PermissionDenied
    return _listed_topic(request, topic.pk)


@router.post(
    "/posts/{post_id}/bookmark",
    response=BookmarkOut,
    auth=member_auth,
    summary="Bookmark a post",
)
def add_bookmark(request: HttpRequest, post_id: int) -> dict:
    require_area(request, "forum")
    bookmark = actions.add_bookmark(request.user, post_or_404(request, post_id))
    bookmark = queries.bookmarks(request.user, community_for(request)).get(pk=bookmark.pk)
    return bookmark_out(request, bookmark)


@router.delete(
    "/posts/{post_id}/bookmark",
    response={204: None},
    auth=member_auth,
    summary="Remove a bookmark",
)
def remove_bookmark(request: HttpRequest, post_id: int) -> Status:
    require_area(request, "forum")
    actions.remove_bookmark(request.user, post_or_404(request, post_id))
    return Status(204, None)


@router.get(
    "/bookmarks",
    response=BookmarkPage,
    auth=member_auth,
    summary="The caller's bookmarks, newest first",
)
def list_bookmarks(request: HttpRequest, filters: Query[BookmarkQuery]) -> dict:
    require_area(request, "forum")
    bookmarks = queries.bookmarks(request.user, community_for(request)).order_by("-id")
    if filters.cursor:
        bookmarks = bookmarks.filter(id__lt=filters.cursor)
    page = list(bookmarks[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {
        "results": [bookmark_out(request, bookmark) for bookmark in page],
        "next_cursor": page[-1].pk if more else None,
    }


# --- Polls --------------------------------------------------------------------------------


def _poll_answer(request: HttpRequest, poll: Poll) -> dict:
    post = Post.objects.select_related("topic__category").get(pk=poll.post_id)
    queries.annotate_posts([post], request.user)
    fresh = next(p for p in post.poll_list if p.pk == poll.pk)
    fresh.post = post
    return poll_out(request, fresh, community_for(request))


@router.post("/polls/{poll_id}/vote", response=PollOut, auth=member_auth, summary="Vote in a poll")
def vote(request: HttpRequest, poll_id: int, payload: VoteIn) -> dict:
    require_area(request, "forum")
    poll = actions.vote(request.user, poll_or_404(request, poll_id), payload.options)
    return _poll_answer(request, poll)


@router.delete(
    "/polls/{poll_id}/vote", response=PollOut, auth=member_auth, summary="Take back a vote"
)
def retract_vote(request: HttpRequest, poll_id: int) -> dict:
    require_area(request, "forum")
    poll = actions.retract_vote(request.user, poll_or_404(request, poll_id))
    return _poll_answer(request, poll)


@router.post(
    "/polls/{poll_id}/close",
    response=PollOut,
    auth=member_auth,
    summary="Close a poll early (its post's author or a moderator)",
)
def close_poll(request: HttpRequest, poll_id: int) -> dict:
    require_area(request, "forum")
    poll = actions.close_poll(request.user, poll_or_404(request, poll_id))
    return _poll_answer(request, poll)
