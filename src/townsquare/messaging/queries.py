"""Reads that the pages and the API share, each in a fixed number of queries."""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.core.permissions import AnyUser
from townsquare.messaging.models import Conversation, Message, Participant

UNREAD_CACHE_SECONDS = 600


def _unread_key(user_id: int) -> str:
    return f"messaging:unread:{user_id}"


def unread_count(user: AnyUser) -> int:
    """Conversations with a message the member has not read. Every page shows it, so it is
    kept in the cache until a message, a read or a departure changes it
    (``forget_unread_counts``); a miss is one indexed query."""
    if not user.is_authenticated:
        return 0
    key = _unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Participant.objects.filter(
            user_id=user.pk,
            left_at__isnull=True,
            conversation__last_message_id__gt=F("last_read_message_id"),
        ).count()
        cache.set(key, count, UNREAD_CACHE_SECONDS)
    return count


def forget_unread_counts(user_ids: list[int]) -> None:
    cache.delete_many([_unread_key(user_id) for user_id in user_ids])


def inbox(user: AnyUser) -> QuerySet[Conversation]:
    """The member's conversations, latest first, each with its last message and author, its
    active participants and ``is_unread``: three queries per page, whatever its length."""
    mine = Participant.objects.filter(conversation=OuterRef("pk"), user_id=user.pk)
    return (
        permissions.visible_conversations(user)
        .select_related("last_message__author")
        .annotate(
            is_unread=Exists(mine.filter(last_read_message_id__lt=OuterRef("last_message_id")))
        )
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=Participant.objects.filter(left_at__isnull=True)
                .select_related("user")
                .order_by("joined_at", "pk"),
                to_attr="seats",
            )
        )
        .order_by("-last_message_at", "-pk")
    )


def conversation_people(conversation: Conversation) -> list[User]:
    """Active participants, in the order they joined."""
    return [
        seat.user
        for seat in Participant.objects.filter(conversation=conversation, left_at__isnull=True)
        .select_related("user")
        .order_by("joined_at", "pk")
    ]


@dataclass
class MessagePage:
    messages: list[Message]
    number: int
    count: int  # pages
    total: int  # messages

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.count


def message_page(conversation: Conversation, page: int | str = "last") -> MessagePage:
    """One page of messages, oldest first; "last" (the default) is the newest page."""
    per_page = settings.MESSAGING_MESSAGES_PER_PAGE
    total = Message.objects.filter(conversation=conversation).count()
    count = max(1, -(-total // per_page))
    if page == "last":
        number = count
    else:
        try:
            number = min(max(1, int(page)), count)
        except (TypeError, ValueError):
            number = count
    start = (number - 1) * per_page
    messages = list(
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .order_by("pk")[start : start + per_page]
    )
    return MessagePage(messages, number, count, total)
