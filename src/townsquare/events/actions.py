"""Every change to events: creating, editing, publishing and cancelling them, hosts and
registration questions, answers (RSVPs) with capacity and the waiting list, check-in and
the resources shared afterwards.

Each function checks the policy (``actor=None`` is the system: the demo, jobs, importers),
validates, writes in one transaction and records an activity event.
"""

import base64
import secrets
import unicodedata
import zoneinfo
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.core.images import replace_cover
from townsquare.core.markdown import render
from townsquare.events.models import (
    CalendarFeed,
    Event,
    EventFormat,
    EventHost,
    EventResource,
    EventStatus,
    Registration,
    RegistrationQuestion,
    RegistrationStatus,
    ResourceKind,
    Visibility,
)
from townsquare.forum import actions as forum_actions
from townsquare.forum.models import Audience, Category
from townsquare.forum.validation import clean_title
from townsquare.groups.models import Group
from townsquare.moderation import limits
from townsquare.notifications.actions import notify_on_commit
from townsquare.notifications.models import EventReminders, MailSettings

EDITABLE = {
    "title", "description", "starts_at", "ends_at", "timezone", "format", "video_url", "venue",
    "address", "capacity", "visibility", "group",
}  # fmt: skip
# The community's own categories for the threads of events outside groups, by visibility.
EVENTS_CATEGORIES = {
    Visibility.COMMUNITY: ("events", Audience.EVERYONE),
    Visibility.MEMBERS: ("events-members", Audience.MEMBERS),
}
ANSWER_MAX_LENGTH = 1000


def _check(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


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
        _check(permissions.may_create_event(actor, group))
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


def _locked(event: Event) -> Event:
    """The event's row, locked until the transaction ends: answers and capacity changes
    to one event happen one at a time (PostgreSQL; SQLite's writes are serial anyway)."""
    return Event.objects.select_for_update().get(pk=event.pk)


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
        _check(permissions.may_manage_event(actor, event))
    unknown = set(changes) - EDITABLE
    if unknown:
        raise TypeError(f"Unknown event fields: {sorted(unknown)}")
    event = _locked(event)
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
        _promote(event)
    activity.record(actor, "event.updated", event, changed=changed)
    _tell_changed(actor, event, changed)
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
        _check(permissions.may_manage_event(actor, event))
    event = _locked(event)
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
        _check(permissions.may_manage_event(actor, event))
    event = _locked(event)
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


# --- Answers, the waiting list and tickets --------------------------------------------------


def new_ticket_code() -> str:
    """Eight characters of base32 (40 random bits): easy to read aloud, hard to guess."""
    return base64.b32encode(secrets.token_bytes(5)).decode()


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()[:8]


def _clean_answers(event: Event, answers: dict[str, str] | None, status: str) -> dict[str, str]:
    given = {str(key): " ".join(str(value).split()) for key, value in (answers or {}).items()}
    cleaned: dict[str, str] = {}
    for question in RegistrationQuestion.objects.filter(event=event):
        text = given.get(str(question.pk), "")[:ANSWER_MAX_LENGTH]
        if question.required and not text and status != RegistrationStatus.NOT_GOING:
            raise ValidationError(
                {f"question_{question.pk}": _("Please answer: %(question)s") % {
                    "question": question.text
                }}
            )  # fmt: skip
        if text:
            cleaned[str(question.pk)] = text
    return cleaned


def going_count(event: Event) -> int:
    return Registration.objects.filter(event=event, status=RegistrationStatus.GOING).count()


def _promote(event: Event) -> list[Registration]:
    """Move the earliest on the waiting list to going while there is room (the event's
    row is locked by the caller)."""
    if event.status != EventStatus.PUBLISHED:
        return []
    waiting = Registration.objects.filter(
        event=event, status=RegistrationStatus.WAITLISTED
    ).order_by("waitlisted_at", "pk")
    if event.capacity is not None:
        free = event.capacity - going_count(event)
        if free <= 0:
            return []
        waiting = waiting[:free]
    promoted = list(waiting.select_related("member"))
    for registration in promoted:
        registration.status, registration.waitlisted_at = RegistrationStatus.GOING, None
        registration.save(update_fields=["status", "waitlisted_at", "updated_at"])
        activity.record(registration.member, "event.promoted", event, group=event.group_id)
        notify_on_commit("event_promoted", registration.pk, at=timezone.now().isoformat())
    return promoted


def _insert_registration(event: Event, member: User, **fields: Any) -> Registration:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Registration.objects.create(
                    event=event, member=member, ticket_code=new_ticket_code(), **fields
                )
        except IntegrityError:
            # A ticket code already given (one in 10^12): draw another.
            if Registration.objects.filter(event=event, member=member).exists():
                raise
    raise RuntimeError("Could not draw a free ticket code.")


@transaction.atomic
def rsvp(
    member: User,
    event: Event,
    status: str,
    answers: dict[str, str] | None = None,
    show_me: bool | None = None,
) -> str:
    """A member answers going, maybe or not going; returns the resulting status, which is
    "waitlisted" when the event is full. A place given up is taken by the first on the
    waiting list."""
    if status not in (
        RegistrationStatus.GOING,
        RegistrationStatus.MAYBE,
        RegistrationStatus.NOT_GOING,
    ):
        raise ValidationError({"status": _("Answer going, maybe or not going.")})
    limits.check_rate(member, "rsvp")
    event = _locked(event)
    _check(permissions.may_register(member, event))
    cleaned = _clean_answers(event, answers, status)
    registration = Registration.objects.filter(event=event, member=member).first()
    previous = registration.status if registration else None
    result, waitlisted_at = status, None
    full = event.capacity is not None and going_count(event) >= event.capacity
    if status == RegistrationStatus.GOING and previous != RegistrationStatus.GOING and full:
        result = RegistrationStatus.WAITLISTED
        # A member asking again keeps their place in the queue.
        waitlisted_at = (
            registration.waitlisted_at
            if previous == RegistrationStatus.WAITLISTED
            else timezone.now()
        )
    fields = {"status": result, "waitlisted_at": waitlisted_at, "answers": cleaned}
    if show_me is not None:
        fields["show_me"] = show_me
    if registration is None:
        registration = _insert_registration(event, member, **fields)
    else:
        for name, value in fields.items():
            setattr(registration, name, value)
        registration.save()
    if previous == RegistrationStatus.GOING and result != RegistrationStatus.GOING:
        _promote(event)
    if result != previous:
        activity.record(
            member, "event.rsvp", event, status=result, previous=previous, group=event.group_id
        )
    return result


@transaction.atomic
def check_in(
    actor: User | None, event: Event, *, member: User | None = None, code: str = ""
) -> Registration:
    """Record that an attendee came, found by member or by ticket code; checking in twice
    changes nothing."""
    if actor is not None:
        _check(permissions.may_check_in(actor, event))
    found = Registration.objects.select_for_update().filter(event=event).select_related("member")
    if member is not None:
        registration = found.filter(member=member).first()
    else:
        registration = found.filter(ticket_code=normalise_code(code)).first() if code else None
    if registration is None or registration.status not in (
        RegistrationStatus.GOING,
        RegistrationStatus.MAYBE,
    ):
        raise ValidationError({"code": _("No ticket for this event has this code.")})
    if registration.checked_in_at is None:
        registration.checked_in_at, registration.checked_in_by = timezone.now(), actor
        registration.save(update_fields=["checked_in_at", "checked_in_by", "updated_at"])
        activity.record(
            registration.member,
            "event.attended",
            event,
            checked_in_by=actor.pk if actor else None,
            group=event.group_id,
        )
    return registration


# --- After the event --------------------------------------------------------------------------


@transaction.atomic
def add_resource(
    actor: User | None, event: Event, *, kind: str, title: str, url: str
) -> EventResource:
    """Attach a recording, slides or a link to the event (those who run it)."""
    if actor is not None:
        _check(permissions.may_manage_event(actor, event))
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
    _send_follow_up(_locked(event))
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


# --- Personal calendar feeds --------------------------------------------------------------


def _new_feed_token() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def calendar_feed(actor: User, member: User) -> CalendarFeed:
    """The member's calendar feed address, created on first use."""
    _check(permissions.may_use_calendar_feed(actor, member))
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
    _check(permissions.may_use_calendar_feed(actor, member))
    feed = CalendarFeed.objects.select_for_update().filter(member=member).first()
    if feed is None:
        return calendar_feed(actor, member)
    feed.token = _new_feed_token()
    feed.save(update_fields=["token"])
    activity.record(actor, "calendar_feed.reset", feed)
    return feed


# --- Notices: changes, reminders, finishing and the follow-up ------------------------------

#: Changes registered members are told about: when and where.
TOLD_CHANGES = {"starts_at", "ends_at", "timezone", "format", "video_url", "venue", "address"}
#: How long before the start each reminder goes out. The day's window ends where the
#: hour's begins, so a member who registers in the last hour is reminded once, not twice.
REMINDERS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
#: Who does not want each reminder (notifications.models.MailSettings.event_reminders).
_NOT_WANTED = {
    "day": (EventReminders.HOUR, EventReminders.NONE),
    "hour": (EventReminders.DAY, EventReminders.NONE),
}


def _tell_changed(actor: User | None, event: Event, changed: list[str]) -> None:
    """Tell those registered that a published event moved (time or place); a new start
    time brings new reminders."""
    told = sorted(TOLD_CHANGES & set(changed))
    if event.status != EventStatus.PUBLISHED or not told:
        return
    if "starts_at" in told:
        Registration.objects.filter(event=event).update(reminded_day_at=None, reminded_hour_at=None)
    notify_on_commit(
        "event_changed",
        event.pk,
        at=timezone.now().isoformat(),
        changed=told,
        by=actor.pk if actor else None,
    )


def _send_follow_up(event: Event) -> bool:
    """The follow-up with the resources, once, to those who attended or were going: when
    the event is finished and has resources (the event's row is locked by the caller)."""
    if (
        event.status != EventStatus.FINISHED
        or event.follow_up_sent_at is not None
        or not EventResource.objects.filter(event=event).exists()
    ):
        return False
    event.follow_up_sent_at = timezone.now()
    event.save(update_fields=["follow_up_sent_at", "updated_at"])
    activity.record(None, "event.follow_up_sent", event, group=event.group_id)
    notify_on_commit("event_follow_up", event.pk)
    return True


def send_reminders(now: datetime | None = None) -> int:
    """Remind the members going to published events that start within a day or an hour
    (as each chose; both by default). Each reminder is marked on the registration first,
    so a job run twice, or two at once, reminds nobody twice. Returns how many members
    were marked."""
    now = now or timezone.now()
    marked = 0
    for when, ahead in REMINDERS.items():
        field = f"reminded_{when}_at"
        due = Registration.objects.filter(
            status=RegistrationStatus.GOING,
            event__status=EventStatus.PUBLISHED,
            event__starts_at__gt=now + (REMINDERS["hour"] if when == "day" else timedelta()),
            event__starts_at__lte=now + ahead,
            **{f"{field}__isnull": True},
        ).exclude(
            member__in=MailSettings.objects.filter(event_reminders__in=_NOT_WANTED[when]).values(
                "user_id"
            )
        )
        for event_id in sorted(set(due.values_list("event_id", flat=True))):
            with transaction.atomic():
                # Marked only if still unmarked: what a twin job marked is its to tell.
                count = due.filter(event_id=event_id).update(**{field: now})
                if count:
                    notify_on_commit("event_reminder", event_id, when=when)
            marked += count
    return marked


def finish_events(now: datetime | None = None) -> int:
    """Published events that are over become finished (an activity event each), and those
    with resources send their follow-up. Returns how many events were finished."""
    now = now or timezone.now()
    over = Event.objects.filter(status=EventStatus.PUBLISHED, ends_at__lte=now)
    finished = 0
    for event_id in over.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():
            event = Event.objects.select_for_update().get(pk=event_id)
            if event.status != EventStatus.PUBLISHED:
                continue  # cancelled or finished meanwhile
            event.status = EventStatus.FINISHED
            event.save(update_fields=["status", "updated_at"])
            activity.record(None, "event.finished", event, group=event.group_id)
            _send_follow_up(event)
        finished += 1
    return finished
