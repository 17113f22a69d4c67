"""Changes to events themselves: creating, editing, publishing and cancelling them, hosts
and registration questions, and the resources shared afterwards. Answers, the waiting list
and check-in are in events.registrations; what attendees are told, in events.notices.

Each function checks the policy (``actor=None`` is the system: the demo, jobs, importers),
validates, writes in one transaction and records an activity event.
"""

import unicodedata
import zoneinfo
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.core.images import replace_cover
from townsquare.core.markdown import render
from townsquare.events import notices
from townsquare.events.models import (
    Event,
    EventFormat,
    EventHost,
    EventResource,
    EventStatus,
    RegistrationQuestion,
    ResourceKind,
    Visibility,
)
from townsquare.events.registrations import lock, promote_waiting
from townsquare.forum import actions as forum_actions
from townsquare.forum.models import Audience, Category
from townsquare.forum.validation import clean_title
from townsquare.groups.models import Group
from townsquare.notifications.actions import notify_on_commit

EDITABLE = {
    "title", "description", "starts_at", "ends_at", "timezone", "format", "video_url", "venue",
    "address", "capacity", "visibility", "group",
}  # fmt: skip
# The community's own categories for the threads of events outside groups, by visibility.
EVENTS_CATEGORIES = {
    Visibility.COMMUNITY: ("events", Audience.EVERYONE),
    Visibility.MEMBERS: ("events-members", Audience.MEMBERS),
}


# --- Validation ---------------------------------------------------------------------------


def _validate(event: Event) -> None:
    """Clean the event's fields in place; ValidationError names the field at fault."""
    event.title = clean_title(event.title)
    event.slug = slugify(event.title, allow_unicode=True)[:100].strip("-") or "event"
    event.description = unicodedata.normalize("NFC", event.description or "").strip()
    if event.starts_at is None or event.ends_at is None:
        raise ValidationError({"starts_at": _("Give the start and the end.")})
    if timezone.is_naive(event.starts_at) or timezone.is_naive(event.ends_at):
        raise ValueError("Event times must be aware datetimes.")
    if event.ends_at <= event.starts_at:
        raise ValidationError({"ends_at": _("The event must end after it starts.")})
    if event.timezone not in zoneinfo.available_timezones():
        raise ValidationError({"timezone": _("Unknown time zone.")})
    if event.format not in EventFormat.values:
        raise ValidationError({"format": _("Choose online, in person or hybrid.")})
    event.video_url = (event.video_url or "").strip()
    event.venue = " ".join((event.venue or "").split())
    event.address = " ".join((event.address or "").split())
    if event.video_url:
        try:
            URLValidator(schemes=["https", "http"])(event.video_url)
        except ValidationError as error:
            raise ValidationError({"video_url": _("Enter a web address.")}) from error
    if event.format == EventFormat.IN_PERSON:
        event.video_url = ""
    if event.is_in_person and not event.venue:
        raise ValidationError({"venue": _("An event in person needs a venue.")})
    if event.format == EventFormat.ONLINE:
        event.venue = event.address = ""
    if event.capacity is not None and event.capacity < 1:
        raise ValidationError({"capacity": _("Leave the capacity empty for no limit.")})
    if event.visibility not in Visibility.values:
        raise ValidationError({"visibility": _("Choose who may see the event.")})
    if event.visibility == Visibility.GROUP and event.group_id is None:
        raise ValidationError({"group": _("Choose the group whose members may see it.")})
    event.full_clean(exclude=["cover", "created_by", "topic", "series", "group", "slug"])


def _render(event: Event) -> None:
    event.description_html = render(event.description) if event.description else ""


def local_to_utc(local: datetime, zone_name: str, field: str = "starts_at") -> datetime:
    """A naive local time in an IANA zone as a UTC instant. A time the clocks skip (spring
    forward) or pass twice (autumn back) is refused: the caller must say which they mean."""
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError({"timezone": _("Unknown time zone.")}) from error
    if local.tzinfo is not None:
        raise ValidationError({field: _("Give the local time without a UTC offset.")})
    early, late = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
    if early.utcoffset() != late.utcoffset():
        in_utc = early.astimezone(zoneinfo.ZoneInfo("UTC"))
        if in_utc.astimezone(zone).replace(tzinfo=None) != local:
            message = _("%(time)s does not exist in %(zone)s: the clocks skip it.")
        else:
            message = _("%(time)s happens twice in %(zone)s: the clocks go back; choose another.")
        raise ValidationError({field: message % {"time": local.isoformat(), "zone": zone_name}})
    return early.astimezone(zoneinfo.ZoneInfo("UTC"))


# --- Creating and editing -----------------------------------------------------------------


def _set_hosts(event: Event, members: Sequence[User], guests: Sequence[tuple[str, str]]) -> None:
    EventHost.objects.filter(event=event).delete()
    rows, seen = [], set()
    for member in members:
        if member.pk not in seen:
            seen.add(member.pk)
            rows.append(EventHost(event=event, user=member, position=len(rows)))
    for name, title in guests:
        name, title = " ".join(name.split())[:120], " ".join(title.split())[:120]
        if name:
            rows.append(EventHost(event=event, name=name, title=title, position=len(rows)))
    EventHost.objects.bulk_create(rows)
    event.__dict__.pop("host_check_for", None)


def _set_questions(event: Event, questions: Sequence[tuple[str, bool]]) -> None:
    cleaned = [(" ".join(text.split())[:300], required) for text, required in questions]
    cleaned = [(text, required) for text, required in cleaned if text]
    kept = list(RegistrationQuestion.objects.filter(event=event).order_by("position", "pk"))
    # Existing questions keep their ids, so answers already given stay attached to them.
    for position, (text, required) in enumerate(cleaned):
        if position < len(kept):
            question = kept[position]
            question.text, question.required, question.position = text, required, position
            question.save()
        else:
            RegistrationQuestion.objects.create(
                event=event, text=text, required=required, position=position
            )
    RegistrationQuestion.objects.filter(pk__in=[q.pk for q in kept[len(cleaned) :]]).delete()


@transaction.atomic
def create_event(
    actor: User | None,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    description: str = "",
    timezone: str = "UTC",
    format: str = EventFormat.ONLINE,
    video_url: str = "",
    venue: str = "",
    address: str = "",
    capacity: int | None = None,
    visibility: str = Visibility.COMMUNITY,
    group: Group | None = None,
    cover: UploadedFile | None = None,
    hosts: Sequence[User] | None = None,
    guests: Sequence[tuple[str, str]] = (),
    questions: Sequence[tuple[str, bool]] = (),
    created_by: User | None = None,
) -> Event:
    """Create a draft event. Its hosts are the members named (the creator when none are)
    and the named guests. ``actor=None`` is the system, which names ``created_by``."""
    if actor is not None:
        permissions.require(permissions.may_create_event(actor, group))
        created_by = actor
    event = Event(
        title=title, description=description, starts_at=starts_at, ends_at=ends_at,
        timezone=timezone, format=format, video_url=video_url, venue=venue, address=address,
        capacity=capacity, visibility=visibility, group=group, created_by=created_by,
    )  # fmt: skip
    _validate(event)
    _render(event)
    replace_cover(event.cover, cover)
    event.save()
    if hosts is None:
        hosts = [created_by] if created_by is not None else []
    _set_hosts(event, hosts, guests)
    _set_questions(event, questions)
    activity.record(actor or created_by, "event.created", event, group=event.group_id)
    return event


def _calendar_fields(event: Event) -> tuple:
    """What a calendar copy of the event shows of its time and place: a change raises
    the event's iCalendar SEQUENCE."""
    return (event.starts_at, event.ends_at, event.format, event.venue, event.address)


@transaction.atomic
def update_event(
    actor: User | None,
    event: Event,
    *,
    cover: UploadedFile | bool | None = None,
    hosts: Sequence[User] | None = None,
    guests: Sequence[tuple[str, str]] | None = None,
    questions: Sequence[tuple[str, bool]] | None = None,
    **changes: Any,
) -> Event:
    """Edit an event (those who run it). ``cover=False`` removes the cover; hosts, guests
    and questions are replaced when given. Who may see a published event stays as it was
    published: its thread and its attendees were given that audience."""
    if actor is not None:
        permissions.require(permissions.may_manage_event(actor, event))
    unknown = set(changes) - EDITABLE
    if unknown:
        raise TypeError(f"Unknown event fields: {sorted(unknown)}")
    event = lock(event)
    if event.status in (EventStatus.CANCELLED, EventStatus.DECLINED):
        raise ValidationError({"status": _("A cancelled or declined event cannot be edited.")})
    if "group" in changes:
        changes["group_id"] = changes.pop("group").pk if changes["group"] else None
    changed = sorted(field for field, value in changes.items() if getattr(event, field) != value)
    if event.topic_id and {"visibility", "group_id"} & set(changed):
        raise ValidationError(
            {"visibility": _("Who may see the event cannot change once it is published.")}
        )
    previous_capacity = event.capacity
    before = _calendar_fields(event)
    for field, value in changes.items():
        setattr(event, field, value)
    _validate(event)
    if _calendar_fields(event) != before:
        event.sequence += 1
    _render(event)
    replace_cover(event.cover, cover)
    if cover is not None:
        changed.append("cover")
    event.save()
    if hosts is not None or guests is not None:
        current = list(EventHost.objects.filter(event=event))
        _set_hosts(
            event,
            hosts if hosts is not None else [h.user for h in current if h.user_id],
            guests if guests is not None else [(h.name, h.title) for h in current if not h.user_id],
        )
        changed.append("hosts")
    if questions is not None:
        _set_questions(event, questions)
        changed.append("questions")
    if event.capacity is None or (previous_capacity or 0) < event.capacity:
        promote_waiting(event)
    activity.record(actor, "event.updated", event, changed=changed)
    notices.tell_changed(actor, event, changed)
    return event


# How wide an audience is: a thread is never readable by more people than its event.
_WIDTH = {
    Audience.GROUPS: 0, Audience.MEMBERS: 1, Audience.EVERYONE: 2,
    Visibility.GROUP: 0, Visibility.MEMBERS: 1, Visibility.COMMUNITY: 2,
}  # fmt: skip


def _events_category(event: Event) -> Category | None:
    """Where the event's thread goes: its group's category, or the community's events
    category for its visibility, created on first use. None when the group has no
    category, or when its owners opened it wider than the event's audience."""
    if event.group_id is not None:
        category = event.group.category
        if category is None or _WIDTH[category.read_access] > _WIDTH[event.visibility]:
            return None
        return category
    slug, audience = EVENTS_CATEGORIES[event.visibility]
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        category = forum_actions.create_category(
            None,
            name=_("Events") if audience == Audience.EVERYONE else _("Members' events"),
            slug=slug,
            description=_("The discussion threads of the community's events."),
            read_access=audience,
            topic_access=Audience.STAFF,
            reply_access=Audience.MEMBERS,
            audited=False,  # part of publishing the event, which records it
        )
    return category


@transaction.atomic
def publish_event(actor: User | None, event: Event) -> Event:
    """Publish a draft (or an approved proposal) and open its discussion thread, which
    those who may see the event may read."""
    if actor is not None:
        permissions.require(permissions.may_manage_event(actor, event))
    event = lock(event)
    if event.status == EventStatus.PROPOSED and actor is not None:
        # Only a moderator's approval (events.proposals, audited) publishes a proposal.
        raise ValidationError(
            {"status": _("A proposal is published when a moderator approves it.")}
        )
    if event.status not in (EventStatus.DRAFT, EventStatus.PROPOSED):
        raise ValidationError({"status": _("Only a draft can be published.")})
    if event.ends_at <= timezone.now():
        raise ValidationError({"ends_at": _("This event is already over.")})
    event.status, event.published_at = EventStatus.PUBLISHED, timezone.now()
    author = actor or event.created_by
    category = _events_category(event)
    if category is not None and author is not None and event.topic_id is None:
        link = f"[{event.title}]({event.get_absolute_url()})"
        event.topic = forum_actions.create_topic(
            None, category, title=event.title, body=link, author=author
        )
    event.save(update_fields=["status", "published_at", "topic", "updated_at"])
    activity.record(actor, "event.published", event, group=event.group_id)
    notify_on_commit("event_published", event.pk)
    return event


@transaction.atomic
def cancel_event(actor: User | None, event: Event) -> Event:
    """Cancel a published event (or drop a draft): answers are kept, tickets no longer
    count, the waiting list stops."""
    if actor is not None:
        permissions.require(permissions.may_manage_event(actor, event))
    event = lock(event)
    if event.status not in (EventStatus.DRAFT, EventStatus.PROPOSED, EventStatus.PUBLISHED):
        raise ValidationError({"status": _("This event cannot be cancelled.")})
    was_published = event.status == EventStatus.PUBLISHED
    event.status, event.cancelled_at = EventStatus.CANCELLED, timezone.now()
    event.sequence += 1
    event.save(update_fields=["status", "cancelled_at", "sequence", "updated_at"])
    activity.record(actor, "event.cancelled", event, group=event.group_id)
    if was_published:  # a draft had no attendees to tell
        notify_on_commit("event_cancelled", event.pk, by=actor.pk if actor else None)
    return event


# --- After the event --------------------------------------------------------------------------


@transaction.atomic
def add_resource(
    actor: User | None, event: Event, *, kind: str, title: str, url: str
) -> EventResource:
    """Attach a recording, slides or a link to the event (those who run it)."""
    if actor is not None:
        permissions.require(permissions.may_manage_event(actor, event))
    if kind not in ResourceKind.values:
        raise ValidationError({"kind": _("Choose a recording, slides or a link.")})
    title = " ".join(title.split())
    if not title:
        raise ValidationError({"title": _("Give the resource a title.")})
    try:
        URLValidator(schemes=["https", "http"])(url.strip())
    except ValidationError as error:
        raise ValidationError({"url": _("Enter a web address.")}) from error
    resource = EventResource.objects.create(
        event=event, kind=kind, title=title[:200], url=url.strip(), created_by=actor
    )
    activity.record(actor, "event.resource_added", event, kind=kind, group=event.group_id)
    notices.send_follow_up(lock(event))
    return resource


def members_by_handle(handles: Iterable[str]) -> list[User]:
    """Active members named by @handle, in the order given (hosts in forms and the API)."""
    wanted = [handle.strip().lstrip("@").lower() for handle in handles if handle.strip()]
    members = User.objects.annotate(folded=Lower("handle")).filter(
        is_active=True, folded__in=wanted
    )
    found = {member.handle.lower(): member for member in members}
    missing = [handle for handle in wanted if handle not in found]
    if missing:
        raise ValidationError(
            {"hosts": _("No member with the handle @%(handle)s.") % {"handle": missing[0]}}
        )
    return [found[handle] for handle in wanted]
