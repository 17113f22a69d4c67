"""An announcement as one member reads it: the welcome series' placeholders filled, the
markdown made safe HTML by core.markdown, links made absolute (mail is read away from the
site)."""

import re
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.safestring import mark_safe

from townsquare.accounts.models import User
from townsquare.announcements.models import Announcement
from townsquare.core import markdown
from townsquare.notifications import email
from townsquare.notifications.models import Stream
from townsquare.onboarding.placeholders import fill
from townsquare.onboarding.rendering import values_for

_RELATIVE_ATTRIBUTE = re.compile(r'\b(href|src)="/(?!/)')
_RELATIVE_MARKDOWN_LINK = re.compile(r"\]\(/(?!/)")

TEMPLATE = "announcements/email/announcement"


def render(user: User, announcement: Announcement, *, test: bool = False) -> dict[str, Any]:
    """The context of ``announcements/email/announcement``; raises PlaceholderError (a
    ValueError) for placeholders that slipped past the checks."""
    values = values_for(user)
    html = markdown.render(fill(announcement.body, values, markdown=True))
    html = _RELATIVE_ATTRIBUTE.sub(rf'\1="{settings.SITE_URL}/', html)
    text = _RELATIVE_MARKDOWN_LINK.sub(f"]({settings.SITE_URL}/", fill(announcement.body, values))
    return {
        "announcement": announcement,
        "subject": " ".join(fill(announcement.subject, values).split()),
        "body_html": mark_safe(html),  # noqa: S308  (core.markdown sanitised it)
        "body_text": text,
        "test": test,
    }


def compose(
    user: User, announcement: Announcement, *, test: bool = False
) -> EmailMultiAlternatives:
    """The mail for one member, in their language and time zone, with the one-click
    unsubscribe headers of the announcements stream."""
    context = render(user, announcement, test=test)
    return email.compose(user, TEMPLATE, context, stream=Stream.ANNOUNCEMENTS)
