from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.forum.models.posts import Post


class PollKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")


class Poll(models.Model):
    """A poll written inside a post ([poll]…[/poll]); results show after voting or closing."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="polls")
    name = models.CharField(max_length=40, default="poll")
    question = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=10, choices=PollKind.choices, default=PollKind.SINGLE)
    max_choices = models.PositiveSmallIntegerField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    voter_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "name"], name="poll_name_unique")]

    def __str__(self) -> str:
        return self.question or self.name

    def is_closed(self, now=None) -> bool:
        now = now or timezone.now()
        return self.closed_at is not None or (self.closes_at is not None and self.closes_at <= now)


class PollOption(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=200)
    vote_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["poll", "position"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "position"], name="poll_option_position")
        ]

    def __str__(self) -> str:
        return self.text


class PollVote(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes")
    option = models.ForeignKey(PollOption, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="poll_votes"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["option", "user"], name="one_vote_per_option")
        ]
        indexes = [models.Index(fields=["poll", "user"])]

    def __str__(self) -> str:
        return f"{self.user_id} voted {self.option_id}"
