"""Notification mail ("email at once"): the minute's sweep, the delay, the window that
gathers a busy topic into one mail, visibility, bouncing addresses and broken mails —
through the job queue to a real SMTP server."""

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_member
from tests.forum.conftest import start_topic
from tests.messaging.conftest import old_member
from townsquare import settings as project_settings
from townsquare.core import scheduler
from townsquare.core.models import MailboxStatus
from townsquare.core.queries import get_community
from townsquare.forum import actions as forum
from townsquare.messaging import actions as messaging
from townsquare.notifications import actions, email, mailing, tasks
from townsquare.notifications.models import (
    Channel,
    Kind,
    MailOutcome,
    MailSettings,
    Notification,
    Stream,
)

pytestmark = pytest.mark.django_db

TEST_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SITE = "https://community.example"
SCHEDULED = "send-notification-mail"


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEST_TEMPLATES]}
    ]
    settings.SITE_URL = SITE
    settings.NOTIFICATION_EMAIL_DELAY = 60
    settings.NOTIFICATION_EMAIL_WINDOW = 300


@pytest.fixture
def sweep(settings, django_capture_on_commit_callbacks):
    """Run the minute's job from the project's schedule as the embedded scheduler does,
    and the mail deliveries it queues."""
    settings.CELERY_BEAT_SCHEDULE = {"mail": project_settings.CELERY_BEAT_SCHEDULE[SCHEDULED]}

    def run() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            assert scheduler.run_due({}, 1e9) == ["mail"]

    return run


def by_email(*users, kind: str = Kind.REPLY) -> None:
    for user in users:
        actions.set_preferences(user, {kind: Channel.EMAIL})


def later(seconds: int) -> None:
    """Let time pass: every notification and every last mail moves back in time."""
    delta = timedelta(seconds=seconds)
    Notification.objects.update(created_at=F("created_at") - delta)
    MailSettings.objects.filter(notifications_mailed_at__isnull=False).update(
        notifications_mailed_at=F("notifications_mailed_at") - delta
    )


def unsubscribe_link(message) -> str:
    return "".join(str(message["List-Unsubscribe"]).split()).strip("<>")  # unfolded


def token(message) -> str:
    return unsubscribe_link(message).rstrip("/").rsplit("/", 1)[1]


def parts(received) -> tuple:
    message = received.parsed()
    return (
        message,
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )


def test_a_reply_is_mailed_once_in_the_members_language(
    member, bob, general, committed, smtp_delivery, sweep
):
    member.language = "pl"
    member.save()
    by_email(member)
    topic = start_topic(member, general, title="Eksport raportów")
    with committed():
        post = forum.create_post(bob, topic, body="Użyj przycisku „Eksport” & gotowe.")
    sweep()
    assert smtp_delivery.received == []  # not before the delay: it may be read in the app

    later(61)
    sweep()
    [received] = smtp_delivery.wait_for_mail(1)
    assert received.rcpt_tos == [member.email]
    message, text, html = parts(received)
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"].strip() == "Bob odpowiada w „Eksport raportów”"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe_link(message).startswith(f"{SITE}/email/unsubscribe/")
    expected = (member.pk, Stream.NOTIFICATIONS, Kind.REPLY)
    assert email.read_unsubscribe_token(token(message)) == expected
    post_url = SITE + post.get_absolute_url()
    assert post_url in text and f'href="{post_url}"' in html
    assert "Użyj przycisku „Eksport” & gotowe." in text  # the text part is not HTML-escaped
    assert "&amp; gotowe" in html
    assert "Zrezygnuj z subskrypcji" in html  # the footer, in Polish
    note = Notification.objects.get(recipient=member)
    assert note.emailed_at is not None and note.email_outcome == MailOutcome.SENT
    assert email.mail_settings(member).notifications_mailed_at is not None

    later(600)
    sweep()
    assert len(smtp_delivery.received) == 1  # nothing is mailed twice


def test_a_busy_topic_gathers_into_one_mail_per_window(
    member, bob, carol, general, committed, smtp_delivery, sweep
):
    by_email(member)
    topic = start_topic(member, general)
    with committed():
        forum.create_post(bob, topic, body="The first answer.")
    later(61)
    sweep()
    assert len(smtp_delivery.received) == 1

    for number in range(10):
        with committed():
            forum.create_post(carol if number % 2 else bob, topic, body=f"More, part {number}.")
    later(61)
    sweep()
    assert len(smtp_delivery.received) == 1  # within the window: they wait for the next mail

    later(300)
    sweep()
    assert len(smtp_delivery.received) == 2
    message, text, _html = parts(smtp_delivery.received[1])
    assert message["Subject"].strip() == "10 new replies in “How do I export a report?”"
    assert "More, part 9." in text  # the newest one is quoted
    assert Notification.objects.filter(recipient=member, emailed_at__isnull=True).count() == 0

    with committed():
        forum.create_post(bob, topic, body="One more after the window.")
    later(61)
    sweep()
    assert len(smtp_delivery.received) == 2
    later(300)
    sweep()
    assert len(smtp_delivery.received) == 3


def test_several_kinds_make_one_mail_listing_them(
    member, bob, carol, general, committed, smtp_delivery, sweep
):
    by_email(member, kind=Kind.REPLY)
    by_email(member, kind=Kind.MENTION)
    first = start_topic(member, general, title="First topic")
    second = start_topic(carol, general, title="Second topic")
    with committed():
        reply = forum.create_post(bob, first, body="A reply.")
    with committed():
        mention = forum.create_post(carol, second, body="What does @alice think?")
    later(61)
    sweep()
    [received] = smtp_delivery.wait_for_mail(1)
    message, text, html = parts(received)
    assert message["Subject"].strip() == f"2 new notifications in {get_community().name}"
    assert "Bob replied in “First topic”" in text
    assert "Carol mentioned you in “Second topic”" in html
    assert SITE + reply.get_absolute_url() in text
    assert SITE + mention.get_absolute_url() in text
    assert email.read_unsubscribe_token(token(message)) == (member.pk, Stream.NOTIFICATIONS, "")


def test_read_in_the_app_before_the_delay_is_not_mailed(
    member, bob, general, committed, smtp_delivery, sweep
):
    by_email(member)
    topic = start_topic(member, general)
    with committed():
        forum.create_post(bob, topic, body="An answer.")
    actions.mark_read(member)
    later(61)
    sweep()
    assert smtp_delivery.received == []
    assert mailing.due_members() == []


def test_what_the_member_may_no_longer_see_is_not_mailed(
    member, bob, moderator, general, boardroom, committed, smtp_delivery, sweep
):
    by_email(member)
    topic = start_topic(member, general)
    with committed():
        forum.create_post(bob, topic, body="An answer.")
    forum.move_topic(moderator, topic, boardroom)  # alice is not on the board
    later(61)
    sweep()
    assert smtp_delivery.received == []
    note = Notification.objects.get(recipient=member)
    assert note.email_outcome == MailOutcome.HIDDEN  # looked at once, not every minute
    assert mailing.due_members() == []


def test_a_bouncing_address_is_not_mailed_nor_tried_again(
    member, bob, general, committed, smtp_delivery, sweep
):
    by_email(member)
    MailboxStatus.objects.create(
        email=member.email.lower(), failures=3, bouncing_since=timezone.now()
    )
    topic = start_topic(member, general)
    with committed():
        forum.create_post(bob, topic, body="An answer.")
    later(61)
    sweep()
    assert smtp_delivery.received == []
    assert Notification.objects.get(recipient=member).email_outcome == MailOutcome.SKIPPED
    assert mailing.due_members() == []


@pytest.mark.parametrize("channel", [Channel.IN_APP, Channel.DIGEST, Channel.OFF])
def test_other_channels_are_not_mailed(
    member, bob, general, committed, smtp_delivery, sweep, channel
):
    actions.set_preferences(member, {Kind.REPLY: channel})
    topic = start_topic(member, general)
    with committed():
        forum.create_post(bob, topic, body="An answer.")
    later(61)
    sweep()
    assert smtp_delivery.received == []
    assert mailing.due_members() == []


def test_one_broken_mail_stops_nobody_else_and_is_logged(
    member, bob, carol, dave, general, committed, smtp_delivery, sweep, monkeypatch, caplog
):
    # carol's mail fails to render (the test template includes a missing one for her only);
    # dave's address is invalid.
    monkeypatch.setattr(mailing, "TEMPLATE", "tests/email/broken_for_carol")
    type(dave).objects.filter(pk=dave.pk).update(email="bad@@example")
    by_email(member, carol, dave)
    for author in (member, carol, dave):
        topic = start_topic(author, general, title=f"A topic by {author.handle}")
        with committed():
            forum.create_post(bob, topic, body="An answer.")
    later(61)
    with caplog.at_level(logging.ERROR, logger="townsquare.notifications.mailing"):
        sweep()
    received = smtp_delivery.wait_for_mail(1)
    assert [mail.rcpt_tos for mail in received] == [[member.email]]
    errors = [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]
    assert any(f"member {carol.pk} failed" in line and "TemplateDoesNotExist" in line
               for line in errors)  # fmt: skip
    assert any(f"member {dave.pk} failed" in line and "ValidationError" in line for line in errors)
    outcomes = dict(Notification.objects.values_list("recipient__handle", "email_outcome"))
    assert outcomes == {
        "alice": MailOutcome.SENT,
        "carol": MailOutcome.FAILED,
        "dave": MailOutcome.FAILED,
    }
    later(600)
    sweep()
    assert len(smtp_delivery.received) == 1  # a broken mail is not tried every minute


def test_the_job_twice_mails_once(member, bob, general, committed, smtp_delivery, sweep):
    by_email(member)
    topic = start_topic(member, general)
    with committed():
        forum.create_post(bob, topic, body="An answer.")
    later(61)
    due = mailing.due_members()
    assert due == [member.pk]
    with committed():
        tasks.mail_notifications.delay(due)
        tasks.mail_notifications.delay(due)  # a redelivery, or two sweeps' jobs
    assert len(smtp_delivery.wait_for_mail(1)) == 1


def test_the_sweep_costs_one_query_whatever_the_number_of_members(
    guidelines, bob, general, committed, django_assert_max_num_queries
):
    def add_members(count: int, start: int) -> None:
        for number in range(start, start + count):
            user = make_member(f"reader{number}", guidelines)
            by_email(user)
            with committed():
                forum.create_post(bob, start_topic(user, general), body="An answer.")

    add_members(2, 0)
    later(61)
    queued: list[list[int]] = []
    with django_assert_max_num_queries(1):
        assert mailing.sweep(queued.append) == 2
    assert len(queued) == 1

    add_members(12, 2)
    later(61)
    queued.clear()
    with django_assert_max_num_queries(1):
        assert mailing.sweep(queued.append) == 14
    assert sorted(pk for chunk in queued for pk in chunk) == mailing.due_members()


def test_the_sweep_runs_every_minute():
    entry = project_settings.CELERY_BEAT_SCHEDULE[SCHEDULED]
    assert entry == {"task": tasks.send_notification_mail.name, "schedule": 60.0}


def test_members_are_queued_in_chunks():
    assert mailing.chunks(list(range(450))) == [
        list(range(200)),
        list(range(200, 400)),
        list(range(400, 450)),
    ]


def test_a_direct_message_is_mailed_after_the_delay_with_a_link_to_the_conversation(
    guidelines, committed, smtp_delivery, sweep
):
    alice, bob = old_member("alice", guidelines), old_member("bob", guidelines)
    by_email(bob, kind=Kind.MESSAGE)
    with committed():
        conversation = messaging.start_conversation(alice, get_community(), ["bob"], "Hi Bob")
    later(30)
    sweep()
    assert smtp_delivery.received == []  # a minute: read in the app by then, not mailed
    later(31)
    sweep()
    [received] = smtp_delivery.wait_for_mail(1)
    message, text, html = parts(received)
    assert received.rcpt_tos == [bob.email]
    assert message["Subject"].strip() == "New message from Alice"
    url = SITE + reverse("messaging:conversation", args=[conversation.pk])
    assert url in text and f'href="{url}"' in html


def test_a_long_mail_lists_the_newest_and_counts_the_rest(
    member, bob, general, committed, smtp_delivery, sweep, monkeypatch
):
    monkeypatch.setattr(mailing, "MAX_ENTRIES", 2)
    by_email(member)
    for title in ("First", "Second", "Third", "Fourth"):
        topic = start_topic(member, general, title=f"{title} topic")
        with committed():
            forum.create_post(bob, topic, body=f"An answer to the {title.lower()} one.")
    later(61)
    sweep()
    [received] = smtp_delivery.wait_for_mail(1)
    message, text, html = parts(received)
    assert message["Subject"].strip() == f"4 new notifications in {get_community().name}"
    assert "Fourth topic" in text and "Third topic" in text and "Second topic" not in text
    assert "…and 2 more." in text and "…and 2 more." in html
    assert SITE + reverse("notifications:centre") in text
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()  # all handled
