"""Reads shared by the analytics pages."""

from townsquare.analytics.models import AnalyticsSettings


def analytics_settings() -> AnalyticsSettings:
    """The community's analytics settings, created with the defaults on first use."""
    found, _ = AnalyticsSettings.objects.get_or_create(pk=1)
    return found
