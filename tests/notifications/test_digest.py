"""The digest: what it holds (and never holds), when it is due in each member's time zone,
daily and weekly, who is not mailed, and that a batch mails each member once — through the
job queue to a real SMTP server."""

import base64
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from tests.conftest import make_member
from tests.forum.conftest import start_topic
from townsquare import settings as project_settings
from townsquare.accounts import actions as accounts
from townsquare.accounts.models import User
from townsquare.core import permissions, scheduler
from townsquare.core.models import MailboxStatus
from townsquare.core.queries import get_community
from townsquare.forum import actions as forum
from townsquare.forum.models import NotificationLevel, Tag
from townsquare.groups import actions as groups
from townsquare.groups.models import JoinPolicy
from townsquare.notifications import actions, digest, email, tasks
from townsquare.notifications.models import (
    Channel,
    DigestFrequency,
    Kind,
    MailOutcome,
    MailSettings,
    Notification,
    Stream,
)

pytestmark = pytest.mark.django_db

TEST_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SITE = "https://community.example"
SCHEDULED = "send-digests"


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEST_TEMPLATES]}
    ]
    settings.SITE_URL = SITE


@pytest.fixture
def run_digests(settings, django_capture_on_commit_callbacks):
    """Run the half-hourly job from the project's schedule as the embedded scheduler
    does, then the batches and mail deliveries it queues."""
    settings.CELERY_BEAT_SCHEDULE = {"digest": project_settings.CELERY_BEAT_SCHEDULE[SCHEDULED]}

    def run() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            assert scheduler.run_due({}, 1e9) == ["digest"]

    return run


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run one batch now, and the deliveries it queues once it commits."""

    def run(user_ids: list[int]) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return digest.send_batch(user_ids)

    return run


def due_now(*users: User, frequency: str = DigestFrequency.DAILY) -> None:
    """Each member's digest hour is the hour it is now where they live. Members with no
    mail settings yet get an hour twelve hours away, so that the default (weekly at 7)
    does not make them due when a test happens to run between 7 and 10 in their zone."""
    now = timezone.now()
    chosen = [user.pk for user in users]
    for other in User.objects.exclude(pk__in=chosen).filter(mail_settings__isnull=True):
        away = (now.astimezone(ZoneInfo(other.timezone)).hour + 12) % 24
        actions.set_mail_settings(other, digest_hour=away)
    for user in users:
        hour = now.astimezone(ZoneInfo(user.timezone)).hour
        actions.set_mail_settings(user, digest=frequency, digest_hour=hour)


def at(zone: str, *args: int) -> datetime:
    """A moment given in local time."""
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def parts(received) -> tuple:
    message = received.parsed()
    return (
        message,
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )


def section(text: str, heading: str) -> str:
    """The lines of a plain-text digest under one heading."""
    assert f"## {heading}" in text
    return text.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]


def member_in(handle: str, guidelines, zone: str = "UTC", **extra) -> User:
    user = make_member(handle, guidelines, **extra)
    User.objects.filter(pk=user.pk).update(timezone=zone)
    user.refresh_from_db()
    return user


# --- What it holds ------------------------------------------------------------------------


def test_a_digest_holds_popular_topics_questions_new_group_members_and_notifications(
    member, bob, carol, dave, general, questions, committed, smtp_delivery, run_digests
):
    accounts.update_profile(
        member, member, bio="", company="", job_title="", location="", expertise=["api"]
    )
    actions.set_preferences(member, {Kind.REPLY: Channel.DIGEST})
    due_now(member)
    writers = groups.create_group(None, name="Writers")
    groups.add_member(None, writers, member)
    own = start_topic(member, general, title="My own topic")
    popular = start_topic(bob, general, title="Release notes & plans", body="What ships next.")
    with committed():
        forum.create_post(carol, popular, body="Looking forward to it.")
        reply = forum.create_post(bob, own, body="An answer to alice.")
    question = start_topic(carol, questions, title="How do I page the API?", tags=["api"])
    start_topic(carol, questions, title="A question about billing", tags=["billing"])
    groups.add_member(None, writers, dave)

    run_digests()
    [received] = smtp_delivery.wait_for_mail(1)
    message, text, html = parts(received)
    assert received.rcpt_tos == [member.email]
    assert message["Subject"].strip() == f"Your daily digest from {get_community().name}"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = "".join(str(message["List-Unsubscribe"]).split()).strip("<>")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert email.read_unsubscribe_token(token) == (member.pk, Stream.DIGEST, "")

    popular_url = SITE + popular.get_absolute_url()
    assert "Popular topics" in text and "Release notes & plans" in text  # text: not escaped
    assert popular_url in text and f'href="{popular_url}"' in html
    assert "Release notes &amp; plans" in html
    assert "What ships next." in text  # an excerpt of the opening post
    assert "My own topic" not in section(text, "Popular topics")  # not "popular" to her
    asked = section(text, "Unanswered questions in your expertise")
    assert "How do I page the API?" in asked and SITE + question.get_absolute_url() in asked
    assert "How do I page the API?" not in section(text, "Popular topics")  # listed once
    assert "A question about billing" not in asked  # not her expertise
    assert "Dave joined Writers" in section(text, "New members in your groups")
    assert SITE + writers.get_absolute_url() in text
    assert "Bob replied in “My own topic”" in text and SITE + reply.get_absolute_url() in text
    note = Notification.objects.get(recipient=member, kind=Kind.REPLY)
    assert note.email_outcome == MailOutcome.SENT and note.emailed_at is not None
    assert MailSettings.objects.get(user=member).digest_sent_at is not None

    run_digests()
    assert len(smtp_delivery.received) == 1  # due again tomorrow, not in half an hour


def test_a_private_category_and_a_secret_group_never_leak(
    guidelines,
    member,
    bob,
    insider,
    board,
    boardroom,
    general,
    moderator,
    committed,
    smtp_delivery,
    send,
):
    secret = groups.create_group(None, name="Skunkworks", policy=JoinPolicy.SECRET)
    groups.add_member(None, secret, bob)
    accounts.update_profile(
        member, member, bio="", company="", job_title="", location="", expertise=["strategy"]
    )
    actions.set_preferences(member, {Kind.REPLY: Channel.DIGEST})
    due_now(member, insider, bob)
    start_topic(bob, general, title="A public topic")
    start_topic(insider, boardroom, title="Board question on strategy", tags=["strategy"])
    start_topic(bob, secret.category, title="Skunkworks plans")
    deleted = start_topic(bob, general, title="A deleted topic")
    forum.delete_post(moderator, deleted.posts.get(number=1))
    unlisted = start_topic(bob, general, title="An unlisted topic")
    forum.set_listed(moderator, unlisted, False)
    mine = start_topic(member, general, title="Alice asks")
    with committed():
        forum.create_post(bob, mine, body="A reply, soon private.")
    forum.move_topic(moderator, mine, boardroom)
    groups.add_member(None, secret, make_member("newbie", guidelines))

    sent = send([member.pk, insider.pk, bob.pk])
    assert sent == 3
    mails = {mail.rcpt_tos[0]: parts(mail) for mail in smtp_delivery.wait_for_mail(3)}
    _message, text, html = mails[member.email]
    for secret_text in ("Board question", "Skunkworks", "deleted topic", "unlisted topic"):
        assert secret_text not in text and secret_text not in html
    assert "A public topic" in text
    assert "Alice asks" not in text  # the notification about it is hidden now
    note = Notification.objects.get(recipient=member)
    assert note.email_outcome == MailOutcome.HIDDEN

    _message, text, _html = mails[insider.email]
    assert "Board question on strategy" not in text  # her own; popular to others
    _message, text, _html = mails[bob.email]
    assert "Skunkworks plans" not in text  # his own
    assert "Board question on strategy" not in text  # bob is not on the board


def test_the_members_of_a_secret_group_see_its_topics_and_new_members(
    member, bob, carol, guidelines, smtp_delivery, send
):
    secret = groups.create_group(None, name="Skunkworks", policy=JoinPolicy.SECRET)
    groups.add_member(None, secret, member)
    due_now(member, bob)
    groups.add_member(None, secret, carol)
    start_topic(carol, secret.category, title="Skunkworks plans")
    assert send([member.pk, bob.pk]) == 1  # bob: nothing he may see
    [received] = smtp_delivery.wait_for_mail(1)
    _message, text, _html = parts(received)
    assert received.rcpt_tos == [member.email]
    assert "Skunkworks plans" in text and "Carol joined Skunkworks" in text


def test_mutes_are_respected(member, bob, carol, general, questions, smtp_delivery, send):
    due_now(member)
    actions.mute_member(member, carol)
    forum.set_category_level(member, questions, NotificationLevel.MUTED)
    start_topic(carol, general, title="By a muted member")
    start_topic(bob, questions, title="In a muted category")
    muted = start_topic(bob, general, title="A muted topic")
    forum.set_topic_level(member, muted, NotificationLevel.MUTED)
    start_topic(bob, general, title="A tagged topic", tags=["noise"])
    forum.set_tag_level(member, Tag.objects.get(name="noise"), NotificationLevel.MUTED)
    start_topic(bob, general, title="Worth reading")
    assert send([member.pk]) == 1
    _message, text, _html = parts(smtp_delivery.wait_for_mail(1)[0])
    assert "Worth reading" in text
    for title in ("By a muted member", "In a muted category", "A muted topic", "A tagged topic"):
        assert title not in text


# --- When ---------------------------------------------------------------------------------


def test_the_digest_comes_at_each_members_local_morning(guidelines):
    shanghai = member_in("lihua", guidelines, "Asia/Shanghai")
    new_york = member_in("nora", guidelines, "America/New_York")
    for user in (shanghai, new_york):
        actions.set_mail_settings(user, digest=DigestFrequency.DAILY, digest_hour=7)

    # 07:10 in Shanghai is 18:10 the day before in New York, and the other way round.
    assert digest.due_members(at("Asia/Shanghai", 2025, 1, 16, 7, 10)) == [shanghai.pk]
    assert digest.due_members(at("America/New_York", 2025, 1, 15, 7, 10)) == [new_york.pk]
    assert digest.due_members(at("Asia/Shanghai", 2025, 1, 16, 6, 50)) == []
    # Summer time in New York (UTC-4 instead of -5): still 7 o'clock local.
    assert digest.due_members(at("America/New_York", 2025, 7, 15, 7, 5)) == [new_york.pk]
    assert digest.due_members(datetime(2025, 7, 15, 11, 5, tzinfo=UTC)) == [new_york.pk]
    # Late, up to LATENESS (the scheduler was down); later, the next morning.
    assert digest.due_members(at("America/New_York", 2025, 1, 15, 9, 55)) == [new_york.pk]
    assert digest.due_members(at("America/New_York", 2025, 1, 15, 10, 5)) == []


def test_the_sweep_and_the_batch_agree_on_who_is_due(guidelines):
    people = [
        member_in(f"zoned{n}", guidelines, zone)
        for n, zone in enumerate(
            ["UTC", "Asia/Kolkata", "Asia/Shanghai", "America/New_York", "Europe/Warsaw"]
        )
    ]
    for number, user in enumerate(people):
        actions.set_mail_settings(user, digest=DigestFrequency.DAILY, digest_hour=number * 4)
    now = datetime(2025, 3, 10, 0, 0, tzinfo=UTC)
    for step in range(48):
        moment = now + timedelta(minutes=30 * step)
        due = digest.due_members(moment)
        expected = [
            user.pk
            for user in people
            if digest.is_due(email.mail_settings(user), user.timezone, moment)
        ]
        assert due == expected
    # Over a day, each member is due for LATENESS after their hour (7 half hours? 6).
    total = sum(len(digest.due_members(now + timedelta(minutes=30 * s))) for s in range(48))
    assert total == len(people) * 6


def test_daily_and_weekly(guidelines):
    daily = member_in("daily", guidelines, "Europe/Warsaw")
    weekly = member_in("weekly", guidelines, "Europe/Warsaw")
    default = member_in("default", guidelines, "Europe/Warsaw")  # no settings: weekly at 7
    actions.set_mail_settings(daily, digest=DigestFrequency.DAILY, digest_hour=7)
    actions.set_mail_settings(weekly, digest=DigestFrequency.WEEKLY, digest_hour=7)
    monday = at("Europe/Warsaw", 2025, 3, 10, 7, 20)
    assert digest.due_members(monday) == [daily.pk, weekly.pk, default.pk]
    MailSettings.objects.update(digest_sent_at=monday)
    MailSettings.objects.create(user=default, digest_sent_at=monday)

    for days in range(1, 6):
        assert digest.due_members(monday + timedelta(days=days)) == [daily.pk]
    assert digest.due_members(monday + timedelta(days=6, minutes=-10)) == [daily.pk]
    assert digest.due_members(monday + timedelta(days=7, minutes=-10)) == [
        daily.pk,
        weekly.pk,
        default.pk,
    ]
    # A daily member who moves their hour from 7 to 9 after today's digest: not twice.
    actions.set_mail_settings(daily, digest_hour=9)
    assert daily.pk not in digest.due_members(monday + timedelta(hours=2))
    assert daily.pk in digest.due_members(monday + timedelta(days=1, hours=2))
    actions.set_mail_settings(weekly, digest=DigestFrequency.OFF)
    assert weekly.pk not in digest.due_members(monday + timedelta(days=7, minutes=-10))


# --- Who is not mailed --------------------------------------------------------------------


def test_nothing_new_sends_nothing_and_is_not_looked_at_again_today(
    member, smtp_delivery, django_capture_on_commit_callbacks
):
    due_now(member)
    assert digest.due_members() == [member.pk]
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_digest_batch.delay([member.pk])
    assert smtp_delivery.received == []
    assert MailSettings.objects.get(user=member).digest_sent_at is not None
    assert digest.due_members() == []


def test_a_member_who_visited_since_gets_nothing(member, bob, general, smtp_delivery, send):
    due_now(member)
    start_topic(bob, general, title="Seen already")
    accounts.touch_visit(member)
    assert digest.send_batch([member.pk]) == 0
    assert smtp_delivery.received == []
    # What comes after the visit is new again.
    start_topic(bob, general, title="After the visit")
    MailSettings.objects.filter(user=member).update(digest_sent_at=None)
    assert send([member.pk]) == 1
    _message, text, _html = parts(smtp_delivery.wait_for_mail(1)[0])
    assert "After the visit" in text and "Seen already" not in text


def test_unsubscribed_and_bouncing_members_get_nothing(
    member, bob, carol, general, smtp_delivery, committed
):
    due_now(member, carol)
    actions.set_preferences(carol, {Kind.REPLY: Channel.DIGEST})
    actions.unsubscribe(member, Stream.DIGEST)
    MailboxStatus.objects.create(
        email=carol.email.lower(), failures=3, bouncing_since=timezone.now()
    )
    topic = start_topic(carol, general, title="News for carol")
    with committed():
        forum.create_post(bob, topic, body="A reply for carol's digest.")
    assert digest.due_members() == [carol.pk]  # alice unsubscribed
    assert digest.send_batch([member.pk, carol.pk]) == 0
    assert smtp_delivery.received == []
    assert Notification.objects.get(recipient=carol).email_outcome == MailOutcome.SKIPPED
    assert digest.due_members() == []


def test_a_redelivered_batch_mails_once(member, bob, general, committed, smtp_delivery):
    due_now(member)
    start_topic(bob, general, title="Something new")
    with committed():
        tasks.send_digest_batch.delay([member.pk])
        tasks.send_digest_batch.delay([member.pk])  # redelivered, or two sweeps' jobs
    assert len(smtp_delivery.wait_for_mail(1)) == 1
    with committed():
        tasks.send_digest_batch.delay([member.pk])
    assert len(smtp_delivery.wait_for_mail(2, timeout=0.5)) == 1


def test_one_broken_digest_stops_nobody_else(
    member, bob, carol, dave, general, smtp_delivery, monkeypatch, caplog, committed
):
    monkeypatch.setattr(digest, "TEMPLATE", "tests/email/broken_digest")
    type(dave).objects.filter(pk=dave.pk).update(email="bad@@example")
    due_now(member, carol, dave)
    start_topic(bob, general, title="Something new")
    with caplog.at_level(logging.ERROR, logger="townsquare.notifications.digest"), committed():
        tasks.send_digest_batch.delay([member.pk, carol.pk, dave.pk])
    received = smtp_delivery.wait_for_mail(1)
    assert [mail.rcpt_tos for mail in received] == [[member.email]]
    errors = [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]
    assert any(f"member {carol.pk} failed" in line and "TemplateDoesNotExist" in line
               for line in errors)  # fmt: skip
    assert any(f"member {dave.pk} failed" in line and "ValidationError" in line for line in errors)
    assert MailSettings.objects.filter(digest_sent_at__isnull=False).count() == 3
    assert digest.due_members() == []  # not tried every half hour


# --- Cost, language, schedule -------------------------------------------------------------


def test_a_batch_costs_a_fixed_number_of_queries(
    guidelines, bob, general, questions, committed, django_assert_max_num_queries
):
    group = groups.create_group(None, name="Readers")

    def add_members(count: int, start: int) -> list[int]:
        ids = []
        for number in range(start, start + count):
            user = make_member(f"reader{number}", guidelines)
            actions.set_preferences(user, {Kind.REPLY: Channel.DIGEST})
            accounts.update_profile(
                user, user, bio="", company="", job_title="", location="", expertise=["api"]
            )
            groups.add_member(None, group, user)
            due_now(user)
            with committed():
                forum.create_post(bob, start_topic(user, general), body="An answer.")
            ids.append(user.pk)
        start_topic(bob, questions, title=f"Question {start}", tags=["api"])
        return ids

    small = add_members(2, 0)
    with django_assert_max_num_queries(30) as small_queries:
        assert digest.send_batch(small) == 2
    large = add_members(12, 2)
    with django_assert_max_num_queries(len(small_queries.captured_queries)):
        assert digest.send_batch(large) == 12


def test_prime_forum_access_agrees_with_the_policy(
    member, bob, insider, moderator, board, boardroom, general, lounge
):
    secret = groups.create_group(None, name="Skunkworks", policy=JoinPolicy.SECRET)
    groups.add_member(None, secret, bob)
    community = get_community()
    users = list(User.objects.all())
    permissions.prime_forum_access(users, community)
    for user in users:
        primed = user._forum_access[1]
        fresh = User.objects.get(pk=user.pk)
        assert primed == permissions.forum_access(fresh, community), user.handle


def test_the_digest_is_written_in_the_members_language(
    member, bob, general, smtp_delivery, monkeypatch, send
):
    member.language = "pl"
    member.save()
    due_now(member)
    start_topic(bob, general, title="Eksport raportów")
    seen = []
    real_override = translation.override

    def override(language, *args, **kwargs):
        seen.append(language)
        return real_override(language, *args, **kwargs)

    monkeypatch.setattr(translation, "override", override)
    assert send([member.pk]) == 1
    monkeypatch.undo()
    assert "pl" in seen
    _message, text, _html = parts(smtp_delivery.wait_for_mail(1)[0])
    assert "Cześć Alice," in text  # the greeting has its Polish translation already


def test_the_sweep_runs_every_half_hour():
    entry = project_settings.CELERY_BEAT_SCHEDULE[SCHEDULED]
    assert entry == {"task": tasks.send_digests.name, "schedule": 1800.0}


def test_a_batch_mails_over_one_connection_and_a_refused_address_stops_nobody(
    member, bob, carol, dave, general, smtp_delivery, send
):
    smtp_delivery.collector.refused.add(carol.email.lower())
    due_now(member, carol, dave)
    start_topic(bob, general, title="Something new")
    assert send([member.pk, carol.pk, dave.pk]) == 3
    received = smtp_delivery.wait_for_mail(2)
    assert sorted(mail.rcpt_tos[0] for mail in received) == sorted([dave.email, member.email])
    assert MailboxStatus.objects.get(email=carol.email.lower()).failures == 1


def test_the_delivery_of_a_batch_sends_each_mail_once(member, bob, smtp_delivery):
    from townsquare.core.tasks import deliver_emails

    wires = [
        [
            base64.b64encode(
                email.compose(user, "tests/email/plain", {}, stream=None).message().as_bytes()
            ).decode("ascii"),
            "noreply@localhost",
            [user.email],
        ]
        for user in (member, bob)
    ]
    assert deliver_emails.apply(args=[wires], task_id="digest-delivery").get() == 2
    assert deliver_emails.apply(args=[wires], task_id="digest-delivery").get() == 0  # again
    assert len(smtp_delivery.wait_for_mail(3, timeout=0.5)) == 2


def test_twin_batches_racing_mail_once(member, bob, general, smtp_delivery, send, monkeypatch):
    """Two jobs for the same members both build the digest; the one that takes the lock
    second finds the member handled and throws its mail away."""
    due_now(member)
    start_topic(bob, general, title="Something new")
    real = digest._record

    def racing(*args):
        monkeypatch.setattr(digest, "_record", real)
        assert digest.send_batch([member.pk]) == 1  # the twin gets there first
        return real(*args)

    monkeypatch.setattr(digest, "_record", racing)
    assert send([member.pk]) == 0
    assert len(smtp_delivery.wait_for_mail(2, timeout=0.5)) == 1
