"""A step as one member reads it: placeholders filled, markdown made safe HTML, links
made absolute (mail is read away from the site)."""

import re
from typing import Any

from django.conf import settings
from django.utils.safestring import mark_safe

from townsquare.accounts.models import User
from townsquare.core import markdown
from townsquare.core.queries import get_community
from townsquare.onboarding.models import OnboardingStep
from townsquare.onboarding.placeholders import fill, first_name

_RELATIVE_ATTRIBUTE = re.compile(r'\b(href|src)="/(?!/)')
_RELATIVE_MARKDOWN_LINK = re.compile(r"\]\(/(?!/)")

TEMPLATE = "onboarding/email/step"


def values_for(user: User) -> dict[str, str]:
    return {
        "first_name": first_name(user.display_name),
        "community": get_community().name,
        "site_url": settings.SITE_URL,
    }


def render_mail(user: User, subject: str, body: str) -> dict[str, Any]:
    """A manager-written mail (a welcome step, an announcement) for one member: the
    placeholders filled, the markdown made safe HTML, site links absolute. Raises
    PlaceholderError (a ValueError) for placeholders that slipped past the checks."""
    values = values_for(user)
    html = markdown.render(fill(body, values, markdown=True))
    html = _RELATIVE_ATTRIBUTE.sub(rf'\1="{settings.SITE_URL}/', html)
    text = _RELATIVE_MARKDOWN_LINK.sub(f"]({settings.SITE_URL}/", fill(body, values))
    return {
        "subject": " ".join(fill(subject, values).split()),
        "body_html": mark_safe(html),  # noqa: S308  (core.markdown sanitised it)
        "body_text": text,
    }


def render_step(user: User, step: OnboardingStep) -> dict[str, Any]:
    """The context of ``onboarding/email/step``; raises PlaceholderError for a broken step."""
    return {"step": step, **render_mail(user, step.subject, step.body)}
