"""The review queue's decisions, and hiding posts and topics.

A hidden post or topic leaves every list, search result, feed, digest and sitemap (the
policy in core/permissions/forum.py); its author and staff still open it. Hiding a
topic's opening post hides the topic, and hiding a topic hides its opening post: the
two are one thing to readers.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.forum.actions import posting
from townsquare.forum.models import Post, Topic
from townsquare.moderation import audit, notices
from townsquare.moderation.actions import queue, sanctions
from townsquare.moderation.guidelines import guideline_sections
from townsquare.moderation.models import Decision, ReviewItem, ReviewKind, ReviewStatus
from townsquare.search.index import schedule_indexing

REASON_MAX = 2000
MAX_SANCTION_DAYS = 3650


class MemberAction:
    WARN = "warn"
    SILENCE = "silence"
    SUSPEND = "suspend"
    CHOICES = (WARN, SILENCE, SUSPEND)


# What each decision is called in the audit log and in the member's notice.
DECISION_ACTIONS = {
    Decision.KEEP: "review.kept",
    Decision.EDIT: "review.edited",
    Decision.HIDE: "review.hidden",
    Decision.DELETE: "review.deleted",
}
# Decisions whose author is told why, with the guideline.
# Approving and rejecting tell the author in the queue's own actions.
NOTIFIED = {Decision.EDIT, Decision.HIDE, Decision.DELETE}


# --- Hiding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hidable:
    """A post or topic as hiding sees it: the topic (if it is hidden as a whole) and the
    posts whose hidden columns change."""

    topic: Topic | None
    post: Post | None

    @property
    def target(self) -> models.Model:
        return self.topic if self.topic is not None else self.post

    @property
    def hidden_at(self):
        return self.target.hidden_at


def _hidable(target: models.Model) -> _Hidable:
    if isinstance(target, Topic):
        return _Hidable(topic=target, post=Post.objects.filter(topic=target, number=1).first())
    if isinstance(target, Post):
        if target.number == 1:
            return _Hidable(topic=target.topic, post=target)
        return _Hidable(topic=None, post=target)
    raise ValidationError(_("Only posts and topics can be hidden."))


def _set_hidden(found: _Hidable, actor: User | None, reason: str, hidden: bool) -> None:
    """Write the hidden columns and reindex: search keeps no terms of hidden posts."""
    values: dict[str, Any] = {
        "hidden_at": timezone.now() if hidden else None,
        "hidden_by": actor if hidden else None,
        "hidden_reason": reason if hidden else "",
    }
    for obj in (found.topic, found.post):
        if obj is not None:
            type(obj).objects.filter(pk=obj.pk).update(**values)
            for name, value in values.items():
                setattr(obj, name, value)
    if found.topic is not None:
        schedule_indexing(Post.objects.filter(topic=found.topic).values_list("pk", flat=True))
    else:
        schedule_indexing([found.post.pk])


def _kind(found: _Hidable) -> str:
    return "topic" if found.topic is not None else "post"


def _check_hider(actor: User | None) -> None:
    # None is the system (enough flags from trusted members).
    if actor is not None and not permissions.may_review(actor):
        raise PermissionDenied


def _clean_reason(reason: str, *, required: bool = True) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError({"reason": _("Give a reason: the author reads it.")})
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": _("Keep the reason under %(max)d characters.") % {"max": REASON_MAX}}
        )
    return reason


@transaction.atomic
def hide_content(
    actor: User | None, target: Post | Topic, *, reason: str, item: ReviewItem | None = None
) -> Post | Topic:
    """Hide a post or topic until a moderator unhides it. ``actor=None``: the system."""
    _check_hider(actor)
    reason = _clean_reason(reason)
    found = _hidable(target)
    if found.hidden_at is not None:
        raise ValidationError(_("This is already hidden."))
    _set_hidden(found, actor, reason, hidden=True)
    audit.record(
        actor, f"{_kind(found)}.hidden", found.target, reason=reason,
        before={"hidden": False}, after={"hidden": True},
        **({"item": item.pk} if item is not None else {}),
    )  # fmt: skip
    return target


@transaction.atomic
def unhide_content(actor: User, target: Post | Topic, *, reason: str) -> Post | Topic:
    """Show a hidden post or topic again."""
    _check_hider(actor)
    if actor is None:
        raise PermissionDenied
    reason = _clean_reason(reason)
    found = _hidable(target)
    if found.hidden_at is None:
        raise ValidationError(_("This is not hidden."))
    _set_hidden(found, None, "", hidden=False)
    audit.record(
        actor, f"{_kind(found)}.unhidden", found.target, reason=reason,
        before={"hidden": True}, after={"hidden": False},
    )  # fmt: skip
    return target


# --- Deciding -------------------------------------------------------------------------------


def item_target(item: ReviewItem) -> models.Model | None:
    """The flagged thing, or None (queued content, or the thing is gone)."""
    if item.target_type_id is None or not item.target_id:
        return None
    model = ContentType.objects.get_for_id(item.target_type_id).model_class()
    if model is None:
        return None
    related = ("topic__category", "author") if model is Post else ()
    if model is Topic:
        related = ("category", "author")
    return model._default_manager.select_related(*related).filter(pk=item.target_id).first()


def allowed_decisions(item: ReviewItem, target: models.Model | None) -> list[str]:
    """What a moderator may decide on this item (the form's choices)."""
    if item.kind == ReviewKind.QUEUED:
        return [Decision.APPROVE, Decision.REJECT]
    if isinstance(target, Post | Topic):
        return [Decision.KEEP, Decision.EDIT, Decision.HIDE, Decision.DELETE]
    # A profile or a message: dismiss the flags, or act on the member (warn, silence,
    # suspend) beside the decision.
    return [Decision.KEEP]


def _clean_guideline(guideline: str) -> str:
    guideline = (guideline or "").strip()
    if guideline and guideline not in {anchor for anchor, _title in guideline_sections()}:
        raise ValidationError({"guideline": _("Choose a section of the current guidelines.")})
    return guideline


def _clean_sanction(
    actor: User, member: User | None, sanction: str | None, days: int | None
) -> str | None:
    if not sanction:
        return None
    if sanction not in MemberAction.CHOICES:
        raise ValidationError({"member_action": _("Choose warn, silence or suspend.")})
    if member is None:
        raise ValidationError({"member_action": _("There is no member to act on.")})
    if not permissions.may_sanction(actor, member):
        raise ValidationError({"member_action": _("You may not act on this member.")})
    if sanction != MemberAction.WARN and (days is None or not 1 <= int(days) <= MAX_SANCTION_DAYS):
        raise ValidationError(
            {"days": _("Give a number of days from 1 to %(max)d.") % {"max": MAX_SANCTION_DAYS}}
        )
    return sanction


def _apply_sanction(
    actor: User, member: User, sanction: str, days: int | None, reason: str, guideline: str,
    item: ReviewItem,
) -> None:  # fmt: skip
    if sanction == MemberAction.WARN:
        sanctions.warn(actor, member, reason=reason, guideline=guideline, item=item)
        return
    until = timezone.now() + timedelta(days=int(days or 0))
    act = sanctions.silence if sanction == MemberAction.SILENCE else sanctions.suspend
    act(actor, member, until=until, reason=reason, guideline=guideline, item=item)


def _edit(actor: User, target: Post | Topic, body: str | None, reason: str) -> None:
    if not (body or "").strip():
        raise ValidationError({"body": _("Write the post's new text.")})
    post = target if isinstance(target, Post) else Post.objects.get(topic=target, number=1)
    # The decision writes the audit entry.
    posting.edit_post(actor, post, body=body, reason=reason[:200], audited=False)


def _delete(actor: User, target: Post | Topic) -> None:
    post = target if isinstance(target, Post) else Post.objects.get(topic=target, number=1)
    if post.deleted_at is None:
        # The decision writes the audit entry and sends the author a notice with its reason.
        posting.delete_post(actor, post, audited=False)


@transaction.atomic
def decide(
    actor: User,
    item: ReviewItem,
    decision: str,
    *,
    reason: str,
    guideline: str = "",
    body: str | None = None,
    sanction: str | None = None,
    days: int | None = None,
) -> ReviewItem:
    """Decide on a review item: keep (flags dismissed), edit, hide or delete flagged
    content, approve or reject queued content; optionally warn, silence or suspend the
    author. One audit entry for the decision (a member action writes its own); the author
    gets a notice for edit, hide, delete and reject."""
    if not permissions.may_review(actor):
        raise PermissionDenied
    item = (
        ReviewItem.objects.select_for_update(of=("self",)).select_related("author").get(pk=item.pk)
    )
    if item.status != ReviewStatus.PENDING:
        raise ValidationError(_("This item was already decided."))
    target = item_target(item)
    if decision not in allowed_decisions(item, target):
        raise ValidationError({"decision": _("Choose one of the decisions offered.")})
    reason = _clean_reason(reason, required=decision != Decision.KEEP or bool(sanction))
    guideline = _clean_guideline(guideline)
    sanction = _clean_sanction(actor, item.author, sanction, days)

    if decision in (Decision.APPROVE, Decision.REJECT):
        # The queue's own actions create or drop the content and write the entry.
        if decision == Decision.APPROVE:
            queue.publish_queued(actor, item)
        else:
            queue.reject_queued(actor, item, reason=reason)
    else:
        hidden = getattr(target, "hidden_at", None) is not None
        if decision in (Decision.KEEP, Decision.EDIT) and hidden and item.auto_hidden:
            # Hidden by flags until reviewed: a moderator's keep or edit shows it again.
            _set_hidden(_hidable(target), None, "", hidden=False)
        if decision == Decision.EDIT:
            _edit(actor, target, body, reason)
        elif decision == Decision.HIDE:
            # Hidden already (by flags)? The moderator's reason replaces the system's.
            _set_hidden(_hidable(target), actor, reason, hidden=True)
        elif decision == Decision.DELETE:
            _delete(actor, target)
        audit.record(
            actor, DECISION_ACTIONS[decision], target if target is not None else item,
            reason=reason, after={"decision": decision, "guideline": guideline},
            item=item.pk,
        )  # fmt: skip
    ReviewItem.objects.filter(pk=item.pk).update(
        status=ReviewStatus.DECIDED, decision=decision, decided_by=actor,
        decided_at=timezone.now(), decision_reason=reason, guideline=guideline,
    )  # fmt: skip
    item.refresh_from_db()
    if decision in NOTIFIED and item.author is not None:
        notices.send_notice(
            actor, item.author,
            action=DECISION_ACTIONS.get(decision, f"review.{decision}"),
            reason=reason, guideline=guideline, subject=target, item=item,
        )  # fmt: skip
    if sanction is not None:
        _apply_sanction(actor, item.author, sanction, days, reason, guideline, item)
    return item
