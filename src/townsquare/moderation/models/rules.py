from django.conf import settings
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
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("moderation settings")
        verbose_name_plural = _("moderation settings")

    def __str__(self) -> str:
        return "moderation settings"
