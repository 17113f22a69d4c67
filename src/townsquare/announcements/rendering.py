"""An announcement as one member reads it: rendered like a welcome step
(onboarding.rendering.render_mail: placeholders, safe markdown, absolute links)."""

from typing import Any

from django.core.mail import EmailMultiAlternatives

from townsquare.accounts.models import User
from townsquare.announcements.models import Announcement
from townsquare.notifications import email
from townsquare.notifications.models import Stream
from townsquare.onboarding.rendering import render_mail

TEMPLATE = "announcements/email/announcement"


def render(user: User, announcement: Announcement, *, test: bool = False) -> dict[str, Any]:
    """The context of ``announcements/email/announcement``; raises PlaceholderError (a
    ValueError) for placeholders that slipped past the checks."""
    return {
        "announcement": announcement,
        "test": test,
        **render_mail(user, announcement.subject, announcement.body),
    }


def compose(
    user: User, announcement: Announcement, *, test: bool = False
) -> EmailMultiAlternatives:
    """The mail for one member, in their language and time zone, with the one-click
    unsubscribe headers of the announcements stream."""
    context = render(user, announcement, test=test)
    return email.compose(user, TEMPLATE, context, stream=Stream.ANNOUNCEMENTS)
