"""Events through the notifications system: a new event, a change, a cancellation, a place
from the waiting list, the reminders a day and an hour before, finishing and the follow-up
with the resources — who hears what, once, and nobody who may not see the event."""

import importlib
from datetime import timedelta

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from tests.conftest import make_member
from tests.events.conftest import make_event
from tests.forum.conftest import client_for

# Autouse: an error in the eager fan-out fails the test instead of being retried quietly.
from tests.notifications.conftest import _jobs_raise  # noqa: F401  (fixture)
from tests.notifications.test_notification_mail import parts, token
from townsquare import settings as project_settings
from townsquare.accounts.models import User
from townsquare.core import permissions, scheduler
from townsquare.core.activity import ActivityEvent
from townsquare.core.queries import get_community
from townsquare.events import actions, notices, registrations
from townsquare.events.models import Event, EventSeries, EventStatus, Registration
from townsquare.forum.models import NotificationLevel
from townsquare.groups import actions as group_actions
from townsquare.groups.models import Group, JoinPolicy
from townsquare.messaging import actions as messaging
from townsquare.notifications import actions as notifications
from townsquare.notifications import email, queries
from townsquare.notifications.models import (
    Channel,
    DefaultPreference,
    EventReminders,
    Kind,
    MailOutcome,
    MailSettings,
    Notification,
    Preference,
)

pytestmark = pytest.mark.django_db

SITE = "https://community.example"


@pytest.fixture
def people(guidelines) -> list[User]:
    return [make_member(f"fan{number}", guidelines) for number in range(4)]


@pytest.fixture
def open_group(guidelines, people) -> Group:
    group = group_actions.create_group(None, name="Makers", policy=JoinPolicy.OPEN)
    for person in people[:3]:
        group_actions.add_member(None, group, person)
    return group


def told(event: Event, what: str) -> set[int]:
    """Who was told ``what`` about the event."""
    return set(
        Notification.objects.filter(event=event, data__what=what).values_list(
            "recipient_id", flat=True
        )
    )


def ids(*users: User) -> set[int]:
    return {user.pk for user in users}


def soon(hours: float, **fields) -> dict:
    """Fields for an event starting ``hours`` from now, an hour long."""
    start = timezone.now().replace(microsecond=0) + timedelta(hours=hours)
    return {"starts_at": start, "ends_at": start + timedelta(hours=1), **fields}


def into_the_past(event: Event) -> None:
    """Let the event happen: publishing refuses events already over, so move it afterwards."""
    Event.objects.filter(pk=event.pk).update(
        starts_at=F("starts_at") - timedelta(days=30), ends_at=F("ends_at") - timedelta(days=30)
    )


# --- A new event ----------------------------------------------------------------------------


def test_a_community_event_reaches_the_members_who_chose_to_hear_of_events(
    manager, people, committed
):
    keen, _undecided, off = people[:3]
    notifications.set_preferences(keen, {Kind.EVENT: Channel.IN_APP})
    notifications.set_preferences(off, {Kind.EVENT: Channel.OFF})
    notifications.set_preferences(manager, {Kind.EVENT: Channel.IN_APP})
    draft = make_event(manager, publish=False)
    with committed():
        event = actions.publish_event(manager, draft)
    assert told(event, "published") == ids(keen)  # not its creator, nor the undecided
    note = Notification.objects.get(recipient=keen)
    assert (note.kind, note.event_id, note.actor_id) == (Kind.EVENT, event.pk, manager.pk)
    assert queries.link(note) == event.get_absolute_url()
    assert "New event: “Weekly community session”" in queries.describe(note)


def test_silencing_new_events_keeps_the_notices_about_my_events(manager, people, committed):
    # Two kinds: "New events" announces; "Events I am going to or proposed" tells what
    # concerns an event the member answered. Turning announcements off silences no reminder.
    quiet, _other, _more, _most = people
    notifications.set_preferences(quiet, {Kind.EVENT: Channel.OFF})
    event = make_event(manager, venue="Hall A", format="hybrid", **soon(10))
    assert not told(event, "published")
    registrations.rsvp(quiet, event, "going")
    with committed():
        notices.send_reminders()
        actions.update_event(manager, event, venue="Hall B")
    assert set(Notification.objects.filter(recipient=quiet).values_list("kind", "data__what")) == {
        (Kind.MY_EVENT, "reminder"),
        (Kind.MY_EVENT, "changed"),
    }
    notifications.set_preferences(quiet, {Kind.MY_EVENT: Channel.OFF})
    with committed():
        actions.cancel_event(manager, event)
    assert not told(event, "cancelled")


def test_the_channel_chosen_for_events_carries_over_to_my_events(guidelines, people):
    from django.apps import apps

    carry_over = importlib.import_module(
        "townsquare.notifications.migrations.0007_my_event_kind"
    ).carry_over_event_channels
    by_mail, off, undecided, _other = people
    Preference.objects.bulk_create(
        [
            Preference(user=by_mail, kind=Kind.EVENT, channel=Channel.EMAIL),
            Preference(user=off, kind=Kind.EVENT, channel=Channel.OFF),
        ]
    )
    DefaultPreference.objects.create(kind=Kind.EVENT, channel=Channel.DIGEST)
    carry_over(apps, None)
    assert set(Preference.objects.filter(kind=Kind.MY_EVENT).values_list("user", "channel")) == {
        (by_mail.pk, Channel.EMAIL)
    }
    assert DefaultPreference.objects.get(kind=Kind.MY_EVENT).channel == Channel.DIGEST
    channels = notifications.channels_for([by_mail.pk, off.pk, undecided.pk], Kind.MY_EVENT)
    assert channels == {
        by_mail.pk: Channel.EMAIL,
        off.pk: Channel.DIGEST,
        undecided.pk: Channel.DIGEST,
    }


def test_a_group_event_reaches_its_members_except_those_who_muted_the_group(
    manager, people, open_group, committed
):
    member, muted, watching, outsider = people
    notifications.set_group_level(muted, open_group, NotificationLevel.MUTED)
    notifications.set_group_level(watching, open_group, NotificationLevel.WATCHING)
    notifications.set_preferences(outsider, {Kind.EVENT: Channel.IN_APP})
    with committed():
        event = make_event(manager, group=open_group, visibility="group")
    assert told(event, "published") == ids(member, watching)


def test_a_recurring_series_is_announced_once(manager, people, committed):
    keen = people[0]
    notifications.set_preferences(keen, {Kind.EVENT: Channel.IN_APP})
    first = make_event(manager, publish=False)
    series = EventSeries.objects.create(
        rule="FREQ=WEEKLY", starts_on=first.starts_at.date(), local_start=first.starts_at.time(),
        duration=timedelta(hours=1),
    )  # fmt: skip
    occurrences = [first] + [
        make_event(manager, publish=False, **soon(24 * 7 * week)) for week in (2, 3)
    ]
    Event.objects.filter(pk__in=[each.pk for each in occurrences]).update(series=series)
    with committed():
        for each in occurrences:
            actions.publish_event(manager, each)
    assert Notification.objects.filter(recipient=keen).count() == 1
    assert told(first, "published") == ids(keen)


def test_the_centre_costs_the_same_few_queries_with_event_notices(
    manager, people, committed, django_assert_max_num_queries
):
    member = people[0]
    client = client_for(member)
    notifications.set_preferences(member, {Kind.EVENT: Channel.IN_APP})
    with committed():
        make_event(manager)
    with django_assert_max_num_queries(20) as few:
        assert client.get("/notifications/").status_code == 200
    with committed():
        for number in range(6):
            event = make_event(manager, title=f"Session {number}")
            registrations.rsvp(member, event, "going")
            actions.update_event(manager, event, venue=f"Room {number}")
    assert Notification.objects.filter(recipient=member).count() == 13
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/notifications/").content.decode()
    assert page.count('<li class="unread">') == 13
    assert "“Session 5” has changed" in page
    newest = Notification.objects.filter(recipient=member).latest("pk")
    opened = client.get(reverse("notifications:open", args=[newest.pk]))
    assert opened.url == Event.objects.get(title="Session 5").get_absolute_url()


# --- Changes, cancellation, the waiting list ------------------------------------------------


def test_a_change_of_time_or_place_is_told_to_everyone_registered(manager, people, committed):
    going, maybe, waiting, not_going = people
    event = make_event(manager, capacity=1, venue="Hall A", format="hybrid")
    registrations.rsvp(going, event, "going")
    registrations.rsvp(maybe, event, "maybe")
    assert registrations.rsvp(waiting, event, "going") == "waitlisted"
    registrations.rsvp(not_going, event, "not_going")
    with committed():
        actions.update_event(manager, event, title="A better title")
    assert not Notification.objects.exists()  # the title is not what they plan around
    with committed():
        actions.update_event(
            manager, event, venue="Hall B", starts_at=event.starts_at + timedelta(hours=2),
            ends_at=event.ends_at + timedelta(hours=2),
        )  # fmt: skip
    assert told(event, "changed") == ids(going, maybe, waiting)
    note = Notification.objects.filter(recipient=going).get()
    assert note.data["venue"] == "Hall B"
    assert note.data["changed"] == ["ends_at", "starts_at", "venue"]
    with committed():
        actions.update_event(manager, event, venue="Hall C")
    assert Notification.objects.filter(recipient=going).count() == 2  # each change is news


def test_a_cancellation_is_told_to_everyone_registered_and_a_draft_to_nobody(
    manager, people, committed
):
    going, maybe, not_going, _other = people
    event = make_event(manager)
    registrations.rsvp(going, event, "going")
    registrations.rsvp(maybe, event, "maybe")
    registrations.rsvp(not_going, event, "not_going")
    with committed():
        actions.cancel_event(manager, event)
    assert told(event, "cancelled") == ids(going, maybe)
    with committed():
        actions.cancel_event(manager, make_event(manager, publish=False))
    assert Notification.objects.count() == 2


def test_the_host_who_changes_or_cancels_is_not_told_and_blocks_do_not_silence_it(
    manager, people, committed
):
    host, blocker, _other, _more = people
    event = make_event(manager, hosts=[manager, host])
    registrations.rsvp(host, event, "going")
    registrations.rsvp(blocker, event, "going")
    messaging.block_member(blocker, host)
    with committed():
        actions.update_event(host, event, venue="Hall B")
    with committed():
        actions.cancel_event(host, event)
    assert told(event, "changed") == told(event, "cancelled") == ids(blocker)


def test_the_member_promoted_from_the_waiting_list_is_told(manager, people, committed):
    first, second, third, _other = people
    event = make_event(manager, capacity=1)
    registrations.rsvp(first, event, "going")
    registrations.rsvp(second, event, "going")
    registrations.rsvp(third, event, "going")
    with committed():
        registrations.rsvp(first, event, "not_going")
    assert told(event, "promoted") == ids(second)
    with committed():
        actions.update_event(manager, event, capacity=5)
    assert told(event, "promoted") == ids(second, third)
    assert "A place opened up" in queries.describe(Notification.objects.get(recipient=third))


# --- Reminders --------------------------------------------------------------------------------


def test_reminders_a_day_and_an_hour_before_each_once(manager, people, committed):
    going, maybe, _other, _more = people
    event = make_event(manager, **soon(30))
    later_event = make_event(manager, title="Next month", **soon(24 * 30))
    for each in (event, later_event):
        registrations.rsvp(going, each, "going")
        registrations.rsvp(maybe, each, "maybe")
    now = timezone.now()
    with committed():
        assert notices.send_reminders(now) == 0  # 30 hours before: too early
        assert notices.send_reminders(now + timedelta(hours=7)) == 1  # within the day
        assert notices.send_reminders(now + timedelta(hours=8)) == 0  # never twice
    assert told(event, "reminder") == ids(going)
    day = Notification.objects.get(recipient=going)
    assert day.data["when"] == "day" and "Reminder: “Weekly community session”" in (
        queries.describe(day)
    )
    registration = Registration.objects.get(event=event, member=going)
    assert registration.reminded_day_at is not None and registration.reminded_hour_at is None
    with committed():
        assert notices.send_reminders(now + timedelta(hours=29, minutes=30)) == 1
        assert notices.send_reminders(now + timedelta(hours=29, minutes=40)) == 0
    hour = Notification.objects.filter(recipient=going).latest("pk")
    assert hour.data["when"] == "hour" and "Starting soon" in queries.describe(hour)
    assert Notification.objects.filter(recipient=going).count() == 2
    assert not told(later_event, "reminder")


def test_a_late_registration_gets_the_hour_reminder_only(manager, people, committed):
    event = make_event(manager, **soon(0.5))
    registrations.rsvp(people[0], event, "going")
    with committed():
        assert notices.send_reminders() == 1
        assert notices.send_reminders() == 0
    [note] = Notification.objects.filter(recipient=people[0])
    assert note.data["when"] == "hour"


def test_the_members_reminder_preference_is_respected(manager, people, committed):
    both, day_only, hour_only, none = people
    for person, choice in [
        (day_only, EventReminders.DAY),
        (hour_only, EventReminders.HOUR),
        (none, EventReminders.NONE),
    ]:
        notifications.set_mail_settings(person, event_reminders=choice)
    event = make_event(manager, **soon(10))
    for person in people:
        registrations.rsvp(person, event, "going")
    with committed():
        notices.send_reminders()
    assert told(event, "reminder") == ids(both, day_only)
    with committed():
        notices.send_reminders(timezone.now() + timedelta(hours=9, minutes=30))
    reminded = Notification.objects.filter(event=event, data__when="hour")
    assert set(reminded.values_list("recipient_id", flat=True)) == ids(both, hour_only)


def test_the_reminder_choice_is_on_the_notifications_preferences_page(member_client, member):
    page = member_client.get(reverse("notifications:preferences"))
    assert 'name="event_reminders"' in page.content.decode()
    response = member_client.post(
        reverse("notifications:mail_settings"),
        {"digest": "weekly", "digest_hour": "7", "event_reminders": "hour"},
    )
    assert response.status_code == 302
    assert email.mail_settings(member).event_reminders == EventReminders.HOUR


def test_no_reminder_for_cancelled_or_started_events(manager, people, committed):
    cancelled = make_event(manager, **soon(5))
    started = make_event(manager, title="Already on", **soon(0.25))
    for event in (cancelled, started):
        registrations.rsvp(people[0], event, "going")
    actions.cancel_event(manager, cancelled)
    Event.objects.filter(pk=started.pk).update(starts_at=timezone.now() - timedelta(minutes=5))
    with committed():
        assert notices.send_reminders() == 0
    assert not Notification.objects.exists()


def test_a_reminder_cancelled_before_its_job_ran_is_not_told(manager, people, committed):
    """The fan-out reads the event again: cancelled meanwhile, nobody is reminded."""
    event = make_event(manager, **soon(5))
    registrations.rsvp(people[0], event, "going")
    notices.send_reminders()  # marked, but its fan-out not run yet
    actions.cancel_event(manager, event)
    assert notifications.fan_out_now("event_reminder", event.pk, {"when": "day"}) == 0


def test_a_moved_event_is_reminded_again_for_its_new_time(manager, people, committed):
    event = make_event(manager, **soon(5))
    registrations.rsvp(people[0], event, "going")
    with committed():
        notices.send_reminders()
    with committed():
        actions.update_event(
            manager, event, starts_at=event.starts_at + timedelta(hours=3),
            ends_at=event.ends_at + timedelta(hours=3),
        )  # fmt: skip
        notices.send_reminders()
    assert Notification.objects.filter(event=event, data__what="reminder").count() == 2


def test_the_reminder_and_finishing_jobs_are_scheduled(settings, manager, people, committed):
    event = make_event(manager, **soon(5))
    registrations.rsvp(people[0], event, "going")
    schedule = project_settings.CELERY_BEAT_SCHEDULE
    settings.CELERY_BEAT_SCHEDULE = {
        name: schedule[name] for name in ("event-reminders", "finish-events")
    }
    assert schedule["event-reminders"]["schedule"] <= 300
    with committed():
        assert scheduler.run_due({}, 1e9) == ["event-reminders", "finish-events"]
    assert told(event, "reminder") == ids(people[0])


# --- Finishing and the follow-up ------------------------------------------------------------


def test_past_events_are_finished_once_and_followed_up_when_resources_come(
    manager, people, committed
):
    attended, going, maybe, not_going = people
    event = make_event(manager)
    registrations.rsvp(attended, event, "maybe")
    registrations.rsvp(going, event, "going")
    registrations.rsvp(maybe, event, "maybe")
    registrations.rsvp(not_going, event, "not_going")
    registrations.check_in(manager, event, member=attended)
    into_the_past(event)
    with committed():
        assert notices.finish_events() == 1
        assert notices.finish_events() == 0
    event.refresh_from_db()
    assert event.status == EventStatus.FINISHED and event.follow_up_sent_at is None
    finished = ActivityEvent.objects.filter(verb="event.finished", target_id=event.pk)
    assert finished.count() == 1
    assert not Notification.objects.exists()  # nothing to share yet
    with committed():
        actions.add_resource(
            manager, event, kind="recording", title="Recording", url="https://video.example/1"
        )
    with committed():
        actions.add_resource(manager, event, kind="slides", title="Slides", url="https://s.ex/2")
    assert told(event, "follow_up") == ids(attended, going)
    note = Notification.objects.get(recipient=going)
    assert note.data["resources"] == [
        {"kind": "recording", "title": "Recording", "url": "https://video.example/1"}
    ]
    assert "The recording and resources of “Weekly community session”" in queries.describe(note)
    event.refresh_from_db()
    assert event.follow_up_sent_at is not None
    assert Notification.objects.count() == 2  # the second resource sent nothing more


def test_resources_attached_before_the_end_go_out_when_the_event_is_finished(
    manager, people, committed
):
    event = make_event(manager)
    registrations.rsvp(people[0], event, "going")
    actions.add_resource(manager, event, kind="slides", title="Slides", url="https://s.ex/1")
    assert not Notification.objects.exists()  # not before the event
    into_the_past(event)
    with committed():
        notices.finish_events()
        notices.finish_events()
    assert told(event, "follow_up") == ids(people[0])
    assert Notification.objects.count() == 1


def test_cancelled_events_are_not_finished_nor_followed_up(manager, people, committed):
    event = make_event(manager)
    registrations.rsvp(people[0], event, "going")
    actions.cancel_event(manager, event)
    into_the_past(event)
    with committed():
        assert notices.finish_events() == 0
    event.refresh_from_db()
    assert event.status == EventStatus.CANCELLED


# --- The secret group -----------------------------------------------------------------------


def test_a_secret_groups_event_is_told_to_nobody_outside_it(
    manager, secret_group, board_member, people, committed
):
    outsider, leaver, _other, _more = people
    for person in (outsider, leaver):
        notifications.set_preferences(person, {Kind.EVENT: Channel.IN_APP})
    group_actions.add_member(None, secret_group, leaver)
    draft = make_event(
        manager, publish=False, group=secret_group, visibility="community", **soon(10)
    )
    with committed():
        event = actions.publish_event(manager, draft)
    assert told(event, "published") == ids(board_member, leaver)
    registrations.rsvp(board_member, event, "going")
    registrations.rsvp(leaver, event, "going")
    group_actions.remove_member(None, secret_group, leaver)
    for step in (
        notices.send_reminders,
        lambda: actions.update_event(manager, event, venue="The boardroom"),
        lambda: actions.cancel_event(manager, event),
    ):
        with committed():
            step()
    assert told(event, "reminder") == told(event, "changed") == ids(board_member)
    assert told(event, "cancelled") == ids(board_member)
    # Asked directly, delivery still refuses those who may not see the event.
    found = notifications.recipients("event_cancelled", event.pk, {})
    assert found is not None
    assert notifications.deliver(found[0], {outsider.pk: Kind.EVENT}) == 0
    # And what the leaver was told before is no longer shown in their centre.
    assert queries.centre(leaver, get_community()) == []
    assert not Notification.objects.filter(recipient=outsider).exists()


def test_the_batch_answer_matches_the_policy_for_every_kind_of_member(
    manager, secret_group, board_member, people, guidelines
):
    outsider, host = people[:2]
    inactive = make_member("gone", guidelines)
    group_actions.add_member(None, secret_group, inactive)
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    everyone = [manager, board_member, outsider, host, User.objects.get(pk=inactive.pk)]
    community = get_community()
    cases = [
        make_event(manager, group=secret_group, visibility="community"),
        make_event(manager, group=secret_group, visibility="group", publish=False, hosts=[host]),
        make_event(manager, visibility="members"),
        make_event(manager, publish=False),
    ]
    for event in cases:
        event = Event.objects.select_related("group").get(pk=event.pk)
        expected = {
            user.pk
            for user in everyone
            if user.is_active and permissions.may_view_event(user, community, event)
        }
        assert (
            permissions.members_who_may_view_event([user.pk for user in everyone], community, event)
            == expected
        ), event


# --- Mail -----------------------------------------------------------------------------------


@pytest.fixture
def mail_sweep(settings, django_capture_on_commit_callbacks):
    """The minute's notification mail job from the project's schedule, run as the embedded
    scheduler does, after the delay that lets a member read it in the app first."""
    settings.SITE_URL = SITE
    settings.NOTIFICATION_EMAIL_DELAY = 60
    settings.CELERY_BEAT_SCHEDULE = {
        "mail": project_settings.CELERY_BEAT_SCHEDULE["send-notification-mail"]
    }

    def run() -> None:
        Notification.objects.update(created_at=F("created_at") - timedelta(seconds=61))
        MailSettings.objects.update(notifications_mailed_at=None)
        with django_capture_on_commit_callbacks(execute=True):
            assert scheduler.run_due({}, 1e9) == ["mail"]

    return run


def test_the_reminder_mail_gives_the_time_in_the_members_zone(
    client, manager, people, committed, smtp_delivery, mail_sweep
):
    member = people[0]
    member.timezone = "Asia/Tokyo"
    member.save()
    notifications.set_preferences(member, {Kind.MY_EVENT: Channel.EMAIL})
    event = make_event(manager, venue="Hall A", format="hybrid", **soon(10))
    registrations.rsvp(member, event, "going")
    with committed():
        notices.send_reminders()
    mail_sweep()
    [received] = smtp_delivery.wait_for_mail(1)
    assert received.rcpt_tos == [member.email]
    message, text, html = parts(received)
    with timezone.override("Asia/Tokyo"):
        local = date_format(timezone.localtime(event.starts_at), "DATETIME_FORMAT")
    expected = f"Reminder: “Weekly community session”, {local} (Asia/Tokyo)"
    assert message["Subject"].strip() == expected
    assert expected in text
    url = SITE + event.get_absolute_url()
    assert url in text and f'href="{url}"' in html
    assert "Hall A" in text
    link = "".join(str(message["List-Unsubscribe"]).split()).strip("<>")
    assert email.read_unsubscribe_token(token(message)) == (
        member.pk,
        "notifications",
        Kind.MY_EVENT,
    )
    assert Notification.objects.get(recipient=member).email_outcome == MailOutcome.SENT
    # One click: notices about their events come back to the app only.
    assert client.post(link.removeprefix(SITE)).status_code == 200
    assert Preference.objects.get(user=member, kind=Kind.MY_EVENT).channel == Channel.IN_APP


def test_the_follow_up_mail_lists_the_resources_in_the_members_language(
    manager, people, committed, smtp_delivery, mail_sweep
):
    member = people[0]
    member.language = "pl"
    member.save()
    notifications.set_preferences(member, {Kind.MY_EVENT: Channel.EMAIL})
    event = make_event(manager)
    registrations.rsvp(member, event, "going")
    into_the_past(event)
    notices.finish_events()
    with committed():
        actions.add_resource(
            manager, event, kind="recording", title="Nagranie & notatki",
            url="https://video.example/42",
        )  # fmt: skip
    mail_sweep()
    [received] = smtp_delivery.wait_for_mail(1)
    _message, text, html = parts(received)
    assert "Nagranie & notatki: https://video.example/42" in text
    assert 'href="https://video.example/42"' in html and "Nagranie &amp; notatki" in html
    assert "Zrezygnuj z subskrypcji" in html  # the footer, in Polish


def test_a_hidden_event_is_not_mailed(
    manager, secret_group, people, committed, smtp_delivery, mail_sweep
):
    member = people[0]
    group_actions.add_member(None, secret_group, member)
    notifications.set_preferences(member, {Kind.EVENT: Channel.EMAIL})
    with committed():
        make_event(manager, group=secret_group, visibility="group")
    assert Notification.objects.filter(recipient=member).count() == 1
    group_actions.remove_member(None, secret_group, member)
    mail_sweep()
    assert smtp_delivery.received == []
    assert Notification.objects.get(recipient=member).email_outcome == MailOutcome.HIDDEN
