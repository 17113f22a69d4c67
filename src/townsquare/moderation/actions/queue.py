"""Content held for approval: new posts waiting in the review queue (ReviewItem kind
QUEUED) until a moderator publishes or rejects them. Nothing the member wrote is lost: the
payload holds all that is needed to create the post later, and the author sees it waiting
(moderation.views.screening.waiting)."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.forum.models import Category, Post, Topic
from townsquare.moderation import audit, notices
from townsquare.moderation.models import Decision, ReviewItem, ReviewKind, ReviewStatus
from townsquare.moderation.screening import Screening


def pending_for(author: User):
    """The author's posts waiting for approval, oldest first."""
    return ReviewItem.objects.filter(
        kind=ReviewKind.QUEUED, status=ReviewStatus.PENDING, author=author
    ).order_by("created_at", "id")


def waiting_item(author: User, payload: dict[str, Any]) -> ReviewItem | None:
    """The item already holding this post (the same form sent twice, a retried API call)."""
    items = pending_for(author).filter(payload__type=payload["type"])
    token = payload.get("client_token")
    if token and (found := items.filter(payload__client_token=token).first()):
        return found
    items = items.filter(payload__body=payload["body"])
    if payload["type"] == "reply":
        return items.filter(payload__topic=payload["topic"]).first()
    return items.filter(payload__title=payload["title"]).first()


def hold(author: User, payload: dict[str, Any], screening: Screening) -> ReviewItem:
    """Put a new post in the approval queue (called by forum.actions.posting, which then
    raises PostHeld). The system holds it: one ``post.held`` audit entry, actor None."""
    if existing := waiting_item(author, payload):
        return existing
    signals = screening.hold + screening.flag
    item = ReviewItem.objects.create(
        kind=ReviewKind.QUEUED,
        author=author,
        payload=payload,
        signals=signals,
        spam_score=screening.spam_score,
    )
    audit.record(
        None,
        "post.held",
        item,
        reason="; ".join(f"{s['rule']}: {s['detail']}" for s in signals),
        after={"type": payload["type"], "author": author.pk},
    )
    return item


def _queued(actor: User, item: ReviewItem) -> ReviewItem:
    if not permissions.may_review(actor):
        raise PermissionDenied
    item = (
        ReviewItem.objects.select_for_update(of=("self",)).select_related("author").get(pk=item.pk)
    )
    if item.kind != ReviewKind.QUEUED or item.status != ReviewStatus.PENDING:
        raise ValidationError(_("This post was already decided on."))
    return item


def _create(item: ReviewItem) -> Post:
    """Create the held post as its author, unscreened (a moderator approved it)."""
    from townsquare.forum.actions import posting  # posting imports this module

    data, author = item.payload, item.author
    if author is None or not author.is_active:
        raise ValidationError(_("The author's account is gone; reject the post instead."))
    if data["type"] == "topic":
        category = Category.objects.filter(pk=data["category"]).first()
        if category is None:
            raise ValidationError(_("The category is gone; reject the post instead."))
        topic = posting.create_topic(
            None, category, title=data["title"], body=data["body"], tags=data.get("tags", []),
            anonymous=data.get("anonymous", False), client_token=data.get("client_token", ""),
            author=author,
        )  # fmt: skip
        return topic.posts.get(number=1)
    topic = Topic.objects.filter(pk=data["topic"], deleted_at__isnull=True).first()
    if topic is None:
        raise ValidationError(_("The topic is gone; reject the post instead."))
    reply_to = Post.objects.filter(
        pk=data.get("reply_to") or 0, topic=topic, deleted_at__isnull=True
    ).first()
    return posting.create_post(
        None, topic, body=data["body"], reply_to=reply_to, anonymous=data.get("anonymous", False),
        client_token=data.get("client_token", ""), author=author,
    )  # fmt: skip


@transaction.atomic
def publish_queued(actor: User, item: ReviewItem) -> Post:
    """Approve a held post: it is created as its author wrote it, and they are told."""
    item = _queued(actor, item)
    post = _create(item)
    item.status, item.decision = ReviewStatus.DECIDED, Decision.APPROVE
    item.decided_by, item.decided_at = actor, timezone.now()
    item.target_type = ContentType.objects.get_for_model(Post)
    item.target_id = str(post.pk)
    item.save(
        update_fields=["status", "decision", "decided_by", "decided_at", "target_type", "target_id"]
    )
    audit.record(actor, "queued.approved", post, item=item.pk)
    notices.send_notice(
        actor,
        item.author,
        action="queued.approved",
        reason=_("A moderator approved your post; it is published."),
        subject=post,
        item=item,
    )
    return post


@transaction.atomic
def reject_queued(actor: User, item: ReviewItem, *, reason: str) -> ReviewItem:
    """Refuse a held post with a reason, which its author receives with the text they
    wrote (kept in the item)."""
    item = _queued(actor, item)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Tell the author why the post is not published.")})
    item.status, item.decision, item.decision_reason = (
        ReviewStatus.DECIDED,
        Decision.REJECT,
        reason,
    )
    item.decided_by, item.decided_at = actor, timezone.now()
    item.save(update_fields=["status", "decision", "decision_reason", "decided_by", "decided_at"])
    audit.record(actor, "queued.rejected", item, reason=reason)
    if item.author is not None:
        notices.send_notice(
            actor,
            item.author,
            action="queued.rejected",
            reason=reason,
            subject=item,
            item=item,
        )
    return item
