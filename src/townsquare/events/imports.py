"""Events that already took place, written with their original times: for importers and
the demo. The live actions refuse them (one cannot publish, answer or check in to an
event that is over), so these write the finished event directly, in one transaction,
with the activity events the live path would have recorded, backdated, and nobody
notified: the follow-up counts as sent when the event ended."""

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.core import activity
from townsquare.events import recurrence, registrations
from townsquare.events import series as series_actions
from townsquare.events.models import (
    Event,
    EventResource,
    EventSeries,
    EventStatus,
    Registration,
    RegistrationStatus,
    ResourceKind,
)

#: When the imported answers and check-ins are dated, relative to the event's start.
ANSWERED_BEFORE = timedelta(days=3)
CHECKED_IN_AFTER = timedelta(minutes=3)


@transaction.atomic
def import_past_occurrences(series: EventSeries, now: datetime | None = None) -> list[Event]:
    """The occurrences of a series that started in the past but have no row (a series
    starts materialising from now on), copied from its first occurrence as drafts, each
    recorded as created a week before it. Idempotent."""
    now = now or timezone.now()
    template = series.occurrences.order_by("recurrence_id").first()
    if template is None:
        return []
    found = recurrence.occurrences(
        series.rule,
        series_actions.first_local(series),
        series.timezone,
        series.duration,
        after=template.recurrence_id + timedelta(microseconds=1),
        until=now,
    )
    existing = set(series.occurrences.values_list("recurrence_id", flat=True))
    made = []
    for occurrence in found:
        if occurrence.start not in existing:
            with activity.as_of(occurrence.start - timedelta(days=7)):
                made.append(
                    series_actions._copy(template, series, occurrence.start, occurrence.end)
                )
    return made


@transaction.atomic
def import_past_event(
    event: Event,
    *,
    going: Sequence[User],
    attended: Collection[int],
    resources: Sequence[tuple[str, str, str]] = (),
) -> Event:
    """Write a draft or published event that is over as held: the members ``going``
    answered going three days before it, those whose ids are in ``attended`` were
    checked in as it started, and the ``resources`` (kind, title, address) were shared
    when it ended."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status not in (EventStatus.DRAFT, EventStatus.PUBLISHED):
        raise ValidationError(
            {"status": "Only a draft or published event can be imported as held."}
        )
    if event.ends_at > timezone.now():
        raise ValidationError({"ends_at": "Only an event that is over can be imported as held."})
    group = event.group_id
    if event.status == EventStatus.DRAFT:
        event.published_at = event.starts_at - timedelta(days=7)
        activity.record(None, "event.published", event, at=event.published_at, group=group)
    for member in going:
        answered = event.starts_at - ANSWERED_BEFORE
        registration = Registration.objects.filter(event=event, member=member).first()
        previous = registration.status if registration else None
        if registration is None:
            registration = registrations.insert_registration(
                event, member, status=RegistrationStatus.GOING
            )
        elif registration.status == RegistrationStatus.GOING:
            continue
        Registration.objects.filter(pk=registration.pk).update(
            status=RegistrationStatus.GOING, created_at=answered
        )
        activity.record(
            member, "event.rsvp", event, at=answered, status="going", previous=previous, group=group
        )
        if member.pk in attended:
            came = event.starts_at + CHECKED_IN_AFTER
            Registration.objects.filter(pk=registration.pk).update(checked_in_at=came)
            activity.record(
                member, "event.attended", event, at=came, checked_in_by=None, group=group
            )
    for kind, title, url in resources:
        if kind not in ResourceKind.values:
            raise ValidationError({"kind": "Unknown resource kind."})
        EventResource.objects.create(event=event, kind=kind, title=title, url=url)
        activity.record(None, "event.resource_added", event, at=event.ends_at, kind=kind)
    event.status = EventStatus.FINISHED
    if resources:
        event.follow_up_sent_at = event.ends_at
    event.save(update_fields=["status", "published_at", "follow_up_sent_at", "updated_at"])
    activity.record(None, "event.finished", event, at=event.ends_at, group=group)
    return event
