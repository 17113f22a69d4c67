"""Private conversations between members, and blocks between members.
A report of a message is a flag on it in the moderation review queue.

Read state is kept per participant as the id of the last message they have read; a
conversation keeps the id of its last message, so "unread" is one comparison of two columns
and the header's count is one indexed query.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Conversation(models.Model):
    # Empty once the member who started it deleted their account: the others keep it.
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    # Kept by actions.send_message: what the inbox sorts and compares read state with.
    last_message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_message_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"Conversation {self.pk}"


class Participant(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_seats"
    )
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    last_read_message_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="one_seat_per_member")
        ]
        indexes = [
            models.Index(
                fields=["user", "conversation"],
                condition=Q(left_at__isnull=True),
                name="messaging_active_seats",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id}"

    @property
    def is_active(self) -> bool:
        return self.left_at is None


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    # Empty: a former member's message, kept for the others in the conversation.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sent_messages",
    )
    body = models.TextField()
    body_html = models.TextField()  # sanitised by core.markdown.render
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["conversation", "id"], name="messaging_by_conversation")]

    def __str__(self) -> str:
        return f"Message {self.pk}"


class Block(models.Model):
    """``blocker`` wants nothing more from ``blocked``: no messages either way, no shared new
    conversations, no mentions of the blocker by the blocked member."""

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_received"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="one_block_per_pair"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="no_self_block"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"
