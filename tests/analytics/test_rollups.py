"""Rollups: idempotent, late events land in their own day, rebuild = incremental."""

from datetime import UTC, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.analytics.conftest import at, event, person, view
from townsquare.analytics import rollups
from townsquare.analytics.models import (
    DailyActiveMember,
    DailyMetric,
    DailyTopic,
    DailyTopicParticipant,
    MemberTenure,
    MonthlyActiveMember,
    MonthlyMemberCredit,
    RetentionCohort,
    RollupState,
)
from townsquare.core.models import ActivityEvent

pytestmark = pytest.mark.django_db


def snapshot() -> tuple[list, ...]:
    return (
        sorted(DailyMetric.objects.values_list("day", "metric", "dimension", "value")),
        sorted(DailyActiveMember.objects.values_list("day", "member_id", "contributions")),
        sorted(
            MonthlyActiveMember.objects.values_list(
                "month",
                "member_id",
                "contributions",
                "active_days",
                "last_day",
                "contributing_days",
                "last_contribution",
            ),
            key=str,
        ),
        sorted(
            MonthlyMemberCredit.objects.values_list(
                "month", "member_id", "accepted_answers", "helpful_reactions"
            )
        ),
        sorted(
            MemberTenure.objects.values_list(
                "member_id", "joined_day", "joined_month", "last_active_day", "left_day"
            ),
            key=str,
        ),
        sorted(RetentionCohort.objects.values_list("joined_month", "months_after", "members")),
        sorted(
            DailyTopic.objects.values_list("day", "topic_id", "category_id", "replies", "views"),
            key=str,
        ),
        sorted(DailyTopicParticipant.objects.values_list("day", "topic_id", "member_id")),
    )


def value(day, metric, dimension="") -> int | None:
    row = DailyMetric.objects.filter(day=day, metric=metric, dimension=dimension).first()
    return row.value if row else None


def history(day):
    ann, ben = person("ann"), person("ben")
    event(ann, "member.signed_up", day - timedelta(days=40))
    event(ben, "member.signed_up", day - timedelta(days=2))
    event(ann, "topic.created", day, category=1)
    event(ben, "post.created", day, hour=23, category=1, topic=7)
    event(ben, "post.reacted", day, category=2)
    event(ann, "member.visited", day - timedelta(days=1))
    event(None, "answer.accepted", day, author=ben.pk)
    view(day, "k1", source="search", referrer="www.google.com")
    view(day, "k1", source="search", referrer="www.google.com", hour=0)
    view(day, "k2", user=ann)
    return ann, ben


def test_a_day_is_counted_by_metric_and_dimension(day):
    ann, ben = history(day)
    rollups.rollup([day - timedelta(days=1), day])
    # Worked out by hand from history(): 3 views by 2 keys, 2 of them from search.
    assert value(day, "pageviews") == 3
    assert value(day, "visitors") == 2
    assert value(day, "pageviews", "source:search") == 2
    assert value(day, "visitors", "source:search") == 1
    assert value(day, "pageviews", "referrer:www.google.com") == 2
    assert (value(day, "topics"), value(day, "replies"), value(day, "reactions")) == (1, 1, 1)
    assert value(day, "replies", "category:1") == 1
    assert value(day, "reactions", "category:2") == 1
    # ann started a topic, ben replied and reacted: both active, both contributed.
    assert dict(DailyActiveMember.objects.filter(day=day).values_list("member_id", "contributions")) == {  # noqa: E501
        ann.pk: 1,
        ben.pk: 2,
    }  # fmt: skip
    assert value(day, "dau") == 2 and value(day, "contributors") == 2
    # The day before only ann visited; by the day both were seen in the week and month.
    assert value(day - timedelta(days=1), "dau") == 1
    assert (value(day, "wau"), value(day, "mau")) == (2, 2)
    # Eight days on, the week has forgotten them; the month has not.
    later = day + timedelta(days=8)
    assert (value(later, "wau"), value(later, "mau")) == (None, 2)


def test_a_day_is_cut_at_midnight_utc(day):
    ann = person()
    event(ann, "post.created", day, hour=23)
    event(ann, "post.created", day + timedelta(days=1), hour=0)
    rollups.rollup([day, day + timedelta(days=1)])
    assert value(day, "replies") == 1
    assert value(day + timedelta(days=1), "replies") == 1


def test_running_twice_changes_nothing(day):
    history(day)
    rollups.rollup([day - timedelta(days=1), day])
    first = snapshot()
    rollups.rollup([day - timedelta(days=1), day])
    assert snapshot() == first
    assert len(first[0]) > 10


def test_a_late_event_is_counted_in_its_own_day(day):
    ann, _ben = history(day)
    rollups.rollup_recent()
    assert value(day, "replies") == 1
    state = RollupState.objects.get()
    # An import written today about a reply made on ``day``.
    late = event(ann, "post.created", day, hour=5, category=1)
    assert late.pk > state.last_event_id
    rollups.rollup_recent()
    assert value(day, "replies") == 2
    assert value(day, "replies", "category:1") == 2
    assert RollupState.objects.get().last_event_id == late.pk
    # Nothing is counted twice by a further run.
    rollups.rollup_recent()
    assert value(day, "replies") == 2


def test_rebuild_gives_the_incremental_result(day):
    history(day)
    rollups.rollup_recent()
    event(person(), "post.reacted", day - timedelta(days=3), category=2)
    rollups.rollup_recent()
    ActivityEvent.objects.create(
        actor=None, verb="member.deleted", target_id=str(person().pk), created_at=at(day)
    )
    rollups.rollup_recent()
    incremental = snapshot()
    assert all(incremental)  # every table has rows
    rollups.rollup_recent()
    assert snapshot() == incremental
    DailyMetric.objects.create(day=day - timedelta(days=400), metric="pageviews", value=9)
    MonthlyActiveMember.objects.create(
        month=day.replace(day=1) - timedelta(days=400), member_id=1, last_day=day
    )
    MonthlyMemberCredit.objects.create(month=day.replace(day=1) - timedelta(days=400), member_id=1)
    call_command("rollup", "--rebuild")
    assert snapshot() == incremental


def test_the_command_rolls_up_recent_days(capsys):
    today = timezone.now().astimezone(UTC).date()
    event(person(), "post.created", today - timedelta(days=2))
    call_command("rollup", "--days", "2")
    assert value(today - timedelta(days=2), "replies") is None
    call_command("rollup", "--days", "3")
    assert value(today - timedelta(days=2), "replies") == 1
    assert "Rolled up 3 days." in capsys.readouterr().out


def test_the_hourly_job_runs_the_incremental_rollup():
    from django.conf import settings as project_settings

    from townsquare.analytics.tasks import rollup_recent

    today = timezone.now().astimezone(UTC).date()
    event(person(), "post.created", today)
    assert rollup_recent.apply().get() == 2  # the first run: today and yesterday
    assert value(today, "replies") == 1
    schedule = project_settings.CELERY_BEAT_SCHEDULE["rollup-analytics"]
    assert (schedule["task"], schedule["schedule"]) == (rollup_recent.name, 3600.0)


def test_distinct_members_are_cached_until_the_rollup_rewrites_the_member_rows():
    """A period's distinct members are read from the cache (no query) until a rollup
    rewrites the member rows; the next read counts the new rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from townsquare.analytics import metrics
    from townsquare.analytics.periods import Period

    today = timezone.now().astimezone(UTC).date()
    period = Period.ending(today, 30)
    ann, ben = person("ann"), person("ben")
    event(ann, "post.created", today - timedelta(days=3))
    rollups.rollup(today - timedelta(days=n) for n in range(4))
    assert metrics._distinct(period) == {"active": 1, "lurkers": 0, "occasional": 1, "regular": 0}
    with CaptureQueriesContext(connection) as queries:
        assert metrics._distinct(period)["active"] == 1
    assert all("GROUP BY" not in query["sql"] for query in queries)  # the version reads only
    event(ben, "topic.viewed", today - timedelta(days=1))  # a late event: ben visits
    rollups.rollup_recent()
    assert metrics._distinct(period) == {"active": 2, "lurkers": 1, "occasional": 1, "regular": 0}


def test_the_hourly_job_counts_the_usual_periods_ahead():
    from django.core.cache import cache

    from townsquare.analytics import metrics
    from townsquare.analytics.periods import WARM_DAYS, Period
    from townsquare.analytics.tasks import rollup_recent

    today = timezone.now().astimezone(UTC).date()
    event(person(), "post.created", today)
    rollup_recent.apply().get()
    version = rollups.member_rows_version()
    for days in WARM_DAYS:
        for period in (Period.ending(today, days), Period.ending(today, days).previous()):
            assert cache.get(metrics.distinct_key(period, version)) is not None, (days, period)
    year = Period.ending(today, 365)
    assert cache.get(metrics.distinct_key(year, version))["active"] == 1
