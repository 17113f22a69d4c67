"""The welcome series: the steps managers write, and what each member got of them."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Goal(models.TextChoices):
    """What a step asks the member to do; once done, the step is skipped (goals.py)."""

    NONE = "none", _("Nothing: never skip")
    PROFILE_COMPLETE = "profile_complete", _("Completed their profile")
    HAS_POSTED = "has_posted", _("Posted a topic or reply")
    HAS_REPLIED = "has_replied", _("Replied to a topic")
    JOINED_GROUP = "joined_group", _("Joined a group")


class OnboardingStep(models.Model):
    """One mail of the series, sent ``day_offset`` days after the member joined."""

    position = models.PositiveIntegerField(_("position"), default=0)
    day_offset = models.PositiveSmallIntegerField(
        _("day"), help_text=_("Days after joining: 0 is the day they join.")
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body (markdown)"), max_length=20000)
    goal = models.CharField(_("goal"), max_length=20, choices=Goal.choices, default=Goal.NONE)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day_offset", "position", "pk"]

    def __str__(self) -> str:
        return f"day {self.day_offset}: {self.subject}"


class DeliveryStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class OnboardingDelivery(models.Model):
    """What became of one step for one member: it is decided once (unique), so a step goes
    at most once, whatever the number of runs."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="onboarding_deliveries"
    )
    step = models.ForeignKey(OnboardingStep, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    # Why it was skipped or failed: "goal met", "unsubscribed", "too late", an error.
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "step"], name="one_delivery_per_step")
        ]
        indexes = [models.Index(fields=["step", "status"], name="onboarding_delivery_counts")]

    def __str__(self) -> str:
        return f"{self.user_id} step {self.step_id}: {self.status}"
