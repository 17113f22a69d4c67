"""Moderators' tools on topics: pin, close, archive, unlist, move, split, merge, and the
audited look at who wrote an anonymous post."""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.core.queries import get_community
from townsquare.forum.actions.posting import (
    adjust_category_counts,
    create_action_post,
    refresh_topic_stats,
    topic_slug,
)
from townsquare.forum.models import Category, PinScope, Post, PostKind, Topic
from townsquare.forum.validation import clean_title
from townsquare.moderation import audit
from townsquare.search.index import schedule_indexing


def _moderated(actor: User, topic: Topic) -> Topic:
    topic = Topic.objects.select_for_update().select_related("category").get(pk=topic.pk)
    if not permissions.may_moderate(actor) or not permissions.may_view_topic(
        actor, get_community(), topic
    ):
        raise PermissionDenied
    return topic


def _target_category(actor: User, category: Category) -> Category:
    if not permissions.may_view_category(actor, get_community(), category):
        raise ValidationError({"category": _("Choose a category you can see.")})
    return category


def _pin(topic: Topic) -> dict[str, str | None]:
    until = topic.pinned_until
    return {"pin_scope": topic.pin_scope, "pinned_until": until.isoformat() if until else None}


@transaction.atomic
def pin_topic(actor: User, topic: Topic, *, scope: str, until: datetime | None = None) -> Topic:
    """Pin a topic at the top of its category or of every list, until a date or for good."""
    topic = _moderated(actor, topic)
    if scope not in {PinScope.CATEGORY, PinScope.GLOBAL}:
        raise ValidationError({"scope": _("Pin in the category or everywhere.")})
    if until is not None and until <= timezone.now():
        raise ValidationError({"until": _("The end of the pin must be in the future.")})
    before = _pin(topic)
    topic.pin_scope, topic.pinned_until = scope, until
    topic.save(update_fields=["pin_scope", "pinned_until"])
    audit.record(
        actor,
        "topic.pinned",
        topic,
        before=before,
        after=_pin(topic),
        scope=scope,
        until=until.isoformat() if until else None,
    )
    return topic


@transaction.atomic
def unpin_topic(actor: User, topic: Topic) -> Topic:
    topic = _moderated(actor, topic)
    if topic.pin_scope:
        before = _pin(topic)
        topic.pin_scope, topic.pinned_until = PinScope.NONE, None
        topic.save(update_fields=["pin_scope", "pinned_until"])
        audit.record(actor, "topic.unpinned", topic, before=before, after=_pin(topic))
    return topic


def _set_flag(actor: User, topic: Topic, field: str, value: bool, verbs: tuple[str, str]) -> Topic:
    topic = _moderated(actor, topic)
    if getattr(topic, field) != value:
        setattr(topic, field, value)
        topic.save(update_fields=[field])
        audit.record(
            actor,
            verbs[0] if value else verbs[1],
            topic,
            before={field: not value},
            after={field: value},
        )
    return topic


@transaction.atomic
def set_closed(actor: User, topic: Topic, closed: bool) -> Topic:
    """A closed topic takes no new replies (moderators still may)."""
    return _set_flag(actor, topic, "is_closed", closed, ("topic.closed", "topic.opened"))


@transaction.atomic
def set_archived(actor: User, topic: Topic, archived: bool) -> Topic:
    """An archived topic is frozen: no replies, edits, reactions or votes."""
    return _set_flag(actor, topic, "is_archived", archived, ("topic.archived", "topic.unarchived"))


@transaction.atomic
def set_listed(actor: User, topic: Topic, listed: bool) -> Topic:
    """An unlisted topic is left out of lists, search, feeds and the sitemap; its address
    still works for those who may read the category."""
    return _set_flag(actor, topic, "is_listed", listed, ("topic.listed", "topic.unlisted"))


# The on/off switches of a topic's moderator menu (pages and API): name -> (action, value).
TOPIC_SWITCHES = {
    "close": (set_closed, True),
    "open": (set_closed, False),
    "archive": (set_archived, True),
    "unarchive": (set_archived, False),
    "list": (set_listed, True),
    "unlist": (set_listed, False),
}


def _live_posts(topic: Topic) -> int:
    return Post.objects.filter(topic=topic, deleted_at__isnull=True).count()


@transaction.atomic
def move_topic(actor: User, topic: Topic, category: Category) -> Topic:
    topic = _moderated(actor, topic)
    category = _target_category(actor, category)
    if topic.category_id == category.pk:
        return topic
    previous = topic.category_id
    if topic.deleted_at is None:
        posts = _live_posts(topic)
        adjust_category_counts(previous, topics=-1, posts=-posts)
        adjust_category_counts(category.pk, topics=1, posts=posts)
    topic.category = category
    topic.save(update_fields=["category"])
    audit.record(
        actor,
        "topic.moved",
        topic,
        before={"category": previous},
        after={"category": category.pk},
        previous=previous,
        category=category.pk,
    )
    return topic


@transaction.atomic
def split_topic(
    actor: User,
    topic: Topic,
    post_ids: Iterable[int],
    *,
    title: str,
    category: Category | None = None,
) -> Topic:
    """Move chosen replies into a new topic; the first of them opens it."""
    topic = _moderated(actor, topic)
    category = _target_category(actor, category or topic.category)
    title = clean_title(title)
    moving = list(
        Post.objects.filter(
            topic=topic, pk__in=list(post_ids), number__gt=1, kind=PostKind.REGULAR
        ).order_by("number")
    )
    if not moving:
        raise ValidationError({"posts": _("Choose at least one reply to move.")})
    opening = moving[0]
    new_topic = Topic.objects.create(
        category=category,
        title=title,
        slug=topic_slug(title),
        author=opening.author,
        is_anonymous=opening.is_anonymous,
        created_at=opening.created_at,
        last_posted_at=opening.created_at,
        highest_post_number=len(moving),
    )
    moved_ids = {post.pk for post in moving}
    for number, post in enumerate(moving, start=1):
        post.topic, post.number = new_topic, number
        if post.reply_to_id not in moved_ids:
            post.reply_to = None
    Post.objects.bulk_update(moving, ["topic", "number", "reply_to"], batch_size=500)
    if topic.accepted_post_id in moved_ids:
        Topic.objects.filter(pk=topic.pk).update(accepted_post=None, solved_at=None)
    live = sum(1 for post in moving if post.deleted_at is None)
    adjust_category_counts(topic.category_id, topics=0, posts=-live)
    adjust_category_counts(category.pk, topics=1, posts=live)
    refresh_topic_stats(topic)
    refresh_topic_stats(new_topic)
    create_action_post(
        actor, topic, {"code": "split_to", "count": len(moving), "topic": new_topic.pk}
    )
    audit.record(
        actor,
        "topic.split",
        topic,
        after={"new_topic": new_topic.pk, "posts": sorted(moved_ids)},
        new_topic=new_topic.pk,
        posts=sorted(moved_ids),
    )
    # The first moved post now carries the new topic's title.
    schedule_indexing([opening.pk])
    return new_topic


@transaction.atomic
def merge_topics(actor: User, source: Topic, target: Topic) -> Topic:
    """Append every post of ``source`` to ``target``; the source's address then leads to
    the target."""
    if source.pk == target.pk:
        raise ValidationError({"target": _("A topic cannot be merged into itself.")})
    # Lock in id order so two merges of the same pair cannot deadlock.
    first, second = sorted([source, target], key=lambda t: t.pk)
    first, second = _moderated(actor, first), _moderated(actor, second)
    source, target = (first, second) if first.pk == source.pk else (second, first)
    if source.deleted_at or target.deleted_at or source.merged_into_id or target.merged_into_id:
        raise ValidationError({"target": _("Deleted or merged topics cannot be merged.")})
    moving = list(Post.objects.filter(topic=source).order_by("number"))
    start = target.highest_post_number
    for offset, post in enumerate(moving, start=1):
        post.topic, post.number = target, start + offset
    Post.objects.bulk_update(moving, ["topic", "number"], batch_size=500)
    live = sum(1 for post in moving if post.deleted_at is None)
    adjust_category_counts(source.category_id, topics=-1, posts=-live)
    adjust_category_counts(target.category_id, topics=0, posts=live)
    Topic.objects.filter(pk=source.pk).update(
        merged_into=target, is_listed=False, is_closed=True, accepted_post=None,
        solved_at=None, reply_count=0,
    )  # fmt: skip
    refresh_topic_stats(target)
    create_action_post(
        actor, target, {"code": "merged_from", "count": len(moving), "topic": source.pk}
    )
    audit.record(
        actor,
        "topic.merged",
        source,
        after={"merged_into": target.pk, "posts": len(moving)},
        into=target.pk,
        posts=len(moving),
    )
    # The source's opening post is a reply now: it no longer carries a title.
    if moving:
        schedule_indexing([moving[0].pk])
    return target


@transaction.atomic
def reveal_anonymous_author(actor: User, post: Post) -> User | None:
    """Tell a moderator who wrote an anonymous post. Every look is recorded."""
    post = Post.objects.select_related("topic__category", "author").get(pk=post.pk)
    if not permissions.may_reveal_anonymous(actor) or not permissions.may_view_post(
        actor, get_community(), post
    ):
        raise PermissionDenied
    if not post.is_anonymous:
        raise ValidationError(_("This post is not anonymous."))
    audit.record(actor, "post.anonymous_author_revealed", post, topic=post.topic_id)
    return post.author
