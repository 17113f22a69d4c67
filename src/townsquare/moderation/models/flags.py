from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FlagReason(models.TextChoices):
    SPAM = "spam", _("Spam")
    INAPPROPRIATE = "inappropriate", _("Inappropriate")
    OFF_TOPIC = "off_topic", _("Off-topic")
    GUIDELINE = "guideline", _("Breaks a guideline")
    OTHER = "other", _("Something else")


class ReviewKind(models.TextChoices):
    # Existing content that members (or the screening rules) flagged.
    FLAGGED = "flagged", _("Flagged")
    # New content held before anyone sees it: first posts of new accounts, watched words
    # that require approval, a high spam score. It is created only when approved.
    QUEUED = "queued", _("Waiting for approval")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    DECIDED = "decided", _("Decided")


class Decision(models.TextChoices):
    KEEP = "keep", _("Keep (dismiss the flags)")
    EDIT = "edit", _("Edit")
    HIDE = "hide", _("Hide")
    DELETE = "delete", _("Delete")
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


class ReviewItem(models.Model):
    """One thing for moderators to decide on: flagged content (a post, a topic, a profile,
    a reported message), or new content waiting for approval. Flags on the same thing
    gather on one pending item."""

    kind = models.CharField(max_length=10, choices=ReviewKind.choices)
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    # What was flagged (empty for queued content, which does not exist yet).
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    target_id = models.CharField(max_length=64, blank=True)
    # Whose content it is: they get the notice, their history is shown beside it.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Queued content: what to create on approval, e.g. {"type": "reply", "topic": 12,
    # "body": "...", "reply_to": 40} or {"type": "topic", "category": 3, "title": ...}.
    payload = models.JSONField(default=dict, blank=True)
    # Why the screening rules held or flagged it: [{"rule": "watched_word", "detail": ...}].
    signals = models.JSONField(default=list, blank=True)
    spam_score = models.FloatField(default=0)
    flag_count = models.PositiveIntegerField(default=0)
    # Hidden automatically (enough flags from trusted members) until a moderator decides.
    auto_hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    # The guidelines section the content broke: an anchor of /guidelines ("be-kind").
    guideline = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["target_type", "target_id"],
                condition=Q(status="pending", kind="flagged"),
                name="one_pending_review_per_target",
            )
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["decided_by", "decided_at"]),
        ]

    def __str__(self) -> str:
        return f"review {self.pk} ({self.kind}, {self.status})"


class Flag(models.Model):
    """One member's flag on one thing; ``flagger`` is empty for the screening rules."""

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="flags")
    flagger = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="flags_given",
    )
    reason = models.CharField(max_length=20, choices=FlagReason.choices)
    note = models.TextField(blank=True, max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "flagger"],
                condition=Q(flagger__isnull=False),
                name="one_flag_per_member_per_item",
            )
        ]
        indexes = [models.Index(fields=["reason", "created_at"])]

    def __str__(self) -> str:
        return f"{self.reason} flag on review {self.item_id}"
