"""What members registered for an event are told, beyond the answers themselves: a
change of time or place, reminders a day and an hour before, and the follow-up with the
resources once the event is over (the jobs that send reminders and finish events).
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.core import activity
from townsquare.events.models import (
    Event,
    EventResource,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from townsquare.notifications.actions import notify_on_commit
from townsquare.notifications.models import EventReminders, MailSettings

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


def tell_changed(actor: User | None, event: Event, changed: list[str]) -> None:
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


def send_follow_up(event: Event) -> bool:
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
            send_follow_up(event)
        finished += 1
    return finished
