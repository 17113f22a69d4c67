"""Template filters of the audit log and the moderators' overview."""

import json
from datetime import timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """A length of time in words ("3 hours, 20 minutes"); a dash when there is none."""
    if value is None:
        return "—"
    now = timezone.now()
    return timesince(now - value, now)


@register.filter
def audit_value(value: Any) -> str:
    """A before/after value, compact: text as it is, anything else as JSON."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
