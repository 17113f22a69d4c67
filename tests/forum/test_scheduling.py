"""Scheduled discussion prompts: the content calendar."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.forum.conftest import client_for
from townsquare.forum import actions
from townsquare.forum.actions.scheduling import next_occurrence
from townsquare.forum.models import Recurrence, ScheduledTopic, Topic

WARSAW = ZoneInfo("Europe/Warsaw")


def schedule(manager, category, **extra):
    fields = {
        "category": category, "title": "What are you working on this week?",
        "body": "Share one thing you shipped.", "tags": ["weekly"],
        "host_name": "Jan Kowalski, CTO", "publish_at": timezone.now() + timedelta(hours=1),
        "recurrence": Recurrence.WEEKLY, "timezone": "Europe/Warsaw",
    } | extra  # fmt: skip
    return actions.schedule_topic(manager, **fields)


@pytest.mark.django_db
def test_only_managers_schedule(member, general):
    with pytest.raises(PermissionDenied):
        schedule(member, general)
    assert client_for(member).get("/manage/scheduled/").status_code == 403


@pytest.mark.django_db
def test_a_due_prompt_is_published_once_with_its_host(manager, member, general):
    scheduled = schedule(manager, general)
    assert actions.publish_due_topics() == 0
    later = scheduled.next_publish_at + timedelta(minutes=1)
    assert actions.publish_due_topics(now=later) == 1
    assert actions.publish_due_topics(now=later) == 0
    topic = Topic.objects.get()
    assert topic.host_name == "Jan Kowalski, CTO" and topic.author == manager
    scheduled.refresh_from_db()
    assert scheduled.published_count == 1 and scheduled.last_topic == topic
    assert scheduled.next_publish_at == scheduled.first_publish_at + timedelta(weeks=1)
    page = client_for(member).get(topic.get_absolute_url()).content.decode()
    assert "Jan Kowalski, CTO" in page


@pytest.mark.django_db
def test_weekly_keeps_the_local_hour_across_daylight_saving(manager, general):
    # Friday 16:00 in Warsaw, a week before the clocks go back on 25 October 2026.
    first = datetime(2026, 10, 23, 16, 0, tzinfo=WARSAW)
    scheduled = ScheduledTopic(
        recurrence=Recurrence.WEEKLY, timezone="Europe/Warsaw", first_publish_at=first
    )
    following = next_occurrence(scheduled, first)
    assert following.astimezone(WARSAW).hour == 16
    assert following - first == timedelta(weeks=1, hours=1)


@pytest.mark.django_db
def test_monthly_on_the_31st_falls_on_the_last_day(manager, general):
    first = datetime(2027, 1, 31, 9, 0, tzinfo=UTC)
    scheduled = ScheduledTopic(
        recurrence=Recurrence.MONTHLY, timezone="UTC", first_publish_at=first
    )
    assert next_occurrence(scheduled, first) == datetime(2027, 2, 28, 9, 0, tzinfo=UTC)
    once = ScheduledTopic(recurrence=Recurrence.ONCE, timezone="UTC", first_publish_at=first)
    assert next_occurrence(once, first) is None


@pytest.mark.django_db
def test_a_missed_week_is_published_once(manager, general):
    scheduled = schedule(manager, general)
    three_weeks_late = scheduled.next_publish_at + timedelta(weeks=3, minutes=1)
    assert actions.publish_due_topics(now=three_weeks_late) == 1
    scheduled.refresh_from_db()
    assert scheduled.next_publish_at > three_weeks_late


@pytest.mark.django_db
def test_bad_schedules_are_refused(manager, general):
    with pytest.raises(ValidationError, match="future"):
        schedule(manager, general, publish_at=timezone.now() - timedelta(minutes=5))
    with pytest.raises(ValidationError, match="poll"):
        schedule(manager, general, body="[poll]\n* only one\n[/poll]")


@pytest.mark.django_db
def test_the_calendar_page_shows_what_is_coming(manager, general):
    schedule(manager, general)
    client = client_for(manager)
    page = client.get("/manage/scheduled/").content.decode()
    assert "What are you working on this week?" in page and "Jan Kowalski, CTO" in page
    response = client.post(
        "/manage/scheduled/new/",
        {"category": general.pk, "title": "Monthly AMA prompt", "body": "Ask us anything.",
         "tags": "", "host_name": "", "publish_at": "2030-05-01T10:00",
         "timezone": "Europe/Warsaw", "recurrence": "monthly"},
    )  # fmt: skip
    assert response.status_code == 302
    created = ScheduledTopic.objects.get(title="Monthly AMA prompt")
    assert created.first_publish_at == datetime(2030, 5, 1, 8, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_the_embedded_scheduler_publishes_without_a_broker(manager, general):
    """On a laptop there is no celery beat: the web process ticks the same schedule."""
    from townsquare.core import scheduler

    scheduled = schedule(manager, general)
    ScheduledTopic.objects.filter(pk=scheduled.pk).update(
        next_publish_at=timezone.now() - timedelta(minutes=1)
    )
    last_run: dict[str, float] = {}
    ran = scheduler.run_due(last_run, now=1000.0)
    # The minute's jobs (publishing, notification mail) run; the daily ones wait.
    assert "publish-scheduled-topics" in ran and "analyze-database" not in ran
    assert Topic.objects.filter(title=scheduled.title).count() == 1
    # Within the interval nothing runs again.
    assert scheduler.run_due(last_run, now=1030.0) == []


@pytest.mark.django_db(transaction=True)
def test_the_embedded_scheduler_runs_a_weekly_job_at_its_time_not_at_start():
    """The Monday report is a crontab: not sent because a laptop's server started, but
    once a Monday 06:30 UTC has passed since the job last ran."""
    from townsquare.core import scheduler

    last_run: dict = {}
    assert "analytics-weekly-report" not in scheduler.run_due(last_run, now=1e9)
    assert last_run["analytics-weekly-report"] <= timezone.now()
    last_run["analytics-weekly-report"] = timezone.now() - timedelta(days=8)
    assert "analytics-weekly-report" in scheduler.run_due(last_run, now=1e9 + 1)
    assert "analytics-weekly-report" not in scheduler.run_due(last_run, now=1e9 + 2)
