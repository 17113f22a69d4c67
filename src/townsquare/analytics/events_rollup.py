"""The events aggregates (``EventFact``, ``EventAttendee``), kept by the rollup: a full
rewrite on ``rollup --rebuild``, and the events named by new activity events on the
hourly run. Each event's rows are replayed from its ``event.rsvp``, ``event.promoted``
and ``event.attended`` events, in the order they happened; its title, time and status
come from the events table (a deleted event loses its rows)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from townsquare.analytics.models import EventAttendee, EventFact
from townsquare.core.models import ActivityEvent
from townsquare.events.models import Event, EventStatus, RegistrationStatus

VERBS = ("event.rsvp", "event.promoted", "event.attended")
BATCH = 500


@dataclass
class _Answer:
    going_on: date | None = None
    going: bool = False
    attended: bool = False


def _replay(ids: list[int] | None) -> dict[int, dict[int, _Answer]]:
    """Each event's members and what the log says they did."""
    events = ActivityEvent.objects.filter(
        verb__in=VERBS, target_type=ContentType.objects.get_for_model(Event), actor__isnull=False
    )
    if ids is not None:
        events = events.filter(target_id__in=[str(pk) for pk in ids])
    found: dict[int, dict[int, _Answer]] = {}
    rows = events.order_by("created_at", "id").values_list(
        "target_id", "actor_id", "verb", "created_at", "data"
    )
    for target, member, verb, when, data in rows.iterator(chunk_size=BATCH):
        answer = found.setdefault(int(target), {}).setdefault(member, _Answer())
        if verb == "event.attended":
            answer.attended = True
            continue
        status = RegistrationStatus.GOING
        if verb == "event.rsvp":
            status = data.get("status") if isinstance(data, dict) else None
        answer.going = status == RegistrationStatus.GOING
        if answer.going and answer.going_on is None:
            answer.going_on = when.astimezone(UTC).date()
    return found


def refresh(event_ids: Iterable[int] | None = None) -> int:
    """Rewrite the rows of the given events (all when None) in one transaction. Returns
    how many events were written."""
    ids = None if event_ids is None else sorted(set(event_ids))
    if ids == []:
        return 0
    answers = _replay(ids)
    events = Event.objects.exclude(status=EventStatus.DRAFT).order_by("pk")
    if ids is not None:
        events = events.filter(pk__in=ids)
    facts, attendees = [], []
    for pk, title, starts_at, ends_at, status in events.values_list(
        "pk", "title", "starts_at", "ends_at", "status"
    ).iterator(chunk_size=BATCH):
        held_on, held = ends_at.astimezone(UTC).date(), status == EventStatus.FINISHED
        members = answers.get(pk, {})
        for member, answer in members.items():
            attendees.append(
                EventAttendee(
                    event_id=pk,
                    member_id=member,
                    going_on=answer.going_on,
                    # A member checked in came, whatever they answered.
                    going=answer.going or answer.attended,
                    attended=answer.attended,
                    held_on=held_on,
                    held=held,
                )
            )
        facts.append(
            EventFact(
                event_id=pk,
                title=title,
                starts_at=starts_at,
                held_on=held_on,
                held=held,
                going=sum(a.going or a.attended for a in members.values()),
                attended=sum(a.attended for a in members.values()),
            )
        )
    with transaction.atomic():
        for model in (EventFact, EventAttendee):
            old = model.objects.all()
            if ids is None:
                old.delete()
            else:
                for start in range(0, len(ids), BATCH):
                    old.filter(event_id__in=ids[start : start + BATCH]).delete()
        EventFact.objects.bulk_create(facts, batch_size=BATCH)
        EventAttendee.objects.bulk_create(attendees, batch_size=BATCH)
    return len(facts)


def touched(since: int, until: int) -> set[int]:
    """Events named by activity events with ids in (since, until]: answers, check-ins,
    edits, finishing, cancelling, removal; and the events of members deleted meanwhile
    (their answers lose their member, so their rows go)."""
    if until <= since:
        return set()
    new = ActivityEvent.objects.filter(id__gt=since, id__lte=until)
    targets = new.filter(
        verb__startswith="event.", target_type=ContentType.objects.get_for_model(Event)
    ).values_list("target_id", flat=True)
    found = {int(target) for target in targets.distinct() if target.isdigit()}
    gone = new.filter(verb="member.deleted").values_list("target_id", flat=True)
    members = [int(target) for target in gone if target.isdigit()]
    if members:
        attended = EventAttendee.objects.filter(member_id__in=members)
        found.update(attended.values_list("event_id", flat=True))
    return found


def refresh_touched(since: int, until: int) -> int:
    """The hourly run: refresh the events touched by new activity events."""
    return refresh(touched(since, until))
