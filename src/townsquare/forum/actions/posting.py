"""Starting topics, replying, editing and deleting posts."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.core.queries import get_community
from townsquare.forum.actions.polls import sync_polls
from townsquare.forum.actions.reading import follow_own_topic
from townsquare.forum.cooking import Cooked
from townsquare.forum.models import (
    Category,
    Post,
    PostKind,
    PostRevision,
    Tag,
    Topic,
    TopicTag,
    Upload,
)
from townsquare.forum.rendering import render_post
from townsquare.forum.validation import clean_body, clean_tags, clean_title
from townsquare.moderation import audit, limits, screening

# A module import: flags (auto-hiding) needs the forum's actions, which flag what the
# screening rules point at; the names are read when called.
from townsquare.moderation.actions import flags
from townsquare.moderation.actions.queue import hold
from townsquare.moderation.models import ReviewItem
from townsquare.notifications.actions import notify_on_commit
from townsquare.search.index import schedule_indexing


def topic_slug(title: str) -> str:
    return slugify(title, allow_unicode=True)[:100].strip("-") or "topic"


def _set_tags(topic: Topic, names: list[str]) -> None:
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=name) for name in names if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    TopicTag.objects.filter(topic=topic).exclude(tag__name__in=names).delete()
    current = set(TopicTag.objects.filter(topic=topic).values_list("tag__name", flat=True))
    TopicTag.objects.bulk_create(
        [TopicTag(topic=topic, tag=existing[name]) for name in names if name not in current]
    )


def _link(relation, items: list, *, editing: bool) -> None:
    """Point a post at what its text names; a new post writes only what it has."""
    if editing:
        relation.set(items)
    elif items:
        relation.add(*items)


def _quoted_posts(post: Post, cooked: Cooked) -> list[Post]:
    """The posts a text quotes, found by (topic, number) in one query."""
    if not cooked.quotes:
        return []
    wanted = Q()
    for quote in cooked.quotes[:50]:
        wanted |= Q(topic_id=quote.topic_id, number=quote.post_number)
    return list(Post.objects.filter(wanted).exclude(pk=post.pk).only("pk"))


def _apply_cooked(post: Post, cooked: Cooked, *, editing: bool) -> None:
    """Store what cooking found: the HTML, mentions, quotes, attachments and polls."""
    post.body_html, post.text = cooked.html, cooked.text
    if editing:
        post.save(update_fields=["body_html", "text"])
    # A member who blocked the author is not mentioned by them: no record, no notification.
    mentioned = (
        list(
            User.objects.filter(handle__in=cooked.mentions, is_active=True)
            .exclude(pk__in=permissions.mention_blockers(post.author_id))
            .only("pk")
        )
        if cooked.mentions
        else []
    )
    _link(post.mentions, mentioned, editing=editing)
    _link(post.quotes, _quoted_posts(post, cooked), editing=editing)
    uploads = (
        list(Upload.objects.filter(file__in=cooked.upload_paths).only("pk"))
        if cooked.upload_paths
        else []
    )
    _link(post.uploads, uploads, editing=editing)
    if cooked.polls or editing:
        sync_polls(post, cooked.polls, new=not editing)


def _check_author(actor: User | None, author: User | None) -> User:
    """Who the post is by: the actor, or for system actions (actor None) the given author."""
    if actor is not None:
        if author is not None and author.pk != actor.pk:
            raise PermissionDenied
        return actor
    if author is None:
        raise ValueError("A system action needs an author.")
    return author


def _recent_duplicate(
    author: User, topic: Topic | None, body: str, client_token: str, title: str = ""
) -> Post | None:
    """A post this member just made with the same token or the same text (a double click,
    a re-sent form, a retried API call): answered with the first one."""
    if client_token:
        found = Post.objects.filter(author=author, client_token=client_token).first()
        if found is not None:
            return found
    since = timezone.now() - timedelta(seconds=settings.FORUM_DUPLICATE_WINDOW_SECONDS)
    recent = Post.objects.filter(
        author=author, created_at__gte=since, deleted_at__isnull=True, body=body
    )
    if topic is None:
        return recent.filter(number=1, topic__title=title).first()
    return recent.filter(topic=topic).first()


def _insert_post(
    topic: Topic,
    number: int,
    author: User,
    anonymous: bool,
    body: str,
    cooked: Cooked,
    at: datetime,
    client_token: str,
    reply_to: Post | None = None,
) -> Post:
    return Post.objects.create(
        topic=topic,
        number=number,
        author=author,
        is_anonymous=anonymous,
        reply_to=reply_to,
        body=body,
        body_html=cooked.html,
        text=cooked.text,
        created_at=at,
        client_token=client_token,
    )


def _simultaneous_twin(author: User, client_token: str) -> Post | None:
    """The same form, submitted twice at the same moment: the submission that won."""
    if not client_token:
        return None
    return Post.objects.filter(author=author, client_token=client_token).first()


def _screen(
    author: User, body: str, title: str, kind: str, cooked: Cooked, topic: Topic | None = None
) -> tuple[screening.Screening, str, str, Cooked]:
    """Screen a member's new post (refused with ValidationError if blocked); the body and
    title to store, re-cooked when watched words replaced something."""
    result = screening.screen(author, text=body, title=title, kind=kind, cooked=cooked, topic=topic)
    if result.text != body:
        body = clean_body(result.text)
        cooked = render_post(body)
    if title and result.title != title:
        title = clean_title(result.title)
    return result, body, title, cooked


def _flag_screened(result: screening.Screening | None, target) -> None:
    """Published, but the screening rules want a moderator to look: flag it (the system)."""
    if result is not None and result.flag:
        flags.flag(None, target, reason=result.flag_reason, signals=result.flag)


def create_topic(
    actor: User | None,
    category: Category,
    *,
    title: str,
    body: str,
    tags: Iterable[str] = (),
    anonymous: bool = False,
    host_name: str = "",
    client_token: str = "",
    author: User | None = None,
    created_at: datetime | None = None,
) -> Topic:
    """Start a topic. ``actor=None`` is the system (scheduled prompts, importers, the demo),
    which names the ``author`` and may backdate with ``created_at``; a member's topic is
    screened and may be held for approval (PostHeld)."""
    made = _create_topic(
        actor, category, title=title, body=body, tags=tags, anonymous=anonymous,
        host_name=host_name, client_token=client_token, author=author, created_at=created_at,
    )  # fmt: skip
    # Raised outside the transaction, which keeps the review item holding the post.
    if isinstance(made, ReviewItem):
        raise screening.PostHeld(made)
    return made


@transaction.atomic
def _create_topic(
    actor: User | None,
    category: Category,
    *,
    title: str,
    body: str,
    tags: Iterable[str],
    anonymous: bool,
    host_name: str,
    client_token: str,
    author: User | None,
    created_at: datetime | None,
) -> Topic | ReviewItem:
    author = _check_author(actor, author)
    community = get_community()
    if actor is not None:
        permissions.refuse_if_silenced(actor)
        if not permissions.may_start_topic(actor, community, category):
            raise PermissionDenied
        if host_name and not permissions.may_schedule_topics(actor):
            raise PermissionDenied
        if created_at is not None:
            raise PermissionDenied
    if anonymous and not permissions.may_post_anonymously(author, category):
        raise ValidationError(
            {"anonymous": _("Anonymous posting is not allowed in this category.")}
        )
    title = clean_title(title)
    body = clean_body(body)
    tag_names = clean_tags(tags)
    host_name = " ".join(host_name.split())[:120]
    client_token = client_token.strip()[:64]
    if actor is not None and (
        duplicate := _recent_duplicate(author, None, body, client_token, title)
    ):
        return duplicate.topic
    if actor is not None:
        limits.check_daily_posts(actor)
        limits.check_rate(actor, "topic")
    cooked = render_post(body)
    screened = None
    if actor is not None:
        screened, body, title, cooked = _screen(author, body, title, screening.TOPIC, cooked)
        if screened.hold:
            return hold(
                author,
                {
                    "type": "topic", "category": category.pk, "title": title, "body": body,
                    "tags": tag_names, "anonymous": anonymous, "client_token": client_token,
                },
                screened,
            )  # fmt: skip
    now = created_at or timezone.now()
    try:
        with transaction.atomic():
            topic = Topic.objects.create(
                category=category,
                title=title,
                slug=topic_slug(title),
                author=author,
                is_anonymous=anonymous,
                host_name=host_name,
                created_at=now,
                last_posted_at=now,
                last_poster=author,
                last_post_anonymous=anonymous,
                highest_post_number=1,
            )
            post = _insert_post(topic, 1, author, anonymous, body, cooked, now, client_token)
    except IntegrityError:
        if (twin := _simultaneous_twin(author, client_token)) is None:
            raise
        return twin.topic
    _set_tags(topic, tag_names)
    _apply_cooked(post, cooked, editing=False)
    _flag_screened(screened, post)
    adjust_category_counts(category.pk, topics=1, posts=1)
    follow_own_topic(author, topic, last_read_number=1, started=True, at=now)
    activity.record(
        author,
        "topic.created",
        topic,
        at=now,
        category=category.pk,
        anonymous=anonymous,
        tags=tag_names,
    )
    schedule_indexing([post.pk])
    if created_at is None:  # not a backdated import
        notify_on_commit("post", post.pk)
    return topic


def _first_response(topic: Topic, author: User, at: datetime) -> None:
    """Record when someone other than the asker first answered (time to first response)."""
    if topic.first_response_at is not None or author.pk == topic.author_id:
        return
    topic.first_response_at = at
    Topic.objects.filter(pk=topic.pk).update(first_response_at=at)
    seconds = int((at - topic.created_at).total_seconds())
    activity.record(
        author, "topic.first_response", topic, at=at, category=topic.category_id, seconds=seconds
    )


def create_post(
    actor: User | None,
    topic: Topic,
    *,
    body: str,
    reply_to: Post | None = None,
    anonymous: bool = False,
    client_token: str = "",
    author: User | None = None,
    created_at: datetime | None = None,
) -> Post:
    """Reply in a topic. ``actor=None`` is the system, as for create_topic; a member's
    reply is screened and may be held for approval (PostHeld)."""
    made = _create_post(
        actor, topic, body=body, reply_to=reply_to, anonymous=anonymous,
        client_token=client_token, author=author, created_at=created_at,
    )  # fmt: skip
    if isinstance(made, ReviewItem):
        raise screening.PostHeld(made)
    return made


@transaction.atomic
def _create_post(
    actor: User | None,
    topic: Topic,
    *,
    body: str,
    reply_to: Post | None,
    anonymous: bool,
    client_token: str,
    author: User | None,
    created_at: datetime | None,
) -> Post | ReviewItem:
    author = _check_author(actor, author)
    # Lock the topic: post numbers are handed out one at a time.
    topic = Topic.objects.select_for_update().select_related("category").get(pk=topic.pk)
    community = get_community()
    if actor is not None:
        permissions.refuse_if_silenced(actor)
        if not permissions.may_reply(actor, community, topic):
            if topic.is_closed and permissions.may_view_topic(actor, community, topic):
                raise ValidationError(_("This topic is closed; it takes no new replies."))
            raise PermissionDenied
        if created_at is not None:
            raise PermissionDenied
    if anonymous and not permissions.may_post_anonymously(author, topic.category):
        raise ValidationError(
            {"anonymous": _("Anonymous posting is not allowed in this category.")}
        )
    if reply_to is not None and (reply_to.topic_id != topic.pk or reply_to.is_deleted):
        raise ValidationError({"reply_to": _("You can only reply to a post in this topic.")})
    body = clean_body(body)
    client_token = client_token.strip()[:64]
    if actor is not None and (duplicate := _recent_duplicate(author, topic, body, client_token)):
        return duplicate
    if actor is not None:
        limits.check_daily_posts(actor)
        limits.check_rate(actor, "post")
    cooked = render_post(body)
    screened = None
    if actor is not None:
        screened, body, _title, cooked = _screen(author, body, "", screening.REPLY, cooked, topic)
        if screened.hold:
            return hold(
                author,
                {
                    "type": "reply", "topic": topic.pk, "title": topic.title, "body": body,
                    "reply_to": reply_to.pk if reply_to else None, "anonymous": anonymous,
                    "client_token": client_token,
                },
                screened,
            )  # fmt: skip
    now = created_at or timezone.now()
    number = topic.highest_post_number + 1
    try:
        with transaction.atomic():
            post = _insert_post(
                topic, number, author, anonymous, body, cooked, now, client_token, reply_to
            )
    except IntegrityError:
        if (twin := _simultaneous_twin(author, client_token)) is None:
            raise
        return twin
    _apply_cooked(post, cooked, editing=False)
    _flag_screened(screened, post)
    Topic.objects.filter(pk=topic.pk).update(
        highest_post_number=number,
        reply_count=F("reply_count") + 1,
        last_posted_at=now,
        last_poster=author,
        last_post_anonymous=anonymous,
    )
    adjust_category_counts(topic.category_id, topics=0, posts=1)
    _first_response(topic, author, now)
    follow_own_topic(author, topic, last_read_number=number, started=False, at=now)
    activity.record(
        author,
        "post.created",
        post,
        at=now,
        topic=topic.pk,
        category=topic.category_id,
        anonymous=anonymous,
        reply_to=reply_to.pk if reply_to else None,
    )
    schedule_indexing([post.pk])
    if created_at is None:
        notify_on_commit("post", post.pk)
    return post


@transaction.atomic
def edit_post(
    actor: User,
    post: Post,
    *,
    body: str | None = None,
    title: str | None = None,
    tags: Iterable[str] | None = None,
    reason: str = "",
    audited: bool = True,
) -> Post:
    """Change a post (and, for an opening post, the topic's title and tags). The text
    before the change is kept as a revision; the post is marked as edited. A moderator
    editing someone else's post is audited; ``audited=False``: a step of another audited
    action (a review decision)."""
    post = Post.objects.select_for_update().select_related("topic__category").get(pk=post.pk)
    topic = post.topic
    permissions.refuse_if_silenced(actor)
    if not permissions.may_edit_post(actor, get_community(), post):
        raise PermissionDenied
    if (title is not None or tags is not None) and not post.is_first:
        raise ValidationError({"title": _("Only the opening post carries the topic's title.")})
    new_body = clean_body(body) if body is not None else post.body
    new_title = clean_title(title) if title is not None else topic.title
    screened = None
    if new_body != post.body or new_title != topic.title:
        # An edit is published at once: blocked words refuse it, replaced ones are
        # replaced, and what would hold a new post flags it.
        screened = screening.screen(
            actor, text=new_body, title=new_title if post.is_first else "", kind=screening.EDIT
        )
        new_body = clean_body(screened.text)
        if post.is_first:
            new_title = clean_title(screened.title)
    changes = []
    if new_body != post.body:
        changes.append("body")
    if new_title != topic.title:
        changes.append("title")
    if tags is not None:
        new_tags = clean_tags(tags)
        old_tags = sorted(topic.tags.values_list("name", flat=True))
        if sorted(new_tags) != old_tags:
            _set_tags(topic, new_tags)
            changes.append("tags")
    if not changes:
        return post
    if {"body", "title"} & set(changes):
        PostRevision.objects.create(
            post=post,
            number=post.edit_count + 1,
            body=post.body,
            title=topic.title if "title" in changes else "",
            editor=actor,
            reason=reason.strip()[:200],
        )
        post.edit_count += 1
        post.edited_at = timezone.now()
    if "body" in changes:
        post.body = new_body
        cooked = render_post(new_body)
        _apply_cooked(post, cooked, editing=True)
    post.save(update_fields=["body", "edit_count", "edited_at"])
    if "title" in changes:
        topic.title, topic.slug = new_title, topic_slug(new_title)
        topic.save(update_fields=["title", "slug"])
    if audited and post.author_id != actor.pk:
        # The revision keeps the words before; the entry says which and why.
        audit.record(
            actor, "post.edited", post, reason=reason.strip(),
            after={"fields": changes, "revision": post.edit_count}, topic=topic.pk,
        )  # fmt: skip
    else:
        activity.record(actor, "post.edited", post, topic=topic.pk, fields=changes)
    _flag_screened(screened, post)
    schedule_indexing([post.pk])
    return post


def refresh_topic_stats(topic: Topic) -> None:
    """Recount a topic's replies and find its last visible post, after posts were deleted,
    recovered or moved."""
    posts = Post.objects.filter(topic=topic, deleted_at__isnull=True, kind=PostKind.REGULAR)
    last = posts.order_by("-number").only("created_at", "author_id", "is_anonymous").first()
    highest = (
        Post.objects.filter(topic=topic).order_by("-number").values_list("number", flat=True)
    ).first()
    Topic.objects.filter(pk=topic.pk).update(
        reply_count=max(posts.count() - 1, 0),
        highest_post_number=highest or 0,
        last_posted_at=last.created_at if last else topic.created_at,
        last_poster_id=last.author_id if last else topic.author_id,
        last_post_anonymous=last.is_anonymous if last else topic.is_anonymous,
    )


def adjust_category_counts(category_id: int, *, topics: int, posts: int) -> None:
    Category.objects.filter(pk=category_id).update(
        topic_count=F("topic_count") + topics, post_count=F("post_count") + posts
    )


def _record_deletion(
    actor: User, post: Post, verb: str, target: Post | Topic, audited: bool, **data
) -> None:
    """A moderator deleting or recovering someone else's post is a moderation action (the
    audit log); a member deleting their own is not."""
    if audited and post.author_id != actor.pk:
        deleted = verb.endswith(".deleted")
        audit.record(
            actor,
            verb,
            target,
            before={"deleted": not deleted},
            after={"deleted": deleted},
            **data,
        )
    else:
        activity.record(actor, verb, target, **data)


@transaction.atomic
def delete_post(actor: User, post: Post, *, audited: bool = True) -> Post:
    """Soft-delete a post; deleting the opening post deletes the topic. ``audited=False``:
    a step of another action (a review decision), which leaves the audit entry and tells
    the author itself, with its reason."""
    post = Post.objects.select_for_update().select_related("topic__category").get(pk=post.pk)
    topic = post.topic
    if not permissions.may_delete_post(actor, get_community(), post):
        raise PermissionDenied
    now = timezone.now()
    post.deleted_at, post.deleted_by = now, actor
    post.save(update_fields=["deleted_at", "deleted_by"])
    if audited and post.author_id and post.author_id != actor.pk:
        notify_on_commit(
            "moderation", post.pk, actor=actor.pk, action="deleted", at=now.isoformat()
        )
    if post.is_first:
        topic.deleted_at, topic.deleted_by = now, actor
        topic.save(update_fields=["deleted_at", "deleted_by"])
        adjust_category_counts(topic.category_id, topics=-1, posts=-(topic.reply_count + 1))
        _record_deletion(actor, post, "topic.deleted", topic, audited, category=topic.category_id)
        return post
    if topic.accepted_post_id == post.pk:
        Topic.objects.filter(pk=topic.pk).update(accepted_post=None, solved_at=None)
        activity.record(actor, "answer.unaccepted", topic, post=post.pk, reason="deleted")
    refresh_topic_stats(topic)
    adjust_category_counts(topic.category_id, topics=0, posts=-1)
    _record_deletion(
        actor, post, "post.deleted", post, audited, topic=topic.pk, category=topic.category_id
    )
    return post


@transaction.atomic
def recover_post(actor: User, post: Post, *, audited: bool = True) -> Post:
    post = Post.objects.select_for_update().select_related("topic__category").get(pk=post.pk)
    topic = post.topic
    if not permissions.may_recover_post(actor, get_community(), post):
        raise PermissionDenied
    post.deleted_at, post.deleted_by = None, None
    post.save(update_fields=["deleted_at", "deleted_by"])
    if post.author_id and post.author_id != actor.pk:
        notify_on_commit(
            "moderation",
            post.pk,
            actor=actor.pk,
            action="restored",
            at=timezone.now().isoformat(),
        )
    if post.is_first:
        topic.deleted_at, topic.deleted_by = None, None
        topic.save(update_fields=["deleted_at", "deleted_by"])
        adjust_category_counts(topic.category_id, topics=1, posts=topic.reply_count + 1)
        _record_deletion(actor, post, "topic.recovered", topic, audited, category=topic.category_id)
    else:
        refresh_topic_stats(topic)
        adjust_category_counts(topic.category_id, topics=0, posts=1)
        _record_deletion(actor, post, "post.recovered", post, audited, topic=topic.pk)
    return post


def create_action_post(actor: User, topic: Topic, action: dict) -> Post:
    """A line in the stream recording what a moderator did ("moved 3 replies to …")."""
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    number = topic.highest_post_number + 1
    post = Post.objects.create(
        topic=topic, number=number, kind=PostKind.ACTION, author=actor, action=action,
        body="", body_html="",
    )  # fmt: skip
    Topic.objects.filter(pk=topic.pk).update(highest_post_number=number)
    return post
