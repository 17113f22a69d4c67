"""Announcements: one message a manager writes for a segment of the members, and what
became of it for each of them (one delivery row per member, so a send is exact and
idempotent)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models import Role


class Segment(models.TextChoices):
    """Who an announcement goes to (announcements.segments resolves it)."""

    EVERYONE = "everyone", _("Everyone")
    GROUP = "group", _("Members of a group")
    ROLE = "role", _("Members with a role")
    JOINED_WITHIN = "joined_within", _("Joined in the last N days")
    INACTIVE_FOR = "inactive_for", _("Not seen for N days")
    CUSTOM_FIELD = "custom_field", _("A custom profile field has a value")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")


class Announcement(models.Model):
    """The message and its segment. Only a draft changes; sending fixes the recipients
    (delivery rows) once, and the status moves on to sent when none is queued any more."""

    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body (markdown)"), max_length=50000)
    segment = models.CharField(
        _("send to"), max_length=20, choices=Segment.choices, default=Segment.EVERYONE
    )
    segment_group = models.ForeignKey(
        "groups.Group",
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    segment_role = models.CharField(_("role"), max_length=10, choices=Role.choices, blank=True)
    segment_days = models.PositiveIntegerField(_("days"), null=True, blank=True)
    segment_field = models.CharField(_("profile field"), max_length=100, blank=True)
    segment_value = models.CharField(_("value"), max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    send_started_at = models.DateTimeField(null=True, blank=True)
    send_finished_at = models.DateTimeField(null=True, blank=True)
    # The number of members the segment matched when it was sent (its delivery rows).
    recipient_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="announcement_newest")]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class AnnouncementDelivery(models.Model):
    """One member's copy of an announcement. Created queued when it is sent; a batch job
    claims it (queued → sent with a conditional update) before mailing, so a job delivered
    twice mails nobody twice. Skipped: unsubscribed, bouncing or no longer active; failed:
    the mail could not be made (an invalid address), with the reason."""

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="deliveries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="announcement_deliveries"
    )
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "user"], name="one_delivery_per_announcement"
            )
        ]
        indexes = [
            models.Index(fields=["announcement", "status"], name="announcement_delivery_counts")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} announcement {self.announcement_id}: {self.status}"
