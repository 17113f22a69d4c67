from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WordAction(models.TextChoices):
    BLOCK = "block", _("Block the post")
    APPROVE = "approve", _("Hold for approval")
    FLAG = "flag", _("Flag for review")
    REPLACE = "replace", _("Replace")


class MatchKind(models.TextChoices):
    PLAIN = "plain", _("Anywhere in the text")
    WHOLE = "whole", _("Whole word")
    REGEX = "regex", _("Regular expression")


class WatchedWord(models.Model):
    """A word, phrase or pattern moderators watch for in new posts and messages."""

    pattern = models.CharField(_("word or pattern"), max_length=200)
    match = models.CharField(
        _("match"), max_length=10, choices=MatchKind.choices, default=MatchKind.WHOLE
    )
    action = models.CharField(_("action"), max_length=10, choices=WordAction.choices)
    replacement = models.CharField(_("replace with"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pattern"]
        constraints = [
            models.UniqueConstraint(fields=["pattern", "match"], name="watched_word_once")
        ]

    def __str__(self) -> str:
        return self.pattern


class BlockedDomain(models.Model):
    """Links to this domain (and its subdomains) are refused in posts and messages."""

    domain = models.CharField(_("domain"), max_length=253, unique=True)  # lower case
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class ModerationSettings(models.Model):
    """The community's moderation settings (one row, pk=1; moderation.queries.settings)."""

    approve_first_posts = models.PositiveSmallIntegerField(
        _("first posts of a new account that wait for approval"),
        default=0,
        help_text=_("0: new accounts post at once."),
    )
    hide_after_flags = models.PositiveSmallIntegerField(
        _("flags from trusted members that hide a post until it is reviewed"), default=3
    )
    hide_flagger_trust_level = models.PositiveSmallIntegerField(
        _("trust level whose flags count towards hiding"), default=1
    )
    # Trust levels (moderation.trust): what a member must have done to rise, with the
    # defaults of Discourse. TL1 and TL2 count everything; TL3 counts the last
    # tl3_period_days days. TL4 is given by hand only.
    tl1_topics_entered = models.PositiveIntegerField(_("TL1: topics entered"), default=5)
    tl1_posts_read = models.PositiveIntegerField(_("TL1: posts read"), default=30)
    tl1_minutes_read = models.PositiveIntegerField(_("TL1: minutes reading"), default=10)
    tl2_days_visited = models.PositiveIntegerField(_("TL2: days visited"), default=15)
    tl2_topics_entered = models.PositiveIntegerField(_("TL2: topics entered"), default=20)
    tl2_posts_read = models.PositiveIntegerField(_("TL2: posts read"), default=100)
    tl2_minutes_read = models.PositiveIntegerField(_("TL2: minutes reading"), default=60)
    tl2_likes_given = models.PositiveIntegerField(_("TL2: reactions given"), default=1)
    tl2_likes_received = models.PositiveIntegerField(_("TL2: reactions received"), default=1)
    tl2_replied_topics = models.PositiveIntegerField(_("TL2: topics replied to"), default=3)
    tl3_period_days = models.PositiveIntegerField(
        _("TL3: days counted"), default=100, validators=[MinValueValidator(1)]
    )
    tl3_days_visited_percent = models.PositiveSmallIntegerField(
        _("TL3: per cent of those days visited"), default=50, validators=[MaxValueValidator(100)]
    )
    tl3_topics_viewed_percent = models.PositiveSmallIntegerField(
        _("TL3: per cent of the period's topics viewed"),
        default=25,
        validators=[MaxValueValidator(100)],
    )
    tl3_posts_read_percent = models.PositiveSmallIntegerField(
        _("TL3: per cent of the period's posts read"),
        default=25,
        validators=[MaxValueValidator(100)],
    )
    tl3_replied_topics = models.PositiveIntegerField(_("TL3: topics replied to"), default=10)
    tl3_likes_given = models.PositiveIntegerField(_("TL3: reactions given"), default=30)
    tl3_likes_received = models.PositiveIntegerField(_("TL3: reactions received"), default=20)
    tl3_max_upheld_flags = models.PositiveIntegerField(
        _("TL3: at most this many of their posts hidden or deleted on flags"), default=5
    )
    # What members at trust level 0 may do (staff and TL1+ are not limited). The per-post
    # counts hold a post for approval (moderation.screening); the daily ones refuse.
    tl0_links = models.PositiveSmallIntegerField(_("TL0: links per post"), default=2)
    tl0_images = models.PositiveSmallIntegerField(_("TL0: images per post"), default=1)
    tl0_mentions = models.PositiveSmallIntegerField(_("TL0: mentions per post"), default=2)
    tl0_posts_per_day = models.PositiveSmallIntegerField(
        _("TL0: topics and replies per day"), default=10, validators=[MinValueValidator(1)]
    )
    tl0_conversations_per_day = models.PositiveSmallIntegerField(
        _("TL0: new conversations per day"),
        default=3,
        help_text=_("0: members at trust level 0 cannot start conversations."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("moderation settings")
        verbose_name_plural = _("moderation settings")

    def __str__(self) -> str:
        return "moderation settings"
