"""Reads that moderation's pages, API and actions share."""

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.core.queries import get_community
from townsquare.forum.links import url_for
from townsquare.forum.models import Post, Topic
from townsquare.messaging.models import Message
from townsquare.moderation.models import (
    Flag,
    FlagReason,
    ModerationSettings,
    Notice,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
    Sanction,
    SanctionKind,
)


def moderation_settings() -> ModerationSettings:
    """The community's moderation settings, created with the defaults on first use."""
    found, _ = ModerationSettings.objects.get_or_create(pk=1)
    return found


def suspension_in_force(member: User) -> Sanction | None:
    """The suspension that keeps ``member`` out longest (one without end first)."""
    now = timezone.now()
    return (
        Sanction.objects.filter(member=member, kind=SanctionKind.SUSPENSION, lifted_at__isnull=True)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .order_by(F("ends_at").desc(nulls_first=True), "-id")
        .first()
    )


def suspension_message(member: User) -> str:
    """What a suspended member is told when they sign in or use an API token: until when,
    and why."""
    sanction = suspension_in_force(member)
    with timezone.override(member.timezone):
        if sanction is None or sanction.ends_at is None:
            text = _("Your account is suspended for good.")
        else:
            until = formats.date_format(timezone.localtime(sanction.ends_at), "DATETIME_FORMAT")
            text = _("Your account is suspended until %(until)s.") % {"until": until}
    if sanction is not None:
        text += " " + _("Reason: %(reason)s") % {"reason": sanction.reason}
    return text


def member_sanctions(member: User) -> list[Sanction]:
    """A member's sanctions, newest first, with who gave and lifted them (staff page)."""
    return list(Sanction.objects.filter(member=member).select_related("created_by", "lifted_by"))


def member_notices(member: User) -> QuerySet[Notice]:
    """A member's notices, newest first."""
    return Notice.objects.filter(member=member).select_related("sent_by", "sanction")


def notices_page(member: User) -> list[Notice]:
    """The member's notices for their page, each with ``subject_visible``: whether the
    member may still open what it was about (hidden or deleted content may be gone). A
    fixed number of queries: the subjects are loaded by type, and the policy answers from
    the member's forum access, computed once."""
    from townsquare.core import permissions
    from townsquare.core.queries import get_community
    from townsquare.forum.models import Post, Topic
    from townsquare.messaging.models import Message

    notices = list(member_notices(member))
    community = get_community()
    wanted: dict[int, set[str]] = {}
    for notice in notices:
        if notice.subject_type_id and notice.subject_url:
            wanted.setdefault(notice.subject_type_id, set()).add(notice.subject_id)
    loaded: dict[tuple[int, str], object] = {}
    for type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        queryset = model._default_manager.filter(pk__in=ids)
        if model is Post:
            queryset = queryset.select_related("topic")
        for obj in queryset:
            loaded[(type_id, str(obj.pk))] = obj
    conversations = None
    for notice in notices:
        subject = loaded.get((notice.subject_type_id, notice.subject_id))
        if isinstance(subject, Post):
            visible = permissions.may_view_post(member, community, subject)
        elif isinstance(subject, Topic):
            visible = permissions.may_view_topic(member, community, subject)
        elif isinstance(subject, Message):
            if conversations is None:
                conversations = set(
                    permissions.visible_conversations(member).values_list("pk", flat=True)
                )
            visible = subject.conversation_id in conversations
        else:
            visible = isinstance(subject, User) and subject.is_active
        notice.subject_visible = visible
    return notices


# --- What members flag ---------------------------------------------------------------------


def may_see_target(user: User, target: models.Model) -> bool:
    """Whether ``user`` may see what they would flag: nobody flags what they cannot see."""
    community = get_community()
    if isinstance(target, Post):
        return permissions.may_view_post(user, community, target)
    if isinstance(target, Topic):
        return permissions.may_view_topic(user, community, target)
    if isinstance(target, User):
        return permissions.visible_members(user, community).filter(pk=target.pk).exists()
    if isinstance(target, Message):
        return permissions.may_view_conversation(user, target.conversation)
    return False


def flag_target(user: User, kind: str, ref: str) -> models.Model:
    """The post, topic, member (by handle) or message ``user`` wants to flag; Http404 for
    what does not exist and for what they may not see alike."""
    found: models.Model | None = None
    if kind == "member":
        found = User.objects.filter(handle__iexact=ref, is_active=True).first()
    elif kind in ("post", "topic", "message") and str(ref).isdigit():
        model, related = {
            "post": (Post, ("topic__category", "author")),
            "topic": (Topic, ("category", "author")),
            "message": (Message, ("conversation", "author")),
        }[kind]
        found = model.objects.select_related(*related).filter(pk=int(ref)).first()
    if found is None or not may_see_target(user, found):
        raise Http404
    return found


def target_url(target: models.Model) -> str:
    """Where a flagger goes back to after flagging."""
    if isinstance(target, User):
        return url_for("member_detail", target.handle)
    if isinstance(target, Message):
        return url_for("messaging:conversation", target.conversation_id)
    return target.get_absolute_url()


# --- The review queue -----------------------------------------------------------------------

#: The queue's "kind" filter: what was flagged, or content waiting for approval.
TARGET_KINDS = {
    "post": ("forum", "post"),
    "topic": ("forum", "topic"),
    "member": ("accounts", "user"),
    "message": ("messaging", "message"),
}
QUEUE_KINDS = [*TARGET_KINDS, "queued"]


def target_kind(item: ReviewItem) -> str:
    """ "post", "topic", "member", "message" or "queued"."""
    if item.kind == ReviewKind.QUEUED:
        return "queued"
    if item.target_type_id is None:
        return ""
    target_type = ContentType.objects.get_for_id(item.target_type_id)
    return next(
        (kind for kind, key in TARGET_KINDS.items() if key == target_type.natural_key()), ""
    )


def pending_items(*, kind: str | None = None, reason: str | None = None) -> QuerySet[ReviewItem]:
    """Pending review items, oldest first, with their author; ``kind`` is one of
    QUEUE_KINDS, ``reason`` a flag reason. Bad values raise ValidationError."""
    items = ReviewItem.objects.filter(status=ReviewStatus.PENDING).select_related("author")
    if kind:
        if kind not in QUEUE_KINDS:
            raise ValidationError({"kind": _("Choose post, topic, member, message or queued.")})
        if kind == "queued":
            items = items.filter(kind=ReviewKind.QUEUED)
        else:
            app_label, model = TARGET_KINDS[kind]
            target_type = ContentType.objects.get_by_natural_key(app_label, model)
            items = items.filter(kind=ReviewKind.FLAGGED, target_type=target_type)
    if reason:
        if reason not in FlagReason.values:
            raise ValidationError({"reason": _("Choose one of the flag reasons.")})
        items = items.filter(Exists(Flag.objects.filter(item=OuterRef("pk"), reason=reason)))
    return items.order_by("created_at", "id")


def attach_targets(items: list[ReviewItem]) -> None:
    """Load every item's flagged thing (``item.target``, None if gone), its kind
    (``item.target_kind``) and its flags (``item.flag_list``): a query per kind of thing,
    whatever the number of items."""
    wanted: dict[int, set[str]] = {}
    for item in items:
        if item.target_type_id is not None and item.target_id:
            wanted.setdefault(item.target_type_id, set()).add(item.target_id)
    loaded: dict[tuple[int, str], Any] = {}
    for type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        objects = model._default_manager.filter(pk__in=[int(pk) for pk in ids if pk.isdigit()])
        if model is Post:
            objects = objects.select_related("topic")
        for obj in objects:
            loaded[(type_id, str(obj.pk))] = obj
    flags: dict[int, list[Flag]] = {}
    for found in Flag.objects.filter(item__in=items).select_related("flagger"):
        flags.setdefault(found.item_id, []).append(found)
    for item in items:
        item.target = loaded.get((item.target_type_id, item.target_id))
        item.target_kind = target_kind(item)
        item.flag_list = flags.get(item.pk, [])


@dataclass
class AuthorHistory:
    member: User
    posts: int
    topics: int
    earlier_items: list[ReviewItem]
    sanctions: list[Sanction]


HISTORY_LENGTH = 20


def author_history(member: User, *, excluding: ReviewItem | None = None) -> AuthorHistory:
    """What moderators see of a member beside an item: counts, earlier flags and decisions
    about their content, and sanctions."""
    earlier = ReviewItem.objects.filter(author=member).select_related("decided_by")
    if excluding is not None:
        earlier = earlier.exclude(pk=excluding.pk)
    return AuthorHistory(
        member=member,
        posts=Post.objects.filter(author=member, deleted_at__isnull=True).count(),
        topics=Topic.objects.filter(author=member, deleted_at__isnull=True).count(),
        earlier_items=list(earlier.order_by("-created_at", "-id")[:HISTORY_LENGTH]),
        sanctions=list(
            Sanction.objects.filter(member=member).select_related("created_by")[:HISTORY_LENGTH]
        ),
    )


NEIGHBOURS = 2


def post_in_context(post: Post) -> list[Post]:
    """The post with the posts just before and after it, as moderators see them."""
    return list(
        Post.objects.filter(
            topic_id=post.topic_id,
            number__gte=post.number - NEIGHBOURS,
            number__lte=post.number + NEIGHBOURS,
        )
        .select_related("author")
        .order_by("number")
    )
