"""Every metric against a small history whose answer is worked out here by hand."""

from datetime import timedelta

import pytest

from tests.analytics.conftest import event, person, view
from townsquare.analytics import membership, metrics, rollups
from townsquare.analytics.periods import Period, Row

pytestmark = pytest.mark.django_db


def roll(*days):
    rollups.rollup(days)


def test_three_daily_actives_of_ten_monthly_is_a_dau_mau_of_30(day):
    members = [person() for _ in range(10)]
    early = day - timedelta(days=20)
    for member in members:
        event(member, "member.visited", early)
    for member in members[:3]:
        event(member, "member.visited", day)
    roll(early, day)
    one_day = Period(day, day)
    assert metrics.series("dau", one_day).total == 3
    assert metrics.series("mau", one_day).total == 10
    assert metrics.series("wau", one_day).total == 3  # the early visits are 20 days back
    assert metrics.series("dau_mau", one_day).total == 30.0
    # The day before: 0 of 10 → 0 %; the mean of 0 % and 30 % is 15 %.
    two_days = Period(day - timedelta(days=1), day)
    value = metrics.series("dau_mau", two_days)
    assert value.series == [(day - timedelta(days=1), 0.0), (day, 30.0)]
    assert value.total == 15.0
    assert metrics.series("dau", two_days).total == 1.5  # (0 + 3) / 2


def test_dau_mau_is_zero_without_monthly_actives(day):
    assert metrics.series("dau_mau", Period(day, day)).total == 0.0


def test_page_views_and_unique_visitors_sum_daily_distinct_keys(day):
    yesterday = day - timedelta(days=1)
    view(yesterday, "a", source="search", referrer="www.bing.com")
    view(yesterday, "a", source="search", referrer="www.bing.com")
    view(yesterday, "b")
    view(day, "a", source="social", referrer="mastodon.social")
    roll(yesterday, day)
    period = Period(yesterday, day)
    assert metrics.series("pageviews", period).total == 4
    # a and b yesterday, a again today: 2 + 1, not 2 distinct keys.
    assert metrics.series("visitors", period).total == 3
    tables = metrics.report(period)
    sources = {row.key: row.current for row in tables["sources"]}
    assert (sources["search"], sources["direct"], sources["social"], sources["email"]) == (
        2,
        1,
        1,
        0,
    )
    assert [(row.label, row.current) for row in tables["referrers"]] == [
        ("www.bing.com", 2),
        ("mastodon.social", 1),
    ]


def test_engagement_rate_and_the_90_9_1_shares(day):
    """10 members active in the period: 7 only visit, 2 contribute a little, 1 a lot."""
    yesterday = day - timedelta(days=1)
    members = [person() for _ in range(10)]
    for member in members[:7]:
        event(member, "member.visited", day)
    event(members[7], "post.created", day, category=1)
    event(members[8], "post.reacted", yesterday, category=1)
    event(members[8], "poll.voted", day)
    for n in range(12):  # 6 on each day: 12 in the period, "regular"
        event(members[9], "post.created", day if n % 2 else yesterday, category=2)
    roll(yesterday, day)
    period = Period(yesterday, day)
    assert metrics.series("engagement_rate", period).total == 30.0  # 3 of 10
    assert metrics.series("lurkers", period).total == 70.0
    assert metrics.series("occasional", period).total == 20.0
    assert metrics.series("regular", period).total == 10.0
    # Per day: yesterday 2 active, both contributed (100 %); today 10 active, 3 did (30 %).
    assert metrics.series("engagement_rate", period).series == [(yesterday, 100.0), (day, 30.0)]


def test_posts_replies_reactions_overall_and_by_category(day):
    ann, ben = person(), person()
    event(ann, "topic.created", day, category=1)
    event(ben, "post.created", day, category=1)
    event(ann, "post.created", day, category=2)
    event(ben, "post.reacted", day, category=2)
    event(ben, "post.reacted", day, category=2)
    roll(day)
    period = Period(day, day)
    # posts = topics + replies: 1 + 2.
    assert metrics.series("posts", period).total == 3
    assert metrics.series("replies", period).total == 2
    assert metrics.series("reactions", period).total == 2
    assert metrics.series("posts", period, categories=[1]).total == 2
    assert metrics.series("reactions", period, categories=[1]).total == 0
    assert metrics.series("reactions", period, categories=[1, 2]).total == 2
    # ann and ben were active: 3 posts, 2 replies, 2 reactions between 2 members.
    assert metrics.series("posts_per_active", period).total == 1.5
    assert metrics.series("replies_per_active", period).total == 1.0
    assert metrics.series("reactions_per_active", period).series == [(day, 1.0)]
    assert metrics.series("posts_per_active", period, categories=[1]).total is None
    # Page views have no category: under a filter they answer nothing, not a wrong number.
    assert metrics.series("pageviews", period, categories=[1]).total is None


def test_new_members_by_month_and_the_previous_period(day):
    """day is 31 March; the 30-day period starts 2 March, the previous one 1 February."""
    period = Period.ending(day, 30)
    assert (period.start.isoformat(), period.previous().start.isoformat()) == (
        "2026-03-02",
        "2026-01-31",
    )
    signups = [day, day - timedelta(days=3), day - timedelta(days=35), day - timedelta(days=45)]
    for when in signups:
        event(person(), "member.signed_up", when)
    roll(*signups)
    tables = metrics.report(period)
    new = next(row for row in tables["membership"] if row.key == "new_members")
    assert (new.current, new.previous, new.change) == (2, 2, 0.0)
    # New, lost (none: each was active on the day they joined, 90 days are not over in
    # the period), net.
    assert membership.by_month(period).rows == [("2026-03", [2, 0, 2])]
    # 31 Jan to 1 Mar: 24 and 14 February.
    assert membership.by_month(period.previous()).rows == [
        ("2026-01", [0, 0, 0]),
        ("2026-02", [2, 0, 2]),
        ("2026-03", [0, 0, 0]),
    ]


def test_change_against_the_previous_period():
    assert Row("x", 150, 100).change == 50.0
    assert Row("x", 50, 100).change == -50.0
    assert Row("x", 5, 0).change is None
    assert Row("x", None, 3).change is None


def test_a_period_ends_after_it_starts(day):
    with pytest.raises(ValueError):
        Period(day, day - timedelta(days=1))
