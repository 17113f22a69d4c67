"""Reads that moderation's pages, API and actions share."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.moderation.models import ModerationSettings, Notice, Sanction, SanctionKind


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
