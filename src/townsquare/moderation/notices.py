"""Notices: what the moderators tell a member about an action on them or their content, and
the member's answer to one (an appeal).

``send_notice`` is called by the action that decided (a sanction, a review decision),
inside its transaction; that action wrote the audit entry, so this writes none. The member
learns of it in the app (a notification of kind NOTICE, which they cannot switch off) and
by mail (account mail: sent whatever their mail settings; a suspended member, who cannot
sign in, is told there how to answer).

``appeal`` is the member's answer: it opens a conversation between the member and the
moderators — the staff member who sent the notice, or, for the system's notices and when
that person is no longer staff, the community's moderators — with the notice quoted and
the member's text as the first message. Answering the same notice again writes in that
conversation. Silenced members may answer (core.permissions.may_appeal).
"""

from email.utils import parseaddr

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from townsquare.accounts.models import Role, User
from townsquare.core import permissions
from townsquare.forum.models import Post, Topic
from townsquare.messaging import actions as messaging
from townsquare.messaging.models import Message
from townsquare.moderation import audit
from townsquare.moderation.guidelines import guideline_url
from townsquare.moderation.models import Notice, ReviewItem, Sanction
from townsquare.notifications import email
from townsquare.notifications.actions import notify_on_commit

LABEL_MAX = 200
QUOTE_MAX = 1000


def contact_address() -> str:
    """Where a member who cannot sign in writes to the moderators (suspension mail):
    MODERATION_CONTACT_EMAIL, else the reply address of community mail, else the sender."""
    return (
        settings.MODERATION_CONTACT_EMAIL
        or settings.EMAIL_REPLY_TO
        or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    )


def _subject(subject: models.Model | None) -> tuple[str, str]:
    """A label and an address for what the notice is about."""
    if isinstance(subject, Post):
        return subject.topic.title, subject.get_absolute_url()
    if isinstance(subject, Topic):
        return subject.title, subject.get_absolute_url()
    if isinstance(subject, Message):
        return _("A direct message"), reverse(
            "messaging:conversation", args=[subject.conversation_id]
        )
    if isinstance(subject, User):
        return _("Your profile"), reverse("member_detail", args=[subject.handle])
    if isinstance(subject, ReviewItem):  # held content, never published: nothing to link
        return subject.payload.get("title") or _("Your reply"), ""
    return (str(subject), "") if subject is not None else ("", "")


def describe(notice: Notice) -> str:
    """The notice's headline, in the active language and time zone."""
    sanction = notice.sanction
    end = ""
    if sanction is not None and sanction.ends_at is not None:
        end = formats.date_format(timezone.localtime(sanction.ends_at), "DATETIME_FORMAT")
    if notice.action == "member.warned":
        return _("The moderators warned you")
    if notice.action == "member.silenced":
        return _("You are silenced until %(until)s: you can read but not post") % {"until": end}
    if notice.action == "member.suspended":
        if not end:
            return _("Your account is suspended for good")
        return _("Your account is suspended until %(until)s") % {"until": end}
    if notice.action == "sanction.lifted":
        return _("The moderators lifted a sanction early")
    if notice.action.endswith(".hidden"):
        return _("The moderators hid your content")
    if notice.action.endswith(".deleted"):
        return _("The moderators removed your content")
    if notice.action.endswith(".edited"):
        return _("The moderators edited your content")
    return _("A notice from the moderators")


def _mail(notice: Notice) -> None:
    """Mail the notice to the member (sent when the transaction commits)."""
    member = notice.member
    if not email.mailable([member], None):
        return  # inactive, or an address that bounces: the notice is still in the app
    context = {
        "notice": notice,
        "guideline_url": email.absolute(guideline_url(notice.guideline))
        if notice.guideline
        else "",
        "notices_url": email.absolute(reverse("moderation:notices")),
        "suspended": permissions.is_suspended(member),
        "contact": contact_address(),
        "for_good": notice.sanction is not None and notice.sanction.ends_at is None,
    }
    with override(member.language), timezone.override(member.timezone):
        context["title"] = describe(notice)
    email.compose(
        member, "moderation/email/notice", context, stream=None, reply_to=contact_address()
    ).send()


def send_notice(
    sent_by: User | None,
    member: User,
    *,
    action: str,
    reason: str,
    guideline: str = "",
    subject: models.Model | None = None,
    item: ReviewItem | None = None,
    sanction: Sanction | None = None,
) -> Notice:
    """Tell ``member`` about ``action`` (an audit action such as "member.silenced" or
    "post.hidden") with the moderator's reason and the guideline section it concerns."""
    label, url = _subject(subject)
    with transaction.atomic():
        notice = Notice.objects.create(
            member=member,
            sent_by=sent_by,
            action=action,
            reason=reason,
            guideline=guideline,
            subject_label=label[:LABEL_MAX],
            subject_url=url,
            subject_type=ContentType.objects.get_for_model(subject)
            if subject is not None
            else None,
            subject_id=str(subject.pk) if subject is not None else "",
            review_item=item,
            sanction=sanction,
        )
        notify_on_commit("notice", notice.pk)
        _mail(notice)
    return notice


def mark_read(member: User) -> int:
    """The member opened their notices."""
    return Notice.objects.filter(member=member, read_at__isnull=True).update(read_at=timezone.now())


def moderators_for(notice: Notice) -> list[User]:
    """Who reads an appeal: the staff member who sent the notice while they are staff;
    otherwise the moderators (then managers, then admins), at most the participants a
    conversation may have."""
    sender = notice.sent_by
    if sender is not None and permissions.is_staff(sender) and sender.pk != notice.member_id:
        return [sender]
    most = settings.MESSAGING_MAX_PARTICIPANTS - 1
    staff = User.objects.filter(
        is_active=True, role__in=[Role.MODERATOR, Role.MANAGER, Role.ADMIN]
    ).exclude(pk=notice.member_id)
    order = {Role.MODERATOR: 0, Role.MANAGER: 1, Role.ADMIN: 2}
    return sorted(staff, key=lambda user: (order[user.role], user.date_joined, user.pk))[:most]


def _quote(notice: Notice) -> str:
    """The notice as the first lines of the appeal, in the member's language."""
    with override(notice.member.language):
        when = formats.date_format(timezone.localtime(notice.created_at), "DATETIME_FORMAT")
        lines = [_("The moderators' notice of %(when)s:") % {"when": when}, ""]
        reason = (
            notice.reason if len(notice.reason) <= QUOTE_MAX else notice.reason[:QUOTE_MAX] + "…"
        )
        lines += reason.splitlines()
        if notice.subject_label:
            lines += ["", _("About: %(subject)s") % {"subject": notice.subject_label}]
        if notice.guideline:
            url = guideline_url(notice.guideline)
            lines += [
                "",
                _("Guideline: [%(anchor)s](%(url)s)") % {"anchor": notice.guideline, "url": url},
            ]
    return "\n".join(f"> {line}" if line else ">" for line in lines)


def appeal(actor: User, notice: Notice, *, body: str) -> Message:
    """The member answers a notice: the first answer opens a conversation with the
    moderators (the notice quoted above the text), later ones write in it."""
    if not permissions.may_appeal(actor, notice):
        raise PermissionDenied
    moderators = moderators_for(notice)
    if not moderators:
        raise ValidationError({"body": _("There is no moderator to answer; try again later.")})
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        first = notice.appeal_id is None
        message = messaging.write_to_moderators(
            actor,
            moderators,
            body,
            quote=_quote(notice) if first else "",
            conversation=notice.appeal,
        )
        if first:
            notice.appeal = message.conversation
            notice.save(update_fields=["appeal"])
        audit.record(
            actor,
            "notice.appealed",
            notice,
            after={"conversation": message.conversation_id, "message": message.pk},
            target_label=f"notice {notice.pk} ({notice.action})",
        )
    return message
