"""/manage/analytics/people/: rankings worked out by hand from small histories."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.analytics.conftest import at, event, person, view
from tests.conftest import make_member
from tests.forum.conftest import bob, questions, start_topic  # noqa: F401  (fixtures)
from townsquare.accounts.models import Role, User
from townsquare.analytics import people, rollups
from townsquare.analytics.models import DailyMemberCredit
from townsquare.analytics.periods import Period
from townsquare.core.models import ActivityEvent, PageView
from townsquare.forum import actions as forum_actions

pytestmark = pytest.mark.django_db
URL = "/manage/analytics/people/"
END = date(2026, 3, 31)
PERIOD = Period.ending(END, 30)  # 2026-03-02 .. 2026-03-31; before: 2026-01-31 .. 03-01
IN = date(2026, 3, 15)  # a day in the period
BEFORE = date(2026, 2, 15)  # a day in the previous period


def roll_up() -> None:
    """Roll up exactly the days the hand-built log touches."""
    days = {rollups._utc_day(e.created_at) for e in ActivityEvent.objects.all()}
    days |= {rollups._utc_day(v.created_at) for v in PageView.objects.all()}
    rollups.rollup(days)


def joined(member: User, day: date) -> User:
    User.objects.filter(pk=member.pk).update(date_joined=at(day))
    return member


def posts(member: User, day: date, n: int, verb: str = "post.created") -> None:
    for hour in range(n):
        event(member, verb, day, hour=hour)


def ranking(rows: list[people.PersonRow]) -> list[tuple]:
    return [(row.member.handle, *row.figures) for row in rows]


def test_top_contributors_count_contributions_and_skip_deleted_members():
    ann, ben, cai, dan = person("ann"), person("ben"), person("cai"), person("dan")
    for offset in range(3):
        posts(ann, IN + timedelta(days=offset), 1)  # 3 contributions on 3 days
    posts(ben, IN, 5, verb="post.reacted")  # 5 on one day
    view(IN, "k-cai", user=cai)  # active, no contribution: not a contributor
    posts(dan, IN, 9)  # the most, but then deletes the account
    posts(ann, BEFORE, 7)  # the previous period does not count
    roll_up()
    dan.delete()
    assert ranking(people.top_contributors(PERIOD)) == [("ben", 5, 1), ("ann", 3, 3)]


def test_rising_members_joined_recently_and_contribute_more_than_before():
    eve, fay, gus, hal = (person(h) for h in ("eve", "fay", "gus", "hal"))
    for member in (eve, fay, hal):
        joined(member, END - timedelta(days=30))
    joined(gus, END - timedelta(days=400))  # an old hand: not "rising"
    posts(eve, BEFORE, 1)
    posts(eve, IN, 4)  # 1 -> 4: +3
    posts(fay, IN, 2)  # 0 -> 2: +2
    posts(gus, IN, 10)
    posts(hal, BEFORE, 3)
    posts(hal, IN, 1)  # 3 -> 1: falling
    roll_up()
    assert ranking(people.rising_members(PERIOD)) == [("eve", 4, 1, 3), ("fay", 2, 0, 2)]


def test_super_users_by_accepted_answers_then_helpful_reactions():
    ivy, jon, kim, fan = person("ivy"), person("jon"), person("kim"), person("fan")
    event(None, "answer.accepted", IN, author=ivy.pk)
    event(fan, "answer.accepted", IN, hour=13, author=ivy.pk)
    event(fan, "post.reacted", IN, kind="thanks", author=ivy.pk)
    event(fan, "post.reacted", IN, kind="laugh", author=ivy.pk)  # not a helpful kind
    for hour in range(3):
        event(fan, "post.reacted", IN, hour=hour, kind="like", author=jon.pk)
    event(None, "answer.accepted", BEFORE, author=kim.pk)  # the previous period
    event(fan, "post.reacted", IN, kind="like")  # an old event without the author
    roll_up()
    assert ranking(people.super_users(PERIOD)) == [("ivy", 2, 1), ("jon", 0, 3)]
    # Running the rollup again changes nothing.
    roll_up()
    assert DailyMemberCredit.objects.count() == 3  # ivy's and jon's day, kim's


def test_accepting_and_reacting_name_the_author_for_the_credits(member, bob, questions):  # noqa: F811
    topic = start_topic(member, questions)
    reply = forum_actions.create_post(bob, topic, body="Try the export button.")
    forum_actions.add_reaction(member, reply, "thanks")
    forum_actions.accept_answer(member, reply)
    events = ActivityEvent.objects.filter(verb__in=["answer.accepted", "post.reacted"])
    assert {e.verb: e.data["author"] for e in events} == {
        "answer.accepted": bob.pk,
        "post.reacted": bob.pk,
    }
    roll_up()
    today = Period.ending(rollups._utc_day(events[0].created_at), 1)
    assert ranking(people.super_users(today)) == [("bob", 1, 1)]


def test_members_at_risk_were_active_before_and_are_silent_now():
    lea, max_, ned, ola = person("lea"), person("max"), person("ned"), person("ola")
    posts(lea, date(2026, 2, 10), 5)  # 5 in the 90 days before the period
    view(IN, "k-lea", user=lea)  # still reads, but contributes nothing
    posts(max_, date(2026, 1, 5), 6)
    posts(max_, IN, 1)  # still contributing
    posts(ned, date(2026, 2, 10), 4)  # too few before
    posts(ola, date(2025, 11, 20), 5)  # more than 90 days before
    roll_up()
    assert ranking(people.at_risk(PERIOD)) == [("lea", 5, date(2026, 2, 10))]


def test_advisory_board_candidates_follow_the_documented_rule():
    # The year: the 12 calendar months 2025-04 .. 2026-03.
    months = [date(2025 + (3 + n) // 12, (3 + n) % 12 + 1, 10) for n in range(12)]
    assert (months[0], months[-1]) == (date(2025, 4, 10), date(2026, 3, 10))

    def member(handle: str, active_months: int, credits: int, **extra) -> User:
        found = joined(person(handle), date(2024, 1, 1))
        User.objects.filter(pk=found.pk).update(**extra)
        for day in months[:active_months]:
            posts(found, day, 1)
        for n in range(credits):
            event(None, "answer.accepted", months[0], hour=n, author=found.pk)
        return found

    member("pia", 9, 3)  # 9 months, 3 credits: just enough
    member("uma", 10, 4)  # more credits: first
    member("quin", 12, 2)  # too few credits
    member("tom", 8, 10)  # too few months
    member("rob", 12, 5, role=Role.MODERATOR)  # staff
    sue = member("sue", 12, 5)
    joined(sue, date(2026, 1, 1))  # a member for three months only
    roll_up()
    assert ranking(people.advisory_candidates(PERIOD)) == [("uma", 10, 4, 10), ("pia", 9, 3, 9)]


@pytest.fixture
def manager_client(guidelines) -> Client:
    client = Client()
    client.force_login(make_member("maja", guidelines, role=Role.MANAGER))
    return client


QUERY = {"from": "2026-03-02", "to": "2026-03-31"}


@pytest.fixture
def history() -> None:
    ann, ben = person("ann"), person("ben")
    User.objects.filter(pk=ann.pk).update(display_name="=HYPERLINK(evil)")
    posts(ann, IN, 3)
    posts(ben, IN, 2)
    event(None, "answer.accepted", IN, author=ben.pk)
    roll_up()


def test_only_managers_and_admins_see_it(client, member_client, admin_member_client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert member_client.get(URL).status_code == 403
    assert member_client.get(URL, {"format": "csv", "table": "top"}).status_code == 403
    assert admin_member_client.get(URL).status_code == 200


def test_a_manager_sees_each_table_with_profile_links(manager_client, history):
    response = manager_client.get(URL, QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    tables = {table.key: ranking(table.rows) for table in response.context["tables"]}
    assert tables["top"] == [("ann", 3, 1), ("ben", 2, 1)]
    assert tables["super"] == [("ben", 1, 0)]
    assert 'href="/u/ann/"' in html and 'href="/u/ben/"' in html
    for caption in ("Top contributors", "Rising members", "Super users", "Members at risk"):
        assert f">{caption} <a" in html
    assert "Advisory board candidates" in html
    assert (
        'href="/manage/analytics/people/"'
        in manager_client.get("/manage/analytics/").content.decode()
    )


def test_every_table_downloads_as_safe_csv(manager_client, history):
    for key in ("top", "rising", "super", "at_risk", "advisory"):
        response = manager_client.get(URL, QUERY | {"format": "csv", "table": key})
        assert response.status_code == 200, key
        assert response["Content-Type"] == "text/csv; charset=utf-8"
    response = manager_client.get(URL, QUERY | {"format": "csv", "table": "top"})
    rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert rows == [
        ["Handle", "Name", "Contributions", "Days contributing"],
        ["ann", "'=HYPERLINK(evil)", "3", "1"],
        ["ben", "ben", "2", "1"],
    ]
    assert manager_client.get(URL, {"format": "csv", "table": "nope"}).status_code == 404


def test_a_fixed_number_of_queries_whatever_the_community_size(manager_client):
    manager_client.get(URL)  # warm the session

    def queries() -> int:
        roll_up()
        with CaptureQueriesContext(connection) as context:
            assert manager_client.get(URL, QUERY).status_code == 200
        return len(context)

    def crowd(n: int) -> None:
        for _n in range(n):
            found = joined(person(), END - timedelta(days=400))
            posts(found, IN, 2)
            posts(found, BEFORE - timedelta(days=20), 6)
            event(None, "answer.accepted", IN, author=found.pk)

    crowd(2)
    few = queries()
    crowd(6)
    assert queries() == few


def test_rankings_are_cached_until_the_rollup_changes_the_aggregates(manager_client):
    ann, ben = person("ann"), person("ben")
    posts(ann, IN, 3)
    roll_up()
    assert ranking(people.tables(PERIOD)[0].rows) == [("ann", 3, 1)]
    posts(ben, IN, 5)  # not rolled up yet: the cached ranking stands
    assert ranking(people.tables(PERIOD)[0].rows) == [("ann", 3, 1)]
    roll_up()  # the rollup rewrote the day: ranked anew
    assert ranking(people.tables(PERIOD)[0].rows) == [("ben", 5, 1), ("ann", 3, 1)]
    ben.delete()  # deleted after the ranking was cached: still never shown
    assert ranking(people.tables(PERIOD)[0].rows) == [("ann", 3, 1)]


def test_the_hourly_job_warms_the_usual_periods(manager_client):
    from django.core.cache import cache

    from townsquare.analytics import goals, rollups, tasks

    ann = person("ann")
    posts(ann, goals.utc_today(), 2)
    tasks.rollup_recent()
    for days in (30, 365):
        period = Period.ending(goals.utc_today(), days)
        key = people.ranking_key("top_contributors", period, rollups.member_rows_version())
        assert cache.get(key) == [(ann.pk, [2, 1])], days


def test_periods_ending_on_the_same_day_share_the_advisory_table():
    ann = joined(person("ann"), END - timedelta(days=400))
    posts(ann, IN, 2)
    roll_up()
    people.rankings(Period.ending(END, 30))
    # The advisory table reads the 12 months up to the period's end: a 90-day period
    # ending the same day computes the other four tables only (one query each), after
    # the aggregates' version; one ending a day earlier computes all five.
    for period, computed in (
        (Period.ending(END, 90), 4),
        (Period.ending(END - timedelta(days=1), 90), 5),
    ):
        with CaptureQueriesContext(connection) as context:
            people.rankings(period)
        assert len(context) == 1 + computed, period
