from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationLevel(models.IntegerChoices):
    """How much a member wants to hear about a topic, category or tag (as in Discourse).
    Stored now; delivery comes with notifications."""

    MUTED = 0, _("Muted: never notified, hidden from latest")
    NORMAL = 1, _("Normal: notified when mentioned or replied to")
    TRACKING = 2, _("Tracking: unread counts shown")
    WATCHING = 3, _("Watching: notified of every new post")
    WATCHING_FIRST_POST = 4, _("Watching first post: notified of new topics")


class TopicReadState(models.Model):
    """How far a member has read a topic, and how much they want to hear about it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="topic_states"
    )
    topic = models.ForeignKey("forum.Topic", on_delete=models.CASCADE, related_name="read_states")
    last_read_number = models.PositiveIntegerField(default=0)
    notification_level = models.PositiveSmallIntegerField(
        choices=NotificationLevel.choices, default=NotificationLevel.NORMAL
    )
    first_visited_at = models.DateTimeField(null=True, blank=True)
    last_visited_at = models.DateTimeField(null=True, blank=True)
    # Seconds the member spent on the topic's page while it was in view, reported by the
    # page (forum.actions.reading.add_reading_time): "time read" for trust levels.
    seconds_read = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="one_read_state_per_topic")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.topic_id} to {self.last_read_number}"


class LevelSetting(models.Model):
    """A member's chosen level for a category or a tag (normal, the default, has no row)."""

    level = models.PositiveSmallIntegerField(choices=NotificationLevel.choices)

    class Meta:
        abstract = True


class CategoryNotificationSetting(LevelSetting):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="category_settings"
    )
    category = models.ForeignKey(
        "forum.Category", on_delete=models.CASCADE, related_name="notification_settings"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="one_level_per_category")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: category {self.category_id} at {self.level}"


class TagNotificationSetting(LevelSetting):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tag_settings"
    )
    tag = models.ForeignKey(
        "forum.Tag", on_delete=models.CASCADE, related_name="notification_settings"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tag"], name="one_level_per_tag")]

    def __str__(self) -> str:
        return f"{self.user_id}: tag {self.tag_id} at {self.level}"
