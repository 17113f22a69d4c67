"""Every write of direct messages: conversations, messages, read state, leaving, blocking and
reports. Each action asks the policy, validates, writes in one transaction and records an
activity event (never with a message's text)."""

import unicodedata

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts.models import User
from townsquare.accounts.validators import normalize_handle, refuse_hidden_characters
from townsquare.core import activity, markdown, permissions
from townsquare.core.models import Community
from townsquare.messaging.models import (
    Block,
    Conversation,
    Message,
    Participant,
)
from townsquare.messaging.queries import forget_unread_counts
from townsquare.moderation import limits, screening

# A module import: flags (auto-hiding) needs the forum's actions, which flag what the
# screening rules point at; the names are read when called.
from townsquare.moderation.actions import flags
from townsquare.moderation.models import Flag
from townsquare.notifications.actions import notify_on_commit


def clean_message_body(value: str) -> str:
    body = unicodedata.normalize("NFC", (value or "").replace("\r\n", "\n").replace("\r", "\n"))
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write a message first.")})
    if "\x00" in body:
        raise ValidationError({"body": _("The text contains a NUL character; please remove it.")})
    limit = settings.MESSAGING_MESSAGE_MAX_LENGTH
    if len(body) > limit:
        message = _("The text is %(length)d characters long; the limit is %(max)d characters.")
        raise ValidationError({"body": message % {"length": len(body), "max": limit}})
    return body


def find_recipients(actor: User, community: Community, handles: list[str]) -> list[User]:
    """The members named by handle (with or without "@", any case), for a new conversation.

    Raises ValidationError({"participants": ...}) naming what is wrong: no one named, too
    many, oneself, a handle that names no member, or a member one may not message."""
    wanted: dict[str, str] = {}
    for raw in handles:
        handle = normalize_handle(raw).lstrip("@").strip()
        if handle:
            wanted.setdefault(handle.casefold(), handle)
    if not wanted:
        raise ValidationError({"participants": _("Name at least one member to write to.")})
    most = settings.MESSAGING_MAX_PARTICIPANTS - 1
    if len(wanted) > most:
        raise ValidationError(
            {
                "participants": ngettext(
                    "A conversation has at most %(count)d other participant.",
                    "A conversation has at most %(count)d other participants.",
                    most,
                )
                % {"count": most}
            }
        )
    if actor.handle.casefold() in wanted:
        raise ValidationError({"participants": _("You cannot send a message to yourself.")})
    for handle in wanted.values():
        try:
            refuse_hidden_characters(handle)
        except ValidationError:
            raise ValidationError(
                {"participants": _("There is no member @%(handle)s.") % {"handle": handle}}
            ) from None
    members = permissions.visible_members(actor, community).annotate(folded=Lower("handle"))
    found = {user.folded: user for user in members.filter(folded__in=[*wanted])}
    # Lower() in the database and casefold() here agree for handles: letters, digits, _ . -
    missing = [wanted[key] for key in wanted if key not in found]
    if missing:
        raise ValidationError(
            {
                "participants": ngettext(
                    "There is no member %(handles)s.",
                    "There are no members %(handles)s.",
                    len(missing),
                )
                % {"handles": ", ".join(f"@{handle}" for handle in missing)}
            }
        )
    recipients = [found[key] for key in wanted]
    blocked = permissions.blocked_either_way(actor, recipients)
    refused = [user for user in recipients if user.pk in blocked]
    if refused:
        raise ValidationError(
            {
                "participants": _("You cannot exchange messages with %(handles)s.")
                % {"handles": ", ".join(f"@{user.handle}" for user in refused)}
            }
        )
    return recipients


def _no_blocks_among(recipients: list[User]) -> None:
    """A group conversation never brings together two members where one blocked the other."""
    ids = [user.pk for user in recipients]
    pair = (
        Block.objects.filter(blocker_id__in=ids, blocked_id__in=ids)
        .select_related("blocker", "blocked")
        .first()
    )
    if pair is not None:
        raise ValidationError(
            {
                "participants": _("@%(a)s and @%(b)s cannot be in the same conversation.")
                % {"a": pair.blocker.handle, "b": pair.blocked.handle}
            }
        )


def _screen(actor: User, body: str) -> screening.Screening:
    """Screen a message: refused if blocked, watched words replaced; messages are never held,
    so what would hold a post flags the message for the moderators."""
    result = screening.screen(actor, text=body, kind=screening.MESSAGE)
    result.text = clean_message_body(result.text)
    return result


def _flag_screened(result: screening.Screening, message: Message) -> None:
    if result.flag:
        flags.flag(None, message, reason=result.flag_reason, signals=result.flag)


def _forget_now_and_on_commit(user_ids: list[int]) -> None:
    """Drop cached unread counts now, and again on commit: a page read between the two could
    have cached the count from before this transaction."""
    forget_unread_counts(user_ids)
    transaction.on_commit(lambda: forget_unread_counts(user_ids))


def _insert_message(author: User, conversation: Conversation, body: str) -> Message:
    now = timezone.now()
    message = Message.objects.create(
        conversation=conversation,
        author=author,
        body=body,
        body_html=markdown.render(body),
        created_at=now,
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message=message, last_message_at=now
    )
    conversation.last_message, conversation.last_message_at = message, now
    # What one writes, one has read.
    Participant.objects.filter(conversation=conversation, user=author).update(
        last_read_message_id=message.pk
    )
    readers = list(
        Participant.objects.filter(conversation=conversation).values_list("user_id", flat=True)
    )
    _forget_now_and_on_commit(readers)
    return message


def start_conversation(
    actor: User, community: Community, handles: list[str], body: str
) -> Conversation:
    """Start a conversation with up to MESSAGING_MAX_PARTICIPANTS - 1 members, named by
    handle, with a first message."""
    if not permissions.is_member(actor):
        raise PermissionDenied
    permissions.refuse_if_silenced(actor)
    body = clean_message_body(body)
    recipients = find_recipients(actor, community, handles)
    _no_blocks_among(recipients)
    limits.check_new_conversation(actor)
    limits.check_rate(actor, "message")
    screened = _screen(actor, body)
    now = timezone.now()
    with transaction.atomic():
        conversation = Conversation.objects.create(
            started_by=actor, created_at=now, last_message_at=now
        )
        Participant.objects.bulk_create(
            [
                Participant(conversation=conversation, user=user, joined_at=now)
                for user in [actor, *recipients]
            ]
        )
        message = _insert_message(actor, conversation, screened.text)
        _flag_screened(screened, message)
        activity.record(
            actor, "conversation.started", conversation, participants=len(recipients) + 1
        )
        activity.record(actor, "message.sent", message, conversation=conversation.pk, first=True)
        notify_on_commit("message", message.pk)
    return conversation


def write_to_moderators(
    member: User,
    moderators: list[User],
    body: str,
    *,
    quote: str = "",
    conversation: Conversation | None = None,
) -> Message:
    """A member answers the moderators (moderation.notices.appeal, which checks that they
    may): a new conversation with ``moderators``, ``quote`` above the text, or a message in
    the ``conversation`` an earlier answer opened, whose seats are taken again by whoever
    had left. Unlike start_conversation it names nobody by handle and ignores blocks, the
    new-member limit and a silence: a member may always answer the moderators."""
    body = clean_message_body(body)
    if quote:
        body = f"{quote}\n\n{body}"
    now = timezone.now()
    with transaction.atomic():
        if conversation is None:
            conversation = Conversation.objects.create(
                started_by=member, created_at=now, last_message_at=now
            )
            activity.record(
                member, "conversation.started", conversation, participants=len(moderators) + 1
            )
        seated = set(
            Participant.objects.filter(conversation=conversation).values_list("user_id", flat=True)
        )
        everyone = [member, *moderators]
        Participant.objects.filter(
            conversation=conversation, user__in=everyone, left_at__isnull=False
        ).update(left_at=None)
        Participant.objects.bulk_create(
            [
                Participant(conversation=conversation, user=user, joined_at=now)
                for user in everyone
                if user.pk not in seated
            ]
        )
        message = _insert_message(member, conversation, body)
        activity.record(member, "message.sent", message, conversation=conversation.pk)
        notify_on_commit("message", message.pk)
    return message


def send_message(actor: User, conversation: Conversation, body: str) -> Message:
    """Reply in a conversation the actor takes part in."""
    if not permissions.may_view_conversation(actor, conversation):
        raise PermissionDenied
    body = clean_message_body(body)
    if not permissions.may_send_message(actor, conversation):
        if not permissions.is_appeal(conversation):
            permissions.refuse_if_silenced(actor)
        raise ValidationError({"body": _("You can no longer send messages in this conversation.")})
    limits.check_rate(actor, "message")
    screened = _screen(actor, body)
    with transaction.atomic():
        message = _insert_message(actor, conversation, screened.text)
        _flag_screened(screened, message)
        activity.record(actor, "message.sent", message, conversation=conversation.pk)
        notify_on_commit("message", message.pk)
    return message


def mark_read(user: User, conversation: Conversation, message_id: int | None = None) -> None:
    """Remember the last message the member has seen (never moves backwards)."""
    up_to = message_id if message_id is not None else conversation.last_message_id
    if not up_to:
        return
    moved = Participant.objects.filter(
        conversation=conversation, user=user, last_read_message_id__lt=up_to
    ).update(last_read_message_id=up_to)
    if moved:
        forget_unread_counts([user.pk])


def leave_conversation(actor: User, conversation: Conversation) -> None:
    """Leave: the conversation disappears from the actor's inbox and can no longer be read by
    them; the others keep it."""
    if not permissions.may_view_conversation(actor, conversation):
        raise PermissionDenied
    with transaction.atomic():
        Participant.objects.filter(conversation=conversation, user=actor).update(
            left_at=timezone.now()
        )
        activity.record(actor, "conversation.left", conversation)
        _forget_now_and_on_commit([actor.pk])


def block_member(actor: User, member: User) -> Block:
    if not permissions.may_block(actor, member):
        raise ValidationError(_("You cannot block this member."))
    with transaction.atomic():
        block, created = Block.objects.get_or_create(
            blocker=actor, blocked=member, defaults={"created_at": timezone.now()}
        )
        if created:
            activity.record(actor, "member.blocked", member)
    return block


def unblock_member(actor: User, member: User) -> None:
    with transaction.atomic():
        deleted, _count = Block.objects.filter(blocker=actor, blocked=member).delete()
        if deleted:
            activity.record(actor, "member.unblocked", member)


def report_message(actor: User, message: Message, reason: str, note: str = "") -> Flag:
    """Show one message to the moderators: a flag on it in the review queue, which shows
    them that message only. Reporting again changes nothing."""
    if not permissions.may_report_message(actor, message):
        raise PermissionDenied
    return flags.flag(actor, message, reason=reason, note=note)
