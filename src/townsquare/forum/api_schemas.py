"""What the forum's API reads and answers: ninja schemas and the functions that turn
models into them.

Every author field goes through ``author_out(visible_author)``: an anonymous post or topic
has no author in any answer (not in lists, posts, replies, bookmarks or revisions).
"""

from datetime import datetime
from typing import Annotated, Literal

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Schema
from pydantic import StringConstraints

from townsquare.core import permissions
from townsquare.core.models import Community
from townsquare.forum.cooking import excerpt
from townsquare.forum.models import (
    Bookmark,
    Category,
    CategoryKind,
    Poll,
    Post,
    PostKind,
    ReactionKind,
    Topic,
)

# Hard ceilings against abuse. The community's own limits (a 200-character title, a post of
# FORUM_POST_MAX_LENGTH characters, five tags of 40) are checked by the actions, whose
# messages name the limit and are translated.
TITLE_CEILING = 1_000
BODY_CEILING = max(settings.FORUM_POST_MAX_LENGTH * 4, 100_000)
TagName = Annotated[str, StringConstraints(max_length=100)]

LEVELS = {"muted": 0, "normal": 1, "tracking": 2, "watching": 3}
LEVEL_NAMES = {value: name for name, value in LEVELS.items()} | {4: "watching_first_post"}


# --- Shapes -----------------------------------------------------------------------------


class AuthorOut(Schema):
    handle: str
    display_name: str
    url: str


class CategoryPermissions(Schema):
    can_start_topic: bool


class CategoryOut(Schema):
    id: int
    name: str
    slug: str
    description: str
    color: str
    position: int
    kind: CategoryKind
    parent_id: int | None = Field(description="Categories have one level of subcategories.")
    topic_count: int
    post_count: int
    url: str
    permissions: CategoryPermissions


class CategoryList(Schema):
    results: list[CategoryOut] = Field(
        description="Flat: each top-level category, followed by its subcategories, in order."
    )


class CategoryIn(Schema):
    name: str = Field(..., max_length=80)
    kind: CategoryKind = CategoryKind.DISCUSSION
    parent_id: int | None = Field(None, description="A top-level category to nest under.")
    description: str = Field("", max_length=1000)
    color: str = Field("#1f5fbf", max_length=20, description="Like #1f5fbf.")
    slug: str = Field("", max_length=100, description="Made from the name when left out.")
    position: int | None = Field(None, ge=0, le=100_000, description="Last when left out.")
    read_access: Literal["everyone", "members", "groups"] = "everyone"
    read_group_ids: list[int] = Field(
        default_factory=list, max_length=100, description='For read_access "groups".'
    )


class CategoryRef(Schema):
    id: int
    slug: str
    name: str


class TopicOut(Schema):
    id: int
    title: str
    slug: str
    url: str
    category: CategoryRef
    tags: list[str]
    author: AuthorOut | None = Field(description="Null for anonymous topics.")
    host_name: str = Field(description="Scheduled prompts may be shown as posted by a host.")
    is_anonymous: bool
    created_at: datetime
    last_posted_at: datetime
    last_poster: AuthorOut | None = Field(description="Null when the last post is anonymous.")
    reply_count: int
    view_count: int
    reaction_count: int
    is_solved: bool
    accepted_post_number: int | None
    pinned: bool
    closed: bool
    archived: bool
    listed: bool
    unread_count: int | None = Field(description="Members only; null for visitors.")


class TopicPage(Schema):
    results: list[TopicOut]
    pinned: list[TopicOut] = Field(
        description="Pinned topics, on the first page of the latest list only (not repeated "
        "in results)."
    )
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")


class TopicFilter(Schema):
    category: str | None = Field(
        None, max_length=100, description="A category id or slug; its subcategories included."
    )
    tag: str | None = Field(None, max_length=100)
    solved: bool | None = Field(
        None, description="true: solved questions; false: Q&A questions without an answer."
    )
    order: Literal["latest", "new", "top"] = "latest"
    period: Literal["day", "week", "month", "year", "all"] = "all"
    status: Literal["unanswered", "unsolved", "solved", "new", "unread"] | None = None
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(settings.FORUM_TOPICS_PER_PAGE, ge=1, le=100)


class TopicIn(Schema):
    category_id: int
    title: str = Field(..., max_length=TITLE_CEILING)
    body: str = Field(..., max_length=BODY_CEILING, description="Markdown.")
    tags: list[TagName] = Field(default_factory=list, max_length=20)
    anonymous: bool = Field(False, description="Only in anonymous categories.")


class PendingOut(Schema):
    """A post held for a moderator's approval (202): published once approved."""

    status: Literal["pending_approval"]
    review_id: int
    detail: str


class ReplyIn(Schema):
    body: str = Field(..., max_length=BODY_CEILING, description="Markdown.")
    reply_to: int | None = Field(None, ge=1, description="The number of the post replied to.")
    anonymous: bool = False


class PostPatch(Schema):
    body: str | None = Field(None, max_length=BODY_CEILING)
    title: str | None = Field(None, max_length=TITLE_CEILING, description="Opening posts only.")
    tags: list[TagName] | None = Field(
        None, max_length=20, description="Opening posts only; replaces the tags."
    )
    reason: str = Field("", max_length=200)


class PollOptionOut(Schema):
    id: int
    text: str
    votes: int | None = Field(description="Shown once the caller voted or the poll closed.")


class PollOut(Schema):
    id: int
    name: str
    question: str
    kind: str
    max_choices: int | None
    closes_at: datetime | None
    closed: bool
    voter_count: int
    results_visible: bool
    options: list[PollOptionOut]
    my_choices: list[int]
    can_vote: bool


class PostAction(Schema):
    code: str = Field(description="split_to or merged_from.")
    count: int
    topic_id: int | None = Field(description="The other topic, when the caller may see it.")


class PostPermissions(Schema):
    can_edit: bool
    can_delete: bool
    can_react: bool


class PostOut(Schema):
    id: int
    topic_id: int
    number: int
    url: str
    kind: str = Field(description="regular, or action for a moderator's note.")
    action: PostAction | None
    author: AuthorOut | None = Field(description="Null for anonymous posts.")
    is_anonymous: bool
    yours: bool = Field(description="Whether the caller wrote it (anonymous posts too).")
    body: str | None = Field(
        description="Markdown; null for deleted posts (staff see it) and hidden ones (staff "
        "and the author see it)."
    )
    body_html: str | None = Field(description="Sanitised HTML.")
    created_at: datetime
    edited_at: datetime | None
    edit_count: int
    reply_to_number: int | None
    reply_to_author: AuthorOut | None
    reactions: dict[str, int]
    my_reactions: list[str]
    bookmarked: bool
    is_accepted: bool
    deleted: bool
    hidden: bool = Field(description="Hidden by the moderators until reviewed.")
    polls: list[PollOut]
    permissions: PostPermissions


class TopicPermissions(Schema):
    can_reply: bool
    can_accept_answer: bool
    can_moderate: bool


class TopicDetail(TopicOut):
    deleted: bool
    merged_into_id: int | None = Field(description="Where the posts of a merged topic went.")
    notification_level: str | None = Field(description="Members only.")
    permissions: TopicPermissions
    page: int
    page_count: int
    total_posts: int
    posts: list[PostOut]


class PageQuery(Schema):
    page: str = Field("1", pattern=r"^(\d{1,9}|last)$", description="A number, or last.")


class ReactionIn(Schema):
    kind: ReactionKind


class ReactionsOut(Schema):
    post_id: int
    reactions: dict[str, int]
    my_reactions: list[str]


class TopicRef(Schema):
    id: int
    slug: str
    title: str


class PostRef(Schema):
    id: int
    number: int
    url: str
    excerpt: str
    author: AuthorOut | None
    created_at: datetime
    topic: TopicRef


class BookmarkOut(Schema):
    id: int
    created_at: datetime
    post: PostRef


class BookmarkPage(Schema):
    results: list[BookmarkOut]
    next_cursor: int | None = Field(None, description="Pass as `cursor` for the next page.")


class BookmarkQuery(Schema):
    limit: int = Field(30, ge=1, le=100)
    cursor: int | None = Field(None, ge=1, description="The bookmark id to continue after.")


class VoteIn(Schema):
    options: list[int] = Field(..., max_length=100, description="Option ids.")


class LevelIn(Schema):
    level: Literal["muted", "normal", "tracking", "watching"]


class LevelOut(Schema):
    topic_id: int
    level: str


class ModerationIn(Schema):
    action: Literal[
        "pin", "unpin", "close", "open", "archive", "unarchive", "list", "unlist", "move"
    ]
    scope: Literal["category", "global"] | None = Field(None, description="For pin.")
    until: datetime | None = Field(None, description="For pin; pinned for good when left out.")
    category_id: int | None = Field(None, description="For move.")


class RevisionOut(Schema):
    number: int
    body: str
    title: str
    editor: AuthorOut | None
    reason: str
    created_at: datetime


# --- From models ------------------------------------------------------------------------


def author_out(request: HttpRequest, person) -> dict | None:
    """Pass only ``visible_author`` / ``visible_last_poster`` here, never ``author``."""
    if person is None:
        return None
    return {
        "handle": person.handle,
        "display_name": person.display_name,
        "url": request.build_absolute_uri(reverse("member_detail", args=[person.handle])),
    }


def category_out(request: HttpRequest, category: Category, community: Community) -> dict:
    return {
        "id": category.pk,
        "name": category.name,
        "slug": category.slug,
        "description": category.description,
        "color": category.color,
        "position": category.position,
        "kind": category.kind,
        "parent_id": category.parent_id,
        "topic_count": category.topic_count,
        "post_count": category.post_count,
        "url": request.build_absolute_uri(category.get_absolute_url()),
        "permissions": {
            "can_start_topic": permissions.may_start_topic(request.user, community, category)
        },
    }


def accepted_numbers(topics: list[Topic]) -> dict[int, int]:
    """The numbers of the topics' accepted answers: one query for a whole list."""
    ids = [topic.accepted_post_id for topic in topics if topic.accepted_post_id]
    if not ids:
        return {}
    return dict(Post.objects.filter(pk__in=ids).values_list("pk", "number"))


def topic_out(request: HttpRequest, topic: Topic, numbers: dict[int, int]) -> dict:
    """A topic as lists show it; its tags prefetched, its reader state annotated."""
    member = request.user.is_authenticated
    return {
        "id": topic.pk,
        "title": topic.title,
        "slug": topic.slug,
        "url": request.build_absolute_uri(topic.get_absolute_url()),
        "category": {
            "id": topic.category.pk,
            "slug": topic.category.slug,
            "name": topic.category.name,
        },
        "tags": topic.tag_names,
        "author": author_out(request, topic.visible_author),
        "host_name": topic.host_name,
        "is_anonymous": topic.is_anonymous,
        "created_at": topic.created_at,
        "last_posted_at": topic.last_posted_at,
        "last_poster": author_out(request, topic.visible_last_poster),
        "reply_count": topic.reply_count,
        "view_count": topic.view_count,
        "reaction_count": topic.reaction_count,
        "is_solved": topic.is_solved,
        "accepted_post_number": numbers.get(topic.accepted_post_id),
        "pinned": topic.is_pinned(),
        "closed": topic.is_closed,
        "archived": topic.is_archived,
        "listed": topic.is_listed,
        "unread_count": getattr(topic, "unread_count", 0) if member else None,
    }


def poll_out(request: HttpRequest, poll: Poll, community: Community) -> dict:
    """A poll with the caller's ballot (``my_choices`` from queries.annotate_posts). Counts
    stay hidden until the caller has voted or the poll is closed, as on the page."""
    closed = poll.is_closed()
    shown = bool(poll.my_choices) or closed
    return {
        "id": poll.pk,
        "name": poll.name,
        "question": poll.question,
        "kind": poll.kind,
        "max_choices": poll.max_choices,
        "closes_at": poll.closes_at,
        "closed": closed,
        "voter_count": poll.voter_count,
        "results_visible": shown,
        "options": [
            {"id": option.pk, "text": option.text, "votes": option.vote_count if shown else None}
            for option in poll.options.all()
        ],
        "my_choices": sorted(poll.my_choices),
        "can_vote": permissions.may_vote(request.user, community, poll),
    }


def action_targets(request: HttpRequest, community: Community, posts: list[Post]) -> set[int]:
    """Topics named by moderators' notes that the caller may open: one query."""
    ids = {post.action.get("topic") for post in posts if post.kind == PostKind.ACTION}
    ids.discard(None)
    if not ids:
        return set()
    reachable = permissions.reachable_topics(request.user, community)
    return set(reachable.filter(pk__in=ids).values_list("pk", flat=True))


def post_out(
    request: HttpRequest,
    post: Post,
    topic: Topic,
    community: Community,
    targets: set[int] = frozenset(),
) -> dict:
    """A post of ``topic`` (annotated by queries.annotate_posts), as the caller may see it."""
    user = request.user
    post.topic = topic  # the topic already loaded: the policy asks it, not the database
    shows = permissions.may_view_post(user, community, post)
    reply_to = post.reply_to
    if reply_to is not None and (reply_to.topic_id != post.topic_id or reply_to.is_deleted):
        reply_to = None
    action = None
    if post.kind == PostKind.ACTION and post.action:
        target = post.action.get("topic")
        action = {
            "code": post.action.get("code", ""),
            "count": post.action.get("count", 0),
            "topic_id": target if target in targets else None,
        }
    for poll in post.poll_list:
        poll.post = post
    return {
        "id": post.pk,
        "topic_id": post.topic_id,
        "number": post.number,
        "url": request.build_absolute_uri(post.get_absolute_url()),
        "kind": post.kind,
        "action": action,
        "author": author_out(request, post.visible_author),
        "is_anonymous": post.is_anonymous,
        "yours": user.is_authenticated and post.author_id == user.pk,
        "body": post.body if shows else None,
        "body_html": post.body_html if shows else None,
        "created_at": post.created_at,
        "edited_at": post.edited_at,
        "edit_count": post.edit_count,
        "reply_to_number": reply_to.number if reply_to else None,
        "reply_to_author": author_out(request, reply_to.visible_author) if reply_to else None,
        "reactions": dict(post.reaction_counts) if shows else {},
        "my_reactions": sorted(post.my_reactions) if shows else [],
        "bookmarked": post.is_bookmarked,
        "is_accepted": topic.accepted_post_id == post.pk,
        "deleted": post.is_deleted,
        "hidden": post.is_hidden,
        "polls": [poll_out(request, poll, community) for poll in post.poll_list] if shows else [],
        "permissions": {
            "can_edit": permissions.may_edit_post(user, community, post),
            "can_delete": permissions.may_delete_post(user, community, post),
            "can_react": permissions.may_react(user, community, post),
        },
    }


def bookmark_out(request: HttpRequest, bookmark: Bookmark) -> dict:
    post = bookmark.post
    return {
        "id": bookmark.pk,
        "created_at": bookmark.created_at,
        "post": {
            "id": post.pk,
            "number": post.number,
            "url": request.build_absolute_uri(post.get_absolute_url()),
            "excerpt": excerpt(post.text, 200),
            "author": author_out(request, post.visible_author),
            "created_at": post.created_at,
            "topic": {"id": post.topic.pk, "slug": post.topic.slug, "title": post.topic.title},
        },
    }


def revision_out(request: HttpRequest, post: Post, revision) -> dict:
    # The author of an anonymous post stays anonymous in its history too.
    hidden = post.is_anonymous and revision.editor_id == post.author_id
    return {
        "number": revision.number,
        "body": revision.body,
        "title": revision.title,
        "editor": None if hidden else author_out(request, revision.editor),
        "reason": revision.reason,
        "created_at": revision.created_at,
    }
