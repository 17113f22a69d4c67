from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SanctionKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    # Can read, cannot post, reply, react, flag or message.
    SILENCE = "silence", _("Silenced")
    # Cannot sign in; sessions end and API tokens stop working.
    SUSPENSION = "suspension", _("Suspended")


class Sanction(models.Model):
    """A warning, silence or suspension of a member. The member's ``silenced_until`` and
    ``suspended_until`` mirror the longest one in force, so every request checks a column,
    not this table."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sanctions"
    )
    kind = models.CharField(max_length=12, choices=SanctionKind.choices)
    reason = models.TextField()
    guideline = models.CharField(max_length=100, blank=True)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)  # empty: a warning, or for good
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_item = models.ForeignKey(
        "moderation.ReviewItem", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["member", "-starts_at"])]

    def __str__(self) -> str:
        return f"{self.kind} of {self.member_id}"


class Notice(models.Model):
    """What a member is told about a moderation action on them or their content, with the
    reason and the guideline it broke. The member may answer it (an appeal), which opens
    a conversation with the moderators."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderation_notices"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64)  # the audit action, e.g. "post.hidden"
    reason = models.TextField()
    guideline = models.CharField(max_length=100, blank=True)
    # What it was about, as the member may see it (the content may be gone).
    subject_label = models.CharField(max_length=200, blank=True)
    subject_url = models.CharField(max_length=300, blank=True)
    # The thing itself, so the notices page links it only while the member may see it.
    subject_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    review_item = models.ForeignKey(
        "moderation.ReviewItem", null=True, blank=True, on_delete=models.SET_NULL
    )
    sanction = models.ForeignKey(Sanction, null=True, blank=True, on_delete=models.SET_NULL)
    appeal = models.OneToOneField(
        "messaging.Conversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appealed_notice",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["member", "-created_at"])]

    def __str__(self) -> str:
        return f"notice {self.pk} to {self.member_id}"
