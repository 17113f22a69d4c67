from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.forum.links import url_for
from townsquare.forum.models.categories import Category

TAG_MAX_LENGTH = 40

# What lists show: not deleted, not unlisted. Partial indexes below use the same condition.
# Hidden topics are left out of members' lists by an extra ``hidden_at`` filter on top
# (permissions.visible_topics), not in this condition: moderators' lists show them, and
# both queries then use the same indexes (hidden topics are few, skipped in the scan).
LISTED = Q(deleted_at__isnull=True, is_listed=True)


class Tag(models.Model):
    """A label on topics. Names are lower case, in any script (api, 报表, raporty).

    Tags have no global counts: a count would tell visitors about topics they may not see.
    """

    name = models.CharField(_("name"), max_length=TAG_MAX_LENGTH, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return url_for("forum:tag", self.name)


class PinScope(models.TextChoices):
    NONE = "", _("Not pinned")
    CATEGORY = "category", _("Pinned in its category")
    GLOBAL = "global", _("Pinned everywhere")


class Topic(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="topics")
    title = models.CharField(_("title"), max_length=200)
    slug = models.CharField(max_length=100)
    # The real author, always kept (moderation, limits); anonymous topics never show it.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="forum_topics",
    )
    is_anonymous = models.BooleanField(default=False)
    # Scheduled discussion prompts may be shown as posted by a named host ("Jan, CTO").
    host_name = models.CharField(_("shown as posted by"), max_length=120, blank=True)
    tags = models.ManyToManyField(Tag, through="TopicTag", related_name="topics", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_posted_at = models.DateTimeField(default=timezone.now)
    last_poster = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_post_anonymous = models.BooleanField(default=False)
    # Replies that are not deleted; the highest number ever given (numbers are never reused).
    reply_count = models.PositiveIntegerField(default=0)
    highest_post_number = models.PositiveIntegerField(default=0)
    view_count = models.PositiveIntegerField(default=0)
    reaction_count = models.PositiveIntegerField(default=0)
    score = models.GeneratedField(
        expression=F("reply_count") * 2 + F("reaction_count") + F("view_count") / 20.0,
        output_field=models.FloatField(),
        db_persist=True,
    )
    # Q&A
    accepted_post = models.ForeignKey(
        "forum.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    solved_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    # Moderation
    pin_scope = models.CharField(max_length=10, choices=PinScope.choices, default="", blank=True)
    pinned_until = models.DateTimeField(null=True, blank=True)
    is_closed = models.BooleanField(default=False)
    is_archived = models.BooleanField(default=False)
    is_listed = models.BooleanField(default=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Hidden by the moderators (or by enough flags, hidden_by empty) until reviewed: only
    # staff and the author open it; moderation.actions.review writes these.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("topic")
        indexes = [
            models.Index(fields=["-last_posted_at", "-id"], name="topic_latest", condition=LISTED),
            models.Index(
                fields=["category", "-last_posted_at", "-id"],
                name="topic_category_latest",
                condition=LISTED,
            ),
            models.Index(fields=["-score", "-id"], name="topic_top", condition=LISTED),
            models.Index(fields=["-created_at", "-id"], name="topic_created", condition=LISTED),
            models.Index(fields=["pin_scope"], name="topic_pinned", condition=~Q(pin_scope="")),
            models.Index(fields=["author", "-created_at"], name="topic_author"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return url_for("forum:topic", self.slug, self.pk)

    @property
    def visible_author(self):
        """The author others may see: nobody for anonymous topics."""
        return None if self.is_anonymous else self.author

    @property
    def visible_last_poster(self):
        return None if self.last_post_anonymous else self.last_poster

    @property
    def is_solved(self) -> bool:
        return self.accepted_post_id is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    def is_pinned(self, now=None) -> bool:
        return bool(self.pin_scope) and (
            self.pinned_until is None or self.pinned_until > (now or timezone.now())
        )


class TopicTag(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "tag"], name="topic_tag_unique")]
        indexes = [models.Index(fields=["tag", "topic"])]

    def __str__(self) -> str:
        return f"{self.tag_id} on {self.topic_id}"
