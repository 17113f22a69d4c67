"""Members lost, net growth and retention by join month, against small histories worked
out by hand; and the monthly member rows give the same answers as the daily ones."""

import csv
import io
from datetime import UTC, date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.analytics.conftest import at, event, person
from tests.conftest import make_member
from townsquare.accounts import privacy
from townsquare.accounts.models import Role
from townsquare.analytics import membership, metrics, rollups, spans
from townsquare.analytics.models import (
    DailyActiveMember,
    MemberTenure,
    MonthlyActiveMember,
    RetentionCohort,
)
from townsquare.analytics.periods import Period
from townsquare.analytics.queries import analytics_settings
from townsquare.core.models import ActivityEvent
from townsquare.forum.models import Category

pytestmark = pytest.mark.django_db
URL = "/manage/analytics/"


def _today() -> date:
    return timezone.now().astimezone(UTC).date()


def _inactive_after(days: int) -> None:
    settings = analytics_settings()
    settings.inactive_after_days = days
    settings.save()


def _deleted(member, day: date, by=None) -> None:
    """What accounts.privacy.delete_account leaves in the log: the event names the member
    as its target; the member's own events lose their actor."""
    ActivityEvent.objects.create(
        actor=by, verb="member.deleted", target_id=str(member.pk), created_at=at(day)
    )


def test_members_lost_left_or_silent_and_net_growth_by_month():
    """Inactive after 30 days. Ann joins 5 Jan, last active 10 Jan: lost 9 Feb. Ben joins
    5 Jan, active again 20 Feb: lost 22 Mar. Cat joins 20 Jan and is deleted 3 Feb: lost
    3 Feb (once: not again 30 days after her last activity). Dan joins 1 Mar and is active
    31 Mar: lost 30 April, after the period. Period 1 Jan – 31 Mar 2026: new 3, 0, 1;
    lost 0, 2, 1; net 3, −2, 0."""
    _inactive_after(30)
    ann, ben, cat, dan = person(), person(), person(), person()
    event(ann, "member.signed_up", date(2026, 1, 5))
    event(ben, "member.signed_up", date(2026, 1, 5))
    event(cat, "member.signed_up", date(2026, 1, 20))
    event(dan, "member.signed_up", date(2026, 3, 1))
    event(ann, "post.created", date(2026, 1, 10))
    event(ben, "post.created", date(2026, 1, 10))
    event(ben, "member.visited", date(2026, 2, 20))
    event(dan, "member.visited", date(2026, 3, 31))
    _deleted(cat, date(2026, 2, 3))
    rollups.rollup(
        date(2026, month, day)
        for month, day in ((1, 5), (1, 10), (1, 20), (2, 3), (2, 20), (3, 1), (3, 31))
    )
    quarter = Period(date(2026, 1, 1), date(2026, 3, 31))
    assert membership.by_month(quarter).rows == [
        ("2026-01", [3, 0, 3]),
        ("2026-02", [0, 2, -2]),
        ("2026-03", [1, 1, 0]),
    ]
    lost = metrics.series("members_lost", quarter)
    assert lost.total == 3
    lost_days = [d for d, n in lost.series if n]
    assert lost_days == [date(2026, 2, 3), date(2026, 2, 9), date(2026, 3, 22)]
    assert metrics.series("net_growth", quarter).total == 1  # 4 new − 3 lost
    assert metrics.series("members_lost", quarter, categories=[1]).total is None
    tables = metrics.report(Period(date(2026, 2, 1), date(2026, 2, 28)))
    rows = {row.key: row for row in tables["membership"]}
    # February against the 28 days before it (4 Jan – 31 Jan): 3 new, none lost.
    assert (rows["members_lost"].current, rows["members_lost"].previous) == (2, 0)
    assert (rows["net_growth"].current, rows["net_growth"].previous) == (-2, 3)
    # A longer setting moves Ann's loss to 11 March (10 Jan + 60 days), Ben's past March.
    _inactive_after(60)
    assert membership.by_month(quarter).rows[1:] == [
        ("2026-02", [0, 1, -1]),
        ("2026-03", [1, 1, 0]),
    ]


def test_a_member_is_lost_only_once_the_days_have_passed():
    """Inactive after 30 days: last active 40 days ago → lost 10 days ago; last active 20
    days ago → lost in 10 days, not yet, even for a period reaching past today."""
    _inactive_after(30)
    today = _today()
    gone, resting = person(), person()
    event(gone, "member.visited", today - timedelta(days=40))
    event(resting, "member.visited", today - timedelta(days=20))
    rollups.rollup([today - timedelta(days=40), today - timedelta(days=20)])
    value = metrics.series("members_lost", Period(today - timedelta(days=60), today))
    assert value.total == 1
    assert dict(value.series)[today - timedelta(days=10)] == 1
    ahead = Period(today - timedelta(days=60), today + timedelta(days=30))
    assert sum(membership.lost_by_day(ahead).values()) == 1


def test_a_deleted_member_counts_as_left_and_stays_in_their_cohort(guidelines):
    """Through the real sign-up and deletion: the admin and Eve sign up today, an admin
    deletes Eve's account. After a rebuild Eve's own events have no actor, but the sign-up
    and deletion events still name her: two new members, one lost today (net 1), a cohort
    of two."""
    admin = make_member("root", guidelines, role=Role.ADMIN)
    today = _today()
    eve = make_member("eve", guidelines)
    assert ActivityEvent.objects.filter(actor=eve, verb="member.signed_up").count() == 1
    privacy.delete_account(admin, eve, posts=privacy.PostsChoice.KEEP, reason="Asked by mail")
    assert not ActivityEvent.objects.filter(actor_id=eve.pk).exists()
    rollups.rebuild()
    tenure = MemberTenure.objects.get(member_id=eve.pk)
    assert (tenure.joined_day, tenure.left_day) == (today, today)
    assert membership.lost_by_day(Period(today, today)) == {today: 1}
    cohort = RetentionCohort.objects.get(joined_month=today.replace(day=1), months_after=0)
    assert cohort.members == 2
    assert metrics.series("net_growth", Period(today, today)).total == 1  # 2 new − 1 lost


def _cohort_history() -> None:
    """Four members join in March 2026; two of them are active in April (month 1), one of
    those also in May (month 2). Two join in April; one is active in May. Activity in the
    join month itself is month 0, not shown."""
    march = [person() for _ in range(4)]
    april = [person() for _ in range(2)]
    days = []
    for n, member in enumerate(march):
        days.append(date(2026, 3, 3 + 5 * n))
        event(member, "member.signed_up", days[-1])
        event(member, "post.created", date(2026, 3, 28))  # month 0: not counted
    for n, member in enumerate(april):
        days.append(date(2026, 4, 2 + n))
        event(member, "member.signed_up", days[-1])
    for member, day in ((march[0], date(2026, 4, 9)), (march[1], date(2026, 4, 30))):
        event(member, "member.visited", day)
        days.append(day)
    event(march[0], "post.created", date(2026, 5, 1))
    event(april[1], "post.created", date(2026, 5, 31))
    rollups.rollup([*days, date(2026, 3, 28), date(2026, 5, 1), date(2026, 5, 31)])


def test_retention_by_join_month():
    """See ``_cohort_history``. March: 2/4 = 50 %, 1/4 = 25 %, then 0 %; April: 1/2 =
    50 %, then 0 %; May: nobody joined (no shares)."""
    _cohort_history()
    grid = membership.cohorts(Period(date(2026, 3, 1), date(2026, 5, 31)))
    now = _today().replace(day=1)
    columns = min(12, (now.year - 2026) * 12 + now.month - 3)
    assert grid.columns[:3] == ["Month 1", "Month 2", "Month 3"]
    assert len(grid.columns) == columns
    (m_label, m_values), (a_label, a_values), (y_label, y_values) = grid.rows
    assert (m_label, a_label, y_label) == (
        "2026-03 (4 members)",
        "2026-04 (2 members)",
        "2026-05 (0 members)",
    )
    assert m_values[:3] == [0.5, 0.25, 0.0]
    assert a_values[:2] == [0.5, 0.0]
    assert y_values == [None] * columns


def _by_hand(period: Period) -> dict[str, int]:
    """Distinct members of the period counted from the daily rows in Python."""
    totals: dict[int, int] = {}
    for member, contributions in DailyActiveMember.objects.filter(
        day__range=(period.start, period.end)
    ).values_list("member_id", "contributions"):
        totals[member] = totals.get(member, 0) + contributions
    return {
        "active": len(totals),
        "lurkers": sum(1 for c in totals.values() if c == 0),
        "occasional": sum(1 for c in totals.values() if 1 <= c <= 9),
        "regular": sum(1 for c in totals.values() if c >= 10),
    }


def test_whole_months_from_the_monthly_rows_give_the_same_answers():
    """20 Feb – 10 Apr 2026 (March whole). Ann: 5 posts on 25 Feb and 5 on 15 Mar: 10,
    regular. Ben: a visit in March: lurker. Cat: a post on 5 Apr (one more on 12 Apr,
    outside): occasional. Dan: only 19 Feb, outside. Eve: 9 posts on 31 Mar and one on
    1 Apr: 10 across the cut, regular. So 4 active: 1 lurker, 1 occasional, 2 regular."""
    ann, ben, cat, dan, eve = (person() for _ in range(5))
    history = [
        (ann, date(2026, 2, 25), 5),
        (ann, date(2026, 3, 15), 5),
        (cat, date(2026, 4, 5), 1),
        (cat, date(2026, 4, 12), 1),
        (dan, date(2026, 2, 19), 1),
        (eve, date(2026, 3, 31), 9),
        (eve, date(2026, 4, 1), 1),
    ]
    for member, day, posts in history:
        for _ in range(posts):
            event(member, "post.created", day)
    event(ben, "member.visited", date(2026, 3, 10))
    rollups.rollup([day for _m, day, _n in history] + [date(2026, 3, 10)])
    assert MonthlyActiveMember.objects.get(month=date(2026, 3, 1), member_id=eve.pk).last_day == (
        date(2026, 3, 31)
    )
    period = Period(date(2026, 2, 20), date(2026, 4, 10))
    assert spans.whole_months(period) == (date(2026, 3, 1), date(2026, 3, 1))
    assert metrics._distinct(period) == {"active": 4, "lurkers": 1, "occasional": 1, "regular": 2}
    assert metrics.series("engagement_rate", period).total == 75.0  # 3 of 4 contributed
    # Periods with no whole month, exactly one, several, and cut on either side.
    for start, end in (
        (date(2026, 3, 5), date(2026, 3, 20)),
        (date(2026, 3, 1), date(2026, 3, 31)),
        (date(2026, 2, 1), date(2026, 4, 30)),
        (date(2026, 3, 1), date(2026, 4, 5)),
        (date(2026, 2, 19), date(2026, 3, 31)),
        (date(2026, 1, 1), date(2026, 12, 31)),
    ):
        assert metrics._distinct(Period(start, end)) == _by_hand(Period(start, end)), start


def test_the_page_shows_membership_by_month_and_cohorts_and_exports_them(guidelines):
    """``_cohort_history`` from March to May 2026: 4 new in March, 2 in April; nobody lost
    (inactive after 90 days: the earliest last activity, 28 March, is lost on 26 June)."""
    _cohort_history()
    client = Client()
    client.force_login(make_member("maja", guidelines, role=Role.MANAGER))
    query = {"from": "2026-03-01", "to": "2026-05-31"}
    response = client.get(URL, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<caption>Membership by month " in html
    assert response.context["months"].rows == [
        ("2026-03", [4, 0, 4]),
        ("2026-04", [2, 0, 2]),
        ("2026-05", [0, 0, 0]),
    ]
    assert '<th scope="row">2026-03 (4 members)</th><td class="num heat-' in html
    rows = _csv(client.get(URL, query | {"format": "csv", "table": "months"}))
    assert rows[0] == ["Month", "New members", "Members lost", "Net growth"]
    assert rows[1:] == [
        ["2026-03", "4", "0", "4"],
        ["2026-04", "2", "0", "2"],
        ["2026-05", "0", "0", "0"],
    ]
    rows = _csv(client.get(URL, query | {"format": "csv", "table": "cohorts"}))
    assert rows[0][:3] == ["Joined in", "Month 1", "Month 2"]
    assert rows[1][:4] == ["2026-03 (4 members)", "50 %", "25 %", "0 %"]
    assert rows[3][0] == "2026-05 (0 members)" and set(rows[3][1:]) == {""}
    # Under a category filter they are not broken down: not shown, no CSV.
    general = Category.objects.create(name="General", slug="general")
    filtered = client.get(URL, query | {"category": general.pk})
    assert filtered.context["months"] is None and "Retention by join month" not in (
        filtered.content.decode()
    )
    assert (
        client.get(
            URL, query | {"format": "csv", "table": "cohorts", "category": general.pk}
        ).status_code
        == 404
    )


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
