"""Every write of direct messages: conversations, messages, read state, leaving, blocking and
reports. Each action asks the policy, validates, writes in one transaction and records an
activity event (never with a message's text)."""

import unicodedata
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts.models import User
from townsquare.accounts.validators import normalize_handle, refuse_hidden_characters
from townsquare.core import activity, markdown, permissions, ratelimit
from townsquare.core.models import Community
from townsquare.messaging.models import (
    Block,
    Conversation,
    Message,
    Participant,
)
from townsquare.messaging.queries import forget_unread_counts
from townsquare.moderation.actions.flags import flag
from townsquare.moderation.models import Flag
from townsquare.notifications.actions import notify_on_commit

DAY = 24 * 60 * 60


class ConversationLimitReached(ValidationError):
    """A new member started as many conversations as they may today."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__({"participants": message})
        self.retry_after = retry_after


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


def _count_new_conversation(actor: User) -> None:
    """New accounts start at most MESSAGING_NEW_MEMBER_CONVERSATIONS_PER_DAY conversations a
    day: spammers sign up, write to everyone and leave."""
    new_until = actor.date_joined + timedelta(days=settings.MESSAGING_NEW_MEMBER_DAYS)
    if timezone.now() >= new_until:
        return
    limit = settings.MESSAGING_NEW_MEMBER_CONVERSATIONS_PER_DAY
    wait = ratelimit.hit("messaging:start", f"user:{actor.pk}", ratelimit.Rate(limit, DAY))
    if wait is None:
        return
    # The limit ends when the day's window does or when the account stops being new.
    wait = min(wait, max(1, int((new_until - timezone.now()).total_seconds())))
    raise ConversationLimitReached(
        ngettext(
            "New members can start %(count)d conversation a day. Try again in %(wait)s.",
            "New members can start %(count)d conversations a day. Try again in %(wait)s.",
            limit,
        )
        % {"count": limit, "wait": timeuntil(timezone.now() + timedelta(seconds=wait))},
        wait,
    )


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
    body = clean_message_body(body)
    recipients = find_recipients(actor, community, handles)
    _no_blocks_among(recipients)
    _count_new_conversation(actor)
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
        message = _insert_message(actor, conversation, body)
        activity.record(
            actor, "conversation.started", conversation, participants=len(recipients) + 1
        )
        activity.record(actor, "message.sent", message, conversation=conversation.pk, first=True)
        notify_on_commit("message", message.pk)
    return conversation


def send_message(actor: User, conversation: Conversation, body: str) -> Message:
    """Reply in a conversation the actor takes part in."""
    if not permissions.may_view_conversation(actor, conversation):
        raise PermissionDenied
    body = clean_message_body(body)
    if not permissions.may_send_message(actor, conversation):
        raise ValidationError({"body": _("You can no longer send messages in this conversation.")})
    with transaction.atomic():
        message = _insert_message(actor, conversation, body)
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
    return flag(actor, message, reason=reason, note=note)
