"""Reads that moderation's pages, API and actions share."""

from townsquare.moderation.models import ModerationSettings


def moderation_settings() -> ModerationSettings:
    """The community's moderation settings, created with the defaults on first use."""
    found, _ = ModerationSettings.objects.get_or_create(pk=1)
    return found
