"""Direct messages: who may write to whom, who may read a conversation, and blocking.

Only the active participants of a conversation may read it: moderators and admins included.
Moderators see a message only once a participant reports (flags) it (``reported_messages``).
A block works both ways for messages and new conversations, and keeps the blocked member's
@mentions of the blocker from being recorded anywhere (``mention_blockers``).
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Q, QuerySet
from django.db.models.functions import Cast

from townsquare.accounts.models import User
from townsquare.core.permissions.community import AnyUser, is_member, is_staff
from townsquare.core.permissions.moderation import is_silenced
from townsquare.messaging.models import Block, Conversation, Message, Participant
from townsquare.moderation.models import Notice, ReviewItem


def is_blocked(a: AnyUser, b: AnyUser) -> bool:
    """Whether either of the two has blocked the other."""
    if not a.is_authenticated or not b.is_authenticated:
        return False
    return Block.objects.filter(
        Q(blocker_id=a.pk, blocked_id=b.pk) | Q(blocker_id=b.pk, blocked_id=a.pk)
    ).exists()


def has_blocked(blocker: AnyUser, member: User) -> bool:
    """Whether ``blocker`` blocked ``member`` (one direction: what the block button shows)."""
    if not blocker.is_authenticated:
        return False
    return Block.objects.filter(blocker_id=blocker.pk, blocked_id=member.pk).exists()


def blocked_either_way(user: AnyUser, others: list[User] | QuerySet[User]) -> set[int]:
    """Ids among ``others`` that ``user`` blocked or that blocked ``user``: one query."""
    if not user.is_authenticated:
        return set()
    ids = [other.pk for other in others]
    pairs = Block.objects.filter(
        Q(blocker_id=user.pk, blocked_id__in=ids) | Q(blocked_id=user.pk, blocker_id__in=ids)
    ).values_list("blocker_id", "blocked_id")
    return {blocker if blocker != user.pk else blocked for blocker, blocked in pairs}


def mention_blockers(author_id: int) -> QuerySet:
    """Ids of members who blocked the author (a subquery): a mention of them by that author
    is not recorded (forum posts today, every later place that records mentions too)."""
    return Block.objects.filter(blocked_id=author_id).values("blocker_id")


def may_block(user: AnyUser, member: User) -> bool:
    return is_member(user) and member.pk != user.pk


def may_message(sender: AnyUser, recipient: User) -> bool:
    """Whether ``sender`` may write to ``recipient``: in a new conversation or an existing one."""
    return (
        is_member(sender)
        and not is_silenced(sender)
        and recipient.is_active
        and recipient.pk != sender.pk
        and not is_blocked(sender, recipient)
    )


def visible_conversations(user: AnyUser) -> QuerySet[Conversation]:
    """Conversations ``user`` takes part in (and has not left). Nobody else sees them."""
    if not is_member(user):
        return Conversation.objects.none()
    return Conversation.objects.filter(
        participants__user_id=user.pk, participants__left_at__isnull=True
    )


def may_view_conversation(user: AnyUser, conversation: Conversation) -> bool:
    return (
        is_member(user)
        and Participant.objects.filter(
            conversation=conversation, user_id=user.pk, left_at__isnull=True
        ).exists()
    )


def is_appeal(conversation: Conversation) -> bool:
    """Whether the conversation is a member's answer to a moderation notice."""
    return Notice.objects.filter(appeal=conversation).exists()


def may_send_message(user: AnyUser, conversation: Conversation) -> bool:
    """An active participant, with nobody else still in the conversation blocked either way,
    and someone left to read it. Silenced members write only in their appeals."""
    if not may_view_conversation(user, conversation):
        return False
    if is_silenced(user) and not is_appeal(conversation):
        return False
    others = list(
        User.objects.filter(
            conversation_seats__conversation=conversation,
            conversation_seats__left_at__isnull=True,
            is_active=True,
        ).exclude(pk=user.pk)
    )
    return bool(others) and not blocked_either_way(user, others)


def may_report_message(user: AnyUser, message: Message) -> bool:
    """A participant may report what someone else wrote there."""
    return message.author_id != user.pk and may_view_conversation(user, message.conversation)


def reported_messages(user: AnyUser) -> QuerySet[Message]:
    """The only messages moderators may read: those a participant reported (flagged)."""
    if not is_staff(user):
        return Message.objects.none()
    flagged = (
        ReviewItem.objects.filter(target_type=ContentType.objects.get_for_model(Message))
        .annotate(message_id=Cast("target_id", BigIntegerField()))
        .values("message_id")
    )
    return Message.objects.filter(pk__in=flagged)
