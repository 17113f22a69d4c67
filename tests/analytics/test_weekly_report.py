"""The weekly report mail: last week's headline figures against the week before and what
changed most, worked out by hand from a small history, received by a real SMTP server."""

from datetime import UTC, date, datetime

import pytest
from django.conf import settings
from django.test import Client

from tests.analytics.conftest import event, person, view
from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.analytics import rollups, weekly_report
from townsquare.analytics.periods import Period
from townsquare.analytics.tasks import send_weekly_report
from townsquare.notifications import actions as notification_actions
from townsquare.notifications.email import unsubscribe_url
from townsquare.notifications.models import MailSettings, Stream

pytestmark = pytest.mark.django_db

# Monday 30 March 2026: last week is Mon 23 – Sun 29 March, the week before 16 – 22 March.
MONDAY = datetime(2026, 3, 30, 6, 30, tzinfo=UTC)


@pytest.fixture
def history():
    """The week before: 20 page views (20 visitors), member A starts 12 topics on one day,
    2 people sign up (no actor: they are not active). Last week: 50 page views (50
    visitors), member B starts 6 topics on one day, 1 sign-up."""
    a, b = person("alpha"), person("beta")
    for n in range(20):
        view(date(2026, 3, 16), f"before-{n}")
    for _ in range(12):
        event(a, "topic.created", date(2026, 3, 18))
    for _ in range(2):
        event(None, "member.signed_up", date(2026, 3, 19))
    for n in range(50):
        view(date(2026, 3, 24), f"after-{n}")
    for _ in range(6):
        event(b, "topic.created", date(2026, 3, 25))
    event(None, "member.signed_up", date(2026, 3, 26))
    rollups.rebuild()


def test_last_week_is_monday_to_sunday():
    assert weekly_report.last_week(MONDAY) == Period(date(2026, 3, 23), date(2026, 3, 29))


def test_report_figures_and_what_changed_most(history):
    report = weekly_report.build(weekly_report.last_week(MONDAY))
    figures = {row.key: (row.current, row.previous, row.change) for row in report.headlines}
    # Counts: this week against the week before, change in per cent of the week before.
    assert figures["pageviews"] == (50, 20, 150.0)  # (50 - 20) / 20
    assert figures["visitors"] == (50, 20, 150.0)
    assert figures["posts"] == (6, 12, -50.0)
    assert figures["new_members"] == (1, 2, -50.0)
    # DAU: one member active on one day of seven, both weeks: 1/7 = 0.14.
    assert figures["dau"] == (0.14, 0.14, 0.0)
    # MAU on the last day: 30 days to 29 March hold A and B; to 22 March only A.
    assert figures["mau"] == (2, 1, 100.0)
    # DAU/MAU: last week 1 of 2 on one day (50 %) over 7 days = 7.14; the week before 1 of
    # 1 (100 %) / 7 = 14.29; change (7.14 - 14.29) / 14.29 = -50.0 %.
    assert figures["dau_mau"] == (7.14, 14.29, -50.0)
    assert figures["engagement_rate"] == (100.0, 100.0, 0.0)

    # Up: page views and visitors (+150 %, bases 20), and direct page views, the source of
    # all of them. Down: regular contributors (A made 12 contributions, B 6: 100 % → 0 %),
    # DAU/MAU and posts (-50 %). MAU (+100 % from 1) and new members (-50 % from 2) sit on
    # bases too small to count; posts per active member repeats posts.
    risen = [(row.label, row.change) for row in report.risen]
    fallen = [(row.label, row.change) for row in report.fallen]
    assert risen == [
        ("Page views", 150.0),
        ("Unique visitors", 150.0),
        ("Page views: Direct", 150.0),
    ]
    assert fallen == [("Regular contributors", -100.0), ("DAU/MAU", -50.0), ("Posts", -50.0)]


def _text(mail) -> str:
    return mail.parsed().get_body(preferencelist=("plain",)).get_content()


def _html(mail) -> str:
    return mail.parsed().get_body(preferencelist=("html",)).get_content()


def test_weekly_mail_to_managers_in_their_language_once(
    history, guidelines, smtp_delivery, django_capture_on_commit_callbacks
):
    manager = make_member("maja", guidelines, role=Role.MANAGER)
    admin = make_member("ada", guidelines, role=Role.ADMIN, language="pl", display_name="Ada")
    make_member("moderator", guidelines, role=Role.MODERATOR)
    make_member("meimei", guidelines)
    quiet = make_member("quiet", guidelines, role=Role.MANAGER)
    notification_actions.set_mail_settings(quiet, analytics_report=False)

    with django_capture_on_commit_callbacks(execute=True):  # mail leaves on commit
        assert send_weekly_report.delay(MONDAY.isoformat()).get() == 2
    received = smtp_delivery.wait_for_mail(2)
    assert len(received) == 2
    by_address = {mail.rcpt_tos[0]: mail for mail in received}
    assert set(by_address) == {manager.email, admin.email}

    mail = by_address[manager.email]
    assert "the week in figures" in mail.parsed()["Subject"]
    text = _text(mail)
    assert "Page views: 50 (week before: 20; +150.0 %)" in text
    assert "Unique visitors: 50 (week before: 20; +150.0 %)" in text
    assert "Posts: 6 (week before: 12; -50.0 %)" in text
    assert "New members: 1 (week before: 2; -50.0 %)" in text
    assert "DAU/MAU: 7.14 % (week before: 14.29 %; -50.0 %)" in text
    assert "Up: Page views +150.0 % (20 → 50)" in text
    assert "Down: Regular contributors -100.0 % (100 % → 0 %)" in text
    assert "Up: Monthly active members" not in text  # a base of 1 is too small
    dashboard = f"{settings.SITE_URL}/manage/analytics/?from=2026-03-23&to=2026-03-29"
    assert dashboard in text
    html = _html(mail)
    assert dashboard.replace("&", "&amp;") in html and "<table" in html
    assert mail.parsed()["List-Unsubscribe"]

    # The administrator reads Polish (the greeting is translated already; the report's
    # own strings are compiled when the catalogs are merged).
    assert _text(by_address[admin.email]).startswith("Cześć Ada,")

    # A second run the same week sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert send_weekly_report.delay(MONDAY.isoformat()).get() == 0
    assert len(smtp_delivery.wait_for_mail(3, timeout=0.5)) == 2


def test_unsubscribe_link_stops_the_report(guidelines):
    manager = make_member("maja", guidelines, role=Role.MANAGER)
    link = unsubscribe_url(manager, Stream.ANALYTICS_REPORT)
    response = Client().post(link.removeprefix(settings.SITE_URL))
    assert response.status_code in (200, 302)
    assert not MailSettings.objects.get(user=manager).analytics_report
    assert weekly_report.recipients() == [manager]
    assert weekly_report.send(MONDAY) == 0


def test_settings_page_offers_the_report_to_managers_only(guidelines):
    manager, member = (
        make_member("maja", guidelines, role=Role.MANAGER),
        make_member("meimei", guidelines),
    )
    client = Client()
    client.force_login(manager)
    assert 'name="analytics_report"' in client.get("/settings/notifications/").content.decode()
    client.post(
        "/settings/notifications/mail/",
        {"digest": "weekly", "digest_hour": "7"},  # the box left unticked
    )
    assert not MailSettings.objects.get(user=manager).analytics_report
    client.force_login(member)
    assert 'name="analytics_report"' not in client.get("/settings/notifications/").content.decode()


def test_beat_runs_the_report_on_monday_mornings():
    entry = settings.CELERY_BEAT_SCHEDULE["analytics-weekly-report"]
    assert entry["task"] == "townsquare.analytics.tasks.send_weekly_report"
    assert entry["schedule"].day_of_week == {1}
