"""Events as calendar files: one event's ``.ics`` and a member's personal calendar feed,
both written by events.ics from what the policy lets the reader see; the feed's secret
address, created on first use and reset on request.

Addresses in the files use the site's canonical address (SITE_URL), not the host a
request came in by: a UID must stay the same wherever the file was fetched, or calendars
would hold the event twice. The video link is never written: files are forwarded.
"""

import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.core.models import Community
from townsquare.events.ics import CANCELLED, CONFIRMED, CalendarEntry, calendar_bytes
from townsquare.events.models import (
    PUBLIC_STATUSES,
    CalendarFeed,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
)

#: The feed holds the events the member answered these ways...
FEED_ANSWERS = (RegistrationStatus.GOING, RegistrationStatus.MAYBE, RegistrationStatus.WAITLISTED)
#: ...that ended at most this long ago (a month of history), and asks to be fetched again
#: this often.
FEED_HISTORY = timedelta(days=30)
FEED_REFRESH = timedelta(hours=1)
CONTENT_TYPE = "text/calendar; charset=utf-8"


def uid(event: Event) -> str:
    """Stable for the event whatever changes, so a re-import updates it."""
    return f"event-{event.pk}@{urlsplit(settings.SITE_URL).hostname or 'localhost'}"


def _location(event: Event, page: str) -> str:
    if event.is_in_person:
        return ", ".join(part for part in (event.venue, event.address) if part)
    return page  # where the link to join will be, for those who may see it


def entry(event: Event, community: Community) -> CalendarEntry:
    page = settings.SITE_URL + event.get_absolute_url()
    return CalendarEntry(
        uid=uid(event),
        title=event.title,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        description=event.description,
        location=_location(event, page),
        url=page,
        status=CANCELLED if event.status == EventStatus.CANCELLED else CONFIRMED,
        sequence=event.sequence,
        last_modified=event.updated_at,
        organizer=community.name,
        organizer_uri=settings.SITE_URL + "/",
    )


def event_file(event: Event, community: Community) -> bytes:
    """One event's ``.ics`` (the caller has checked that the reader may see it)."""
    return calendar_bytes([entry(event, community)], name=event.title)


def feed_events(member: User, community: Community, now: datetime | None = None) -> QuerySet[Event]:
    """The events of a member's feed: those they answered going, maybe or waitlisted,
    from a month ago on, that they may see now (leaving a secret group takes its events
    out), cancelled ones included. One query whatever the number."""
    answered = Registration.objects.filter(member=member, status__in=FEED_ANSWERS)
    return (
        permissions.visible_events(member, community)
        .filter(
            pk__in=answered.values("event_id"),
            status__in=PUBLIC_STATUSES,
            ends_at__gte=(now or timezone.now()) - FEED_HISTORY,
        )
        .order_by("starts_at", "pk")
    )


def feed_file(member: User, community: Community, now: datetime | None = None) -> bytes:
    """A member's personal calendar, named in their language."""
    entries = [entry(event, community) for event in feed_events(member, community, now)]
    with translation.override(member.language):
        name = _("%(community)s: my events") % {"community": community.name}
    return calendar_bytes(entries, name=name, refresh=FEED_REFRESH, now=now)


def response(body: bytes, filename: str, *, download: bool = True) -> HttpResponse:
    """A calendar file to download (``download``) or subscribe to. Not kept by shared
    caches: what it holds depends on who asks."""
    answer = HttpResponse(body, content_type=CONTENT_TYPE)
    answer["Content-Disposition"] = content_disposition_header(download, filename)
    answer["Cache-Control"] = "private, no-cache"
    return answer


def event_filename(event: Event) -> str:
    return f"{event.slug or 'event'}.ics"


# --- Personal calendar feeds: the secret address ------------------------------------------


def _new_feed_token() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def calendar_feed(actor: User, member: User) -> CalendarFeed:
    """The member's calendar feed address, created on first use."""
    permissions.require(permissions.may_use_calendar_feed(actor, member))
    feed, created = CalendarFeed.objects.get_or_create(
        member=member, defaults={"token": _new_feed_token()}
    )
    if created:
        activity.record(actor, "calendar_feed.created", feed)
    return feed


@transaction.atomic
def reset_calendar_feed(actor: User, member: User) -> CalendarFeed:
    """A new secret address for the member's feed: the old one stops working at once
    (for an address that was shared or leaked)."""
    permissions.require(permissions.may_use_calendar_feed(actor, member))
    feed = CalendarFeed.objects.select_for_update().filter(member=member).first()
    if feed is None:
        return calendar_feed(actor, member)
    feed.token = _new_feed_token()
    feed.save(update_fields=["token"])
    activity.record(actor, "calendar_feed.reset", feed)
    return feed
