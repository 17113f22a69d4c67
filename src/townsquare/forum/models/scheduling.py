from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models import TIMEZONE_CHOICES


class Recurrence(models.TextChoices):
    ONCE = "once", _("Once")
    WEEKLY = "weekly", _("Every week")
    MONTHLY = "monthly", _("Every month")


class ScheduledTopic(models.Model):
    """A discussion prompt on the community's content calendar: published as a topic at
    its time, once or again every week or month at the same local hour."""

    category = models.ForeignKey(
        "forum.Category", on_delete=models.CASCADE, related_name="scheduled_topics"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    tags = models.JSONField(_("tags"), default=list, blank=True)
    host_name = models.CharField(_("shown as posted by"), max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recurrence = models.CharField(
        _("repeat"), max_length=10, choices=Recurrence.choices, default=Recurrence.ONCE
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, choices=TIMEZONE_CHOICES, default="UTC"
    )
    first_publish_at = models.DateTimeField(_("first publication"))
    # None once a one-off prompt is out or the schedule is cancelled.
    next_publish_at = models.DateTimeField(null=True, blank=True)
    published_count = models.PositiveIntegerField(default=0)
    last_topic = models.ForeignKey(
        "forum.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["next_publish_at", "id"]
        indexes = [models.Index(fields=["next_publish_at"])]
        verbose_name = _("scheduled topic")

    def __str__(self) -> str:
        return self.title
