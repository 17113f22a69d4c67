"""Notification mail ("email at once"): rows whose channel is ``email`` reach the member
by mail, gathered so a busy topic makes one mail, not fifty.

- ``sweep`` (the periodic job ``tasks.send_notification_mail``, every minute) finds the
  members with rows to mail — channel email, not yet handled (``emailed_at`` empty), unread,
  at least NOTIFICATION_EMAIL_DELAY seconds old — who were not mailed in the last
  NOTIFICATION_EMAIL_WINDOW seconds, in one query on a partial index, and queues
  ``tasks.mail_notifications`` for every CHUNK_SIZE of them.
- ``mail_members`` (that job) writes one mail per member, each in its own transaction under
  a lock on the member's ``MailSettings`` row, so running it twice mails nothing twice.

Every row the mail part looks at gets ``emailed_at`` and an ``email_outcome``: sent; skipped
(address bouncing, account inactive or without address); hidden (the member may no longer
see it); failed (the mail could not be built: a template error, an invalid address — logged
with the member's id, and not tried again, since trying every minute would change nothing).
The row stays in the notification centre in every case.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import DatabaseError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone, translation

from townsquare.accounts.models import User
from townsquare.core.models import Community
from townsquare.core.queries import get_community
from townsquare.notifications import email, queries
from townsquare.notifications.models import (
    Channel,
    Kind,
    MailOutcome,
    MailSettings,
    Notification,
    Stream,
)

logger = logging.getLogger(__name__)

#: Members per ``mail_notifications`` job.
CHUNK_SIZE = 200
#: Lines listed in one mail at most; the rest are counted ("…and 12 more").
MAX_ENTRIES = 25
#: Characters of a post quoted under its line.
EXCERPT_LENGTH = 280
TEMPLATE = "notifications/email/notifications"


def pending(now: datetime) -> QuerySet[Notification]:
    """Rows waiting for the mail and old enough to be mailed (served by the partial index
    ``notification_to_mail``)."""
    return Notification.objects.filter(
        channel=Channel.EMAIL,
        emailed_at__isnull=True,
        read_at__isnull=True,
        created_at__lte=now - timedelta(seconds=settings.NOTIFICATION_EMAIL_DELAY),
    )


def _window_start(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.NOTIFICATION_EMAIL_WINDOW)


def due_members(now: datetime | None = None) -> list[int]:
    """Ids of the members to mail now, in order: one query, whatever their number."""
    now = now or timezone.now()
    mailed_lately = MailSettings.objects.filter(
        user_id=OuterRef("recipient_id"), notifications_mailed_at__gt=_window_start(now)
    )
    return list(
        pending(now)
        .filter(~Exists(mailed_lately))
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )


def chunks(ids: list[int], size: int = CHUNK_SIZE) -> list[list[int]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def sweep(enqueue: Callable[[list[int]], object], now: datetime | None = None) -> int:
    """Hand the members due for a mail to ``enqueue`` in chunks; returns how many.

    A member queued twice (a job still waiting when the next sweep runs) is mailed once:
    the job re-checks everything under a lock."""
    ids = due_members(now)
    for chunk in chunks(ids):
        enqueue(chunk)
    return len(ids)


@dataclass
class MailEntry:
    """One line of a notification mail: like a line of the centre, with an absolute link."""

    text: str
    count: int
    url: str
    excerpt: str
    # (title, address) pairs: an event's recording, slides and links (its follow-up).
    links: list[tuple[str, str]] = field(default_factory=list)


def entries(items: list[Notification]) -> list[MailEntry]:
    """Lines for these rows (newest first), gathered by ``group_key`` as the centre gathers
    them and worded by ``queries.describe``; call it in the member's language."""
    groups: dict[str, list[Notification]] = {}
    for item in items:
        groups.setdefault(item.group_key, []).append(item)
    lines = []
    for members in groups.values():
        first = members[0]
        post = first.post if first.post_id is not None and first.post.deleted_at is None else None
        excerpt = ""
        if post is not None and first.kind != Kind.MODERATION:
            body = " ".join(post.body.split())
            excerpt = body if len(body) <= EXCERPT_LENGTH else body[: EXCERPT_LENGTH - 1] + "…"
        elif first.event_id is not None and first.data.get("venue"):
            excerpt = first.data["venue"]
        resources = first.data.get("resources", []) if first.event_id is not None else []
        lines.append(
            MailEntry(
                text=queries.describe(first, len(members)),
                count=len(members),
                url=email.absolute(queries.link(first)),
                excerpt=excerpt,
                links=[(resource["title"], resource["url"]) for resource in resources],
            )
        )
    return lines


def member_entries(user: User, items: list[Notification]) -> list[MailEntry]:
    """``entries`` in the member's language, and their time zone for events' times."""
    with translation.override(user.language), timezone.override(user.timezone):
        return entries(items)


def compose(user: User, items: list[Notification]) -> EmailMultiAlternatives:
    """The mail for these rows (newest first): one line names it in the subject, several
    are counted and listed. ``unsubscribe_kind`` is their kind when they share one."""
    lines = member_entries(user, items)
    kinds = {item.kind for item in items}
    return email.compose(
        user,
        TEMPLATE,
        {
            "entries": lines[:MAX_ENTRIES],
            "more": sum(line.count for line in lines[MAX_ENTRIES:]),
            "total": len(items),
            "centre_url": email.absolute(reverse("notifications:centre")),
        },
        stream=Stream.NOTIFICATIONS,
        unsubscribe_kind=kinds.pop() if len(kinds) == 1 else "",
    )


def _finish(items: Iterable[Notification], outcome: str, now: datetime) -> None:
    ids = [item.pk for item in items]
    if ids:
        Notification.objects.filter(pk__in=ids).update(emailed_at=now, email_outcome=outcome)


def _mail_member(user: User, community: Community, reachable: bool) -> bool:
    """Inside the member's transaction: mail their pending rows if the window allows."""
    mail_settings, _ = MailSettings.objects.select_for_update().get_or_create(user=user)
    now = timezone.now()
    last = mail_settings.notifications_mailed_at
    if last is not None and last > _window_start(now):
        return False  # mailed lately (or by a twin of this job): the next sweep has it
    items = list(
        pending(now)
        .filter(recipient=user)
        .select_related("actor", "topic", "post", "group", "event")
        .order_by("-created_at", "-pk")
    )
    if not items:
        return False
    if not reachable:
        _finish(items, MailOutcome.SKIPPED, now)
        return False
    shown = queries.visible_now(user, community, items)
    shown_ids = {item.pk for item in shown}
    _finish((item for item in items if item.pk not in shown_ids), MailOutcome.HIDDEN, now)
    if not shown:
        return False
    try:
        validate_email(user.email)  # Django would pass "bad@@example" to the mail server
        with transaction.atomic():  # a mail that fails leaves nothing queued behind
            compose(user, shown).send()
    except DatabaseError:
        raise  # the job retries the member
    except Exception as error:  # a template error, an invalid address: this mail only
        logger.error(
            "Notification mail to member %s failed and will not be retried: %s: %s",
            user.pk,
            type(error).__name__,
            error,
        )
        _finish(shown, MailOutcome.FAILED, now)
        return False
    _finish(shown, MailOutcome.SENT, now)
    mail_settings.notifications_mailed_at = now
    mail_settings.save(update_fields=["notifications_mailed_at"])
    return True


def mail_members(user_ids: Iterable[int]) -> int:
    """One mail per member with rows due (the job ``mail_notifications``); returns how
    many were sent. Each member has their own transaction: one failure stops nobody else."""
    community = get_community()
    users = User.objects.in_bulk(list(user_ids))
    reachable = {user.pk for user in email.mailable(users.values(), Stream.NOTIFICATIONS)}
    sent = 0
    for user_id in sorted(users):
        with transaction.atomic():
            sent += _mail_member(users[user_id], community, user_id in reachable)
    return sent
