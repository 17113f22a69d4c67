"""Composing community mail to one member: their language and time zone, the community as
sender, text and HTML parts, and the one-click unsubscribe headers (RFC 8058) on everything
that is not account mail. Notification mails, digests, announcements and the welcome series
all go through ``compose``; ``mailable`` says who may be mailed at all.

A mail is built from three templates sharing a name: ``<name>_subject.txt``, ``<name>.txt``
and ``<name>.html`` (the HTML one extends ``notifications/email/layout.html``).
"""

from collections.abc import Iterable
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from townsquare.accounts.models import User
from townsquare.core.mail import bouncing
from townsquare.core.models import Community
from townsquare.core.queries import get_community
from townsquare.notifications.models import MailSettings, Stream

UNSUBSCRIBE_SALT = "townsquare.notifications.unsubscribe"


def absolute(path: str) -> str:
    """A link for mail: the site's address (SITE_URL) and a path."""
    return settings.SITE_URL + path


def unsubscribe_token(user: User, stream: str, kind: str = "") -> str:
    """A signed, non-expiring token: links in old mail keep working (RFC 8058 asks it)."""
    return signing.dumps([user.pk, stream, kind], salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str, str] | None:
    """(member id, stream, kind) of a valid token, or None for anything else."""
    try:
        user_id, stream, kind = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or stream not in Stream.values or not isinstance(kind, str):
        return None
    return user_id, stream, kind


def unsubscribe_url(user: User, stream: str, kind: str = "") -> str:
    token = unsubscribe_token(user, stream, kind)
    return absolute(reverse("notifications:unsubscribe", args=[token]))


def mail_settings(user: User) -> MailSettings:
    """The member's mail settings, or the defaults (unsaved) when they chose none."""
    try:
        return user.mail_settings
    except MailSettings.DoesNotExist:
        return MailSettings(user=user)


def mailable(users: Iterable[User], stream: str | None) -> list[User]:
    """The members who may get mail of ``stream`` (None: account mail): active, with an
    address that does not bounce, and — for a stream — not unsubscribed from it. Three
    queries at most, whatever the number of members."""
    users = [user for user in users if user.is_active and user.email]
    if not users:
        return []
    bad = bouncing(user.email for user in users)
    users = [user for user in users if user.email.strip().lower() not in bad]
    if stream is None or stream == Stream.NOTIFICATIONS:
        return users
    chosen = {
        row.user_id: row for row in MailSettings.objects.filter(user__in=[u.pk for u in users])
    }
    return [
        user
        for user in users
        if chosen.get(user.pk, MailSettings(user_id=user.pk)).receives(stream)
    ]


def sender(community: Community | None = None) -> str:
    """The community's name with the configured sending address."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    name = (community or get_community()).name
    return formataddr((name, address or "noreply@localhost"))


def compose(
    user: User,
    template: str,
    context: dict[str, Any],
    *,
    stream: str | None,
    unsubscribe_kind: str = "",
    reply_to: str | None = None,
    community: Community | None = None,
) -> EmailMultiAlternatives:
    """One mail to one member, rendered in their language and time zone.

    ``stream`` None marks account mail (no unsubscribe headers). Template errors are
    raised, so the caller fails this one mail and goes on with the next. A job mailing
    many members passes ``community`` (read once) instead of reading it for every mail.
    """
    community = community or get_community()
    context = {
        "community": community,
        "member": user,
        "site_url": settings.SITE_URL,
        "settings_url": absolute(reverse("notifications:preferences")),
        **context,
    }
    headers = {"Auto-Submitted": "auto-generated"}
    if stream is not None:
        link = unsubscribe_url(user, stream, unsubscribe_kind)
        context["unsubscribe_url"] = link
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    with translation.override(user.language), timezone.override(user.timezone):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    reply = reply_to or settings.EMAIL_REPLY_TO
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=sender(community),
        to=[user.email],
        reply_to=[reply] if reply else None,
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    return message
