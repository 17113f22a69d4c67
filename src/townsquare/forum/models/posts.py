from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.forum.links import url_for
from townsquare.forum.models.topics import Topic


class PostKind(models.TextChoices):
    REGULAR = "regular", _("Post")
    # A line in the stream saying what a moderator did ("moved 3 replies to …").
    ACTION = "action", _("Moderator action")


class Post(models.Model):
    """A post in a topic; number 1 opens the topic. Numbers are kept when posts are
    deleted (deleted posts stay in the stream as placeholders), so the n-th page of a long
    topic is found by number range, not by counting."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="posts")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=PostKind.choices, default=PostKind.REGULAR)
    # The real author, always kept; anonymous posts never show it (see display_author).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="forum_posts",
    )
    is_anonymous = models.BooleanField(default=False)
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # For moderator action posts: what happened, e.g. {"code": "split_to", "count": 3,
    # "topic": 12}; shown in the reader's language, linking only what the reader may see.
    action = models.JSONField(null=True, blank=True)
    body = models.TextField(_("text"))
    body_html = models.TextField(editable=False)
    # Plain text of the body without quotes and markup: search, excerpts, feeds.
    text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    edit_count = models.PositiveIntegerField(default=0)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Hidden by the moderators (or by enough flags, hidden_by empty): others see a
    # placeholder, the author a banner with the reason (moderation.actions.review).
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_reason = models.TextField(blank=True)
    # {"like": 3, "thanks": 1}: kept by the reaction actions, read by every list.
    reaction_counts = models.JSONField(default=dict, blank=True)
    # A token from the form or the Idempotency-Key header: a second submission of the same
    # form returns the first post instead of creating another.
    client_token = models.CharField(max_length=64, blank=True, default="")
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="forum_mentions"
    )
    quotes = models.ManyToManyField("self", blank=True, symmetrical=False, related_name="quoted_by")
    uploads = models.ManyToManyField("forum.Upload", blank=True, related_name="posts")

    class Meta:
        verbose_name = _("post")
        constraints = [
            models.UniqueConstraint(fields=["topic", "number"], name="post_number_unique"),
            models.UniqueConstraint(
                fields=["author", "client_token"],
                name="post_client_token_unique",
                condition=~Q(client_token=""),
            ),
        ]
        indexes = [
            models.Index(fields=["author", "-created_at"], name="post_author"),
            models.Index(fields=["-created_at"], name="post_created"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} in {self.topic_id}"

    def get_absolute_url(self) -> str:
        return url_for("forum:post_link", self.topic_id, self.number)

    @property
    def visible_author(self):
        """The author others may see: nobody for anonymous posts (moderators reveal it
        through an audited action, never by reading this)."""
        return None if self.is_anonymous else self.author

    @property
    def is_first(self) -> bool:
        return self.number == 1

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def reaction_total(self) -> int:
        return sum(self.reaction_counts.values())


class PostRevision(models.Model):
    """The text of a post before an edit; the post holds the newest version."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    # The topic's title before the edit, for edits of an opening post that renamed it.
    title = models.CharField(max_length=200, blank=True)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["post", "number"]
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="revision_number_unique")
        ]

    def __str__(self) -> str:
        return f"revision {self.number} of post {self.post_id}"


class ReactionKind(models.TextChoices):
    LIKE = "like", _("Like")
    THANKS = "thanks", _("Thanks")
    LAUGH = "laugh", _("Funny")
    CELEBRATE = "celebrate", _("Celebrate")
    INSIGHTFUL = "insightful", _("Insightful")
    EYES = "eyes", _("Looking")


REACTION_EMOJI = {
    ReactionKind.LIKE: "❤️",
    ReactionKind.THANKS: "🙏",
    ReactionKind.LAUGH: "😄",
    ReactionKind.CELEBRATE: "🎉",
    ReactionKind.INSIGHTFUL: "💡",
    ReactionKind.EYES: "👀",
}


class Reaction(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_reactions"
    )
    kind = models.CharField(max_length=12, choices=ReactionKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "user", "kind"], name="one_reaction_per_kind")
        ]
        indexes = [models.Index(fields=["user", "post"])]

    def __str__(self) -> str:
        return f"{self.kind} on post {self.post_id}"


class Bookmark(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_bookmarks"
    )
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="one_bookmark")]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"bookmark of post {self.post_id}"
