"""The welcome series: due steps go once, goals skip them, unsubscribing stops them, and
placeholders are filled safely — through the hourly job, with ``now`` given."""

import logging
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse

from tests.conftest import make_member
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import Role, User
from townsquare.core import actions as core_actions
from townsquare.forum import actions as forum
from townsquare.onboarding import actions, demo, tasks
from townsquare.onboarding.models import DeliveryStatus, Goal, OnboardingDelivery, OnboardingStep
from townsquare.onboarding.placeholders import check
from townsquare.onboarding.queries import due_member_ids

pytestmark = pytest.mark.django_db


def run(at: datetime) -> int:
    return tasks.send_due_steps(now=at.isoformat())


def status_of(user: User, step: OnboardingStep) -> tuple[str, str] | None:
    row = OnboardingDelivery.objects.filter(user=user, step=step).first()
    return (row.status, row.reason) if row else None


@pytest.fixture
def series(db) -> list[OnboardingStep]:
    return [
        actions.create_step(None, day_offset=0, subject="Welcome, {first_name}", body="Hi!"),
        actions.create_step(
            None,
            day_offset=1,
            subject="Your profile",
            body="Tell us about you, {first_name}.",
            goal=Goal.PROFILE_COMPLETE,
        ),
        actions.create_step(
            None, day_offset=3, subject="Say hello", body="Post!", goal=Goal.HAS_POSTED
        ),
    ]


def test_step_one_on_day_zero_then_step_two_on_day_one(series, member):
    joined = member.date_joined
    run(joined + timedelta(minutes=5))
    assert [m.subject for m in mail.outbox] == ["Welcome, Alice"]
    run(joined + timedelta(hours=5))  # nothing new is due
    assert len(mail.outbox) == 1
    run(joined + timedelta(days=1, minutes=5))
    assert [m.subject for m in mail.outbox] == ["Welcome, Alice", "Your profile"]
    assert mail.outbox[1].body.startswith("Tell us about you, Alice.")
    assert status_of(member, series[0]) == (DeliveryStatus.SENT, "")


def test_each_step_at_most_once_when_the_job_runs_twice(series, member, guidelines):
    bob = make_member("bob", guidelines)
    at = member.date_joined + timedelta(minutes=5)
    assert run(at) == 2
    assert run(at) == 0  # decided: nobody is due any more
    actions.send_steps([member.pk, bob.pk], at)  # a redelivered chunk changes nothing
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]
    assert OnboardingDelivery.objects.count() == 2


def test_a_met_goal_skips_the_step_and_is_recorded(series, member, guidelines):
    account_actions.update_profile(
        member, member, bio="I build dashboards.", company="", job_title="", location="",
        expertise=["sql"],
    )  # fmt: skip
    general = forum.create_category(None, name="General")
    forum.create_topic(member, general, title="Hello all", body="I am Alice, hello!")
    joined = member.date_joined
    for day in (0, 1, 3):
        run(joined + timedelta(days=day, minutes=5))
    assert [m.subject for m in mail.outbox] == ["Welcome, Alice"]
    assert status_of(member, series[1]) == (DeliveryStatus.SKIPPED, "goal met")
    assert status_of(member, series[2]) == (DeliveryStatus.SKIPPED, "goal met")


def test_one_click_unsubscribe_from_the_mail_stops_the_rest(
    series, member, client, smtp_delivery, django_capture_on_commit_callbacks
):
    joined = member.date_joined
    with django_capture_on_commit_callbacks(execute=True):
        run(joined + timedelta(minutes=5))
    received = smtp_delivery.wait_for_mail(1)
    assert len(received) == 1
    message = received[0].parsed()
    assert message["Subject"] == "Welcome, Alice"
    assert message.get_content_type() == "multipart/alternative"
    assert {part.get_content_type() for part in message.iter_parts()} == {
        "text/plain",
        "text/html",
    }
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip("<>")
    path = link.split("://", 1)[1].split("/", 1)[1]
    client.handler.enforce_csrf_checks = True  # a mail program posts without a session
    assert client.post(f"/{path}", {"List-Unsubscribe": "One-Click"}).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        run(joined + timedelta(days=1, minutes=5))
        run(joined + timedelta(days=3, minutes=5))
    assert len(smtp_delivery.wait_for_mail(2, timeout=0.5)) == 1
    assert status_of(member, series[1]) == (DeliveryStatus.SKIPPED, "unsubscribed")
    assert status_of(member, series[2]) == (DeliveryStatus.SKIPPED, "unsubscribed")


def test_placeholders_are_filled_and_a_display_name_cannot_inject(guidelines, settings):
    settings.SITE_URL = "https://community.example"
    core_actions.update_community(None, name="Dev & <Ops>")
    name = "<script>alert(1)</script>[x](http://evil.example) Smith"
    mallory = make_member("mallory", guidelines, display_name=name)
    actions.create_step(
        None,
        day_offset=0,
        subject="Hello {first_name}",
        body="Hi **{first_name}**, welcome to {community}. See [groups](/groups/) and "
        "{site_url}/search/ — {{literal}}",
    )
    run(mallory.date_joined + timedelta(minutes=1))
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert "<script>" not in html and 'evil.example"' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;[x](http://evil.example)" in html
    assert 'href="https://community.example/groups/"' in html
    assert 'href="https://community.example/search/"' in html
    assert "{literal}" in html
    assert message.subject == "Hello <script>alert(1)</script>[x](http://evil.example)"
    assert "](https://community.example/groups/)" in message.body
    assert "welcome to Dev &amp; &lt;Ops&gt;." in html
    assert "welcome to Dev & <Ops>." in message.body


def test_a_broken_step_fails_alone_with_a_logged_reason(series, member, guidelines, caplog):
    bob = make_member("bob", guidelines)
    broken = OnboardingStep.objects.create(
        day_offset=0, position=0, subject="Hi {first_name}", body="Hello {unknown} and {oops"
    )
    with caplog.at_level(logging.ERROR, logger="townsquare.onboarding.actions"):
        run(member.date_joined + timedelta(minutes=5))
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("alice@example.com", "Welcome, Alice"),
        ("bob@example.com", "Welcome, Bob"),
    ]
    for user in (member, bob):
        status, reason = status_of(user, broken)
        assert status == DeliveryStatus.FAILED and "PlaceholderError" in reason
    assert sum("could not be sent" in r.getMessage() for r in caplog.records) == 2


def test_members_who_joined_before_the_series_get_no_old_steps(series, member, guidelines):
    User.objects.filter(pk=member.pk).update(date_joined=member.date_joined - timedelta(days=30))
    late = actions.create_step(None, day_offset=30, subject="A month in", body="Thanks!")
    run(member.date_joined + timedelta(minutes=1))
    assert [m.subject for m in mail.outbox] == ["A month in"]
    assert status_of(member, series[0]) is None  # too late: not sent, not recorded
    assert status_of(member, late) == (DeliveryStatus.SENT, "")


def test_accounts_that_are_not_members_yet_wait(series, db):
    pending = make_member("pending", None)  # has not accepted the guidelines
    assert due_member_ids(pending.date_joined + timedelta(minutes=1)) == []


def test_finding_due_members_costs_one_query_per_step(
    series, guidelines, django_assert_num_queries
):
    members = [make_member(f"member{i}", guidelines) for i in range(12)]
    at = members[-1].date_joined + timedelta(minutes=1)
    with django_assert_num_queries(1 + len(series)):
        assert due_member_ids(at) == sorted(m.pk for m in members)


def test_malformed_placeholders_are_found():
    assert check("Hi {first_name}, {{braces}}") == []
    assert check("Hi {oops")
    assert check("Hi {unknown}")
    assert check("Hi {first_name.__class__}")
    assert check("Hi {first_name!r}")
    assert check("Hi {0}")


def test_the_demo_has_a_five_step_series(member):
    general = forum.create_category(None, name="Newcomers' Corner", slug="newcomers")
    assert demo.load() == {"steps": 5}
    assert demo.load() == {}  # loaded once
    steps = list(OnboardingStep.objects.order_by("day_offset"))
    assert [s.day_offset for s in steps] == [0, 1, 3, 7, 14]
    assert [s.goal for s in steps] == [
        Goal.NONE,
        Goal.PROFILE_COMPLETE,
        Goal.HAS_POSTED,
        Goal.JOINED_GROUP,
        Goal.HAS_REPLIED,
    ]
    assert general.get_absolute_url() in steps[2].body
    for step in steps:
        assert check(step.subject) == [] and check(step.body) == []
    joined = member.date_joined
    for day in (0, 1, 3, 7, 14):
        run(joined + timedelta(days=day, minutes=5))
    assert len(mail.outbox) == 5
    assert reverse("forum:category", args=["newcomers"]) in mail.outbox[2].alternatives[0][0]


def test_goals_joined_group_and_has_replied(guidelines):
    from townsquare.groups import actions as groups
    from townsquare.groups.models import GroupKind
    from townsquare.onboarding import goals

    boss = make_member("boss", guidelines, role=Role.MANAGER)
    welcome = groups.create_group(boss, name="Welcome", kind=GroupKind.NEWCOMERS)
    core_actions.update_community(None, newcomers_group=welcome)
    alice, bob = make_member("alice", guidelines), make_member("bob", guidelines)
    ids = [alice.pk, bob.pk]
    assert goals.met(Goal.JOINED_GROUP, ids) == set()  # the newcomers group does not count
    hikers = groups.create_group(boss, name="Hikers")
    groups.join_group(bob, hikers)
    assert goals.met(Goal.JOINED_GROUP, ids) == {bob.pk}

    general = forum.create_category(None, name="General")
    topic = forum.create_topic(alice, general, title="Hello all", body="I am Alice, hello!")
    assert goals.met(Goal.HAS_POSTED, ids) == {alice.pk}
    assert goals.met(Goal.HAS_REPLIED, ids) == set()
    forum.create_post(bob, topic, body="Welcome, Alice!")
    assert goals.met(Goal.HAS_REPLIED, ids) == {bob.pk}
    assert goals.met(Goal.NONE, ids) == set()
