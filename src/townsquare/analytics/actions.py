"""Every write of the analytics app that is not a rollup: the analytics settings."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from townsquare.accounts.models import User
from townsquare.analytics.models import AnalyticsSettings
from townsquare.core import permissions
from townsquare.moderation import audit

SETTINGS_FIELDS = ("inactive_after_days", "cost_per_ticket", "currency")


def _logged(value: Any) -> Any:
    # The audit log is JSON: a Decimal is kept as its exact text ("30.00").
    return str(value) if isinstance(value, Decimal) else value


@transaction.atomic
def change_settings(actor: User | None, **changes: Any) -> AnalyticsSettings:
    """Change some of the analytics settings (``SETTINGS_FIELDS``); ``actor=None`` is the
    system. Validates the whole row, saves, and records one ``analytics_settings.changed``
    audit entry with the fields that changed, before and after (none if nothing did)."""
    if actor is not None and not permissions.may_change_analytics_settings(actor):
        raise PermissionDenied
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"Not an analytics setting: {', '.join(sorted(unknown))}")
    AnalyticsSettings.objects.get_or_create(pk=1)
    current = AnalyticsSettings.objects.select_for_update().get(pk=1)
    before: dict[str, Any] = {}
    for name, value in changes.items():
        if value is not None and getattr(current, name) != value:
            before[name] = _logged(getattr(current, name))
            setattr(current, name, value)
    if not before:
        return current
    current.full_clean()  # ValidationError names the field; nothing is saved
    current.save()
    current.refresh_from_db()  # the stored, rounded values are what the log should say
    after = {name: _logged(getattr(current, name)) for name in before}
    audit.record(actor, "analytics_settings.changed", current, before=before, after=after)
    return current
