"""The People rankings read whole months from the monthly rows and only the cut days at
the period's ends from the daily ones: they must answer exactly what the daily rows say,
whatever the period. Compared here with the rules applied by hand to the daily rows."""

import random
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.analytics.conftest import at, person
from townsquare.accounts.models import Role, User
from townsquare.analytics import people, rollups, spans
from townsquare.analytics.models import (
    DailyActiveMember,
    DailyMemberCredit,
    MonthlyActiveMember,
    MonthlyMemberCredit,
)
from townsquare.analytics.periods import Period
from townsquare.core.models import ActivityEvent

pytestmark = pytest.mark.django_db
FIRST, LAST = date(2025, 1, 1), date(2026, 4, 30)


def test_a_period_splits_into_cut_months_and_whole_months():
    def split(start: date, end: date) -> list[tuple]:
        return [(s.start, s.end, s.whole) for s in spans.split(Period(start, end))]

    assert split(date(2026, 1, 5), date(2026, 1, 25)) == [
        (date(2026, 1, 5), date(2026, 1, 25), False)
    ]
    assert split(date(2026, 1, 20), date(2026, 2, 10)) == [
        (date(2026, 1, 20), date(2026, 1, 31), False),
        (date(2026, 2, 1), date(2026, 2, 10), False),
    ]
    assert split(date(2025, 11, 15), date(2026, 3, 31)) == [
        (date(2025, 11, 15), date(2025, 11, 30), False),
        (date(2025, 12, 1), date(2026, 3, 31), True),
    ]
    assert split(date(2024, 2, 1), date(2024, 2, 29)) == [
        (date(2024, 2, 1), date(2024, 2, 29), True)
    ]
    assert spans.whole_months(Period(date(2025, 11, 15), date(2026, 4, 2))) == (
        date(2025, 12, 1),
        date(2026, 3, 1),
    )


def _history() -> None:
    """16 months of seeded random activity for 14 members: some busy, some quiet, some
    who stop contributing (but still visit) or start late, credits for the busiest; then
    one member deleted. Rolled up as the hourly job would, day by day."""
    rng = random.Random(7)
    events = []
    members = []
    for n in range(14):
        member = person(f"p{n}")
        joined = FIRST - timedelta(days=400) if n % 3 else date(2025, 12, 1) + timedelta(days=n)
        role = Role.MODERATOR if n == 4 else Role.MEMBER
        User.objects.filter(pk=member.pk).update(date_joined=at(joined), role=role)
        members.append(member)
        chance = (0.7, 0.5, 0.35, 0.2, 0.1, 0.05)[n % 6]
        stops = date(2026, 1, 10) + timedelta(days=9 * n) if n in (2, 3, 7, 9) else LAST
        day = max(FIRST, joined)
        while day <= LAST:
            if rng.random() < chance:
                verb = "post.created" if day < stops and rng.random() < 0.6 else "member.visited"
                for hour in range(rng.randint(1, 3)):
                    events.append(ActivityEvent(actor=member, verb=verb, created_at=at(day, hour)))
            day += timedelta(days=1)
    for member in members[:6]:
        for _n in range(40):
            day = FIRST + timedelta(days=rng.randrange((LAST - FIRST).days + 1))
            verb = rng.choice(["answer.accepted", "post.reacted"])
            data = {"author": member.pk, "kind": rng.choice(["like", "laugh", "thanks"])}
            events.append(ActivityEvent(actor=None, verb=verb, created_at=at(day, 20), data=data))
    ActivityEvent.objects.bulk_create(events)
    rollups.rollup(FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1))
    members[5].delete()


def _by_hand(period: Period) -> dict[str, people.Ranked]:
    """Each table's documented rule, worked out in Python over the daily rows."""
    users = {user.pk: user for user in User.objects.all()}
    days = [
        row for row in DailyActiveMember.objects.values_list("member_id", "day", "contributions")
    ]
    credit_rows = DailyMemberCredit.objects.values_list(
        "member_id", "day", "accepted_answers", "helpful_reactions"
    )
    credits = [row for row in credit_rows if row[0] in users]
    days = [row for row in days if row[0] in users]

    def sums(p: Period, member_ids=None) -> tuple[Counter, Counter, dict]:
        total, contributing, last = Counter(), Counter(), {}
        for member, day, contributions in days:
            if (
                p.start <= day <= p.end
                and contributions
                and (member_ids is None or member in member_ids)
            ):
                total[member] += contributions
                contributing[member] += 1
                last[member] = max(last.get(member, day), day)
        return total, contributing, last

    def top(ranked: list) -> list:
        return sorted(ranked)[: people.TOP]

    total, contributing, _last = sums(period)
    found = {
        "top_contributors": [
            (m, [total[m], contributing[m]])
            for *_key, m in top((-total[m], -contributing[m], m) for m in total)
        ]
    }
    recent = {
        pk for pk, u in users.items() if u.date_joined.date() > period.end - timedelta(days=183)
    }
    now, _c, _l = sums(period, recent)
    then, _c, _l = sums(period.previous(), recent)
    found["rising_members"] = [
        (m, [now[m], then[m], now[m] - then[m]])
        for *_key, m in top((-(now[m] - then[m]), -now[m], m) for m in now if now[m] > then[m])
    ]
    accepted, helpful = Counter(), Counter()
    for member, day, a, h in credits:
        if period.start <= day <= period.end:
            accepted[member] += a
            helpful[member] += h
    found["super_users"] = [
        (m, [accepted[m], helpful[m]])
        for *_key, m in top(
            (-accepted[m], -helpful[m], m) for m in accepted if accepted[m] or helpful[m]
        )
    ]
    before, _c, last = sums(
        Period(period.start - timedelta(days=90), period.start - timedelta(days=1))
    )
    found["at_risk"] = [
        (m, [before[m], last[m]])
        for *_key, m in top((-before[m], m) for m in before if before[m] >= 5 and not total[m])
    ]
    year = people._year(period.end)
    eligible = {
        pk
        for pk, u in users.items()
        if u.role == Role.MEMBER
        and u.is_active
        and u.date_joined.date() <= period.end - timedelta(days=183)
    }
    earned = Counter()
    for member, day, a, h in credits:
        if year.start <= day <= year.end and member in eligible:
            earned[member] += a + h
    months, contributions = defaultdict(set), Counter()
    for member, day, c in days:
        if year.start <= day <= year.end:
            months[member].add(day.replace(day=1))
            contributions[member] += c
    found["advisory_candidates"] = [
        (m, [len(months[m]), earned[m], contributions[m]])
        for *_key, m in top(
            (-earned[m], -len(months[m]), -contributions[m], m)
            for m in earned
            if earned[m] >= 3 and len(months[m]) >= 9
        )
    ]
    return found


def test_the_monthly_reading_gives_what_the_daily_rows_say():
    _history()
    assert MonthlyActiveMember.objects.filter(contributing_days__gt=0).exists()
    assert MonthlyMemberCredit.objects.exists()
    periods = [
        Period(date(2025, 5, 17), date(2026, 2, 11)),  # mid-month to mid-month, whole between
        Period(date(2025, 9, 1), date(2026, 1, 20)),  # from a month's first day
        Period(date(2025, 10, 15), date(2026, 2, 28)),  # to a month's last day
        Period(date(2025, 12, 1), date(2026, 2, 28)),  # whole months only
        Period(date(2026, 1, 5), date(2026, 1, 25)),  # inside one month
        Period(date(2026, 1, 20), date(2026, 2, 10)),  # across one month's end, none whole
        Period.ending(date(2026, 3, 31), 30),
        Period.ending(date(2026, 3, 14), 365),
        Period.ending(date(2026, 4, 30), 365),
    ]
    seen = Counter()
    for period in periods:
        expected = _by_hand(period)
        found = {
            name: function(period)
            for name, function in (
                ("top_contributors", people._top_contributors),
                ("rising_members", people._rising_members),
                ("super_users", people._super_users),
                ("at_risk", people._at_risk),
                ("advisory_candidates", people._advisory_candidates),
            )
        }
        assert found == expected, period
        seen.update(name for name, rows in expected.items() if rows)
    # Every table had something to rank in most periods: the comparison is not of empties.
    assert all(seen[name] >= 3 for name in expected), seen


@pytest.mark.django_db(transaction=True)
def test_migrating_fills_the_new_monthly_figures_as_the_rollup_writes_them():
    """Monthly rows written before 0009 lack the contributing days and credits: the
    migration works them out from the daily rows, as ``rollups._write_month`` does."""
    before = [("analytics", "0008_support_sums")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    daily = old.get_model("analytics", "DailyActiveMember")
    monthly = old.get_model("analytics", "MonthlyActiveMember")
    credit = old.get_model("analytics", "DailyMemberCredit")
    for member, day, contributions in (
        (1, date(2026, 3, 3), 2),
        (1, date(2026, 3, 5), 0),
        (1, date(2026, 3, 9), 1),
        (1, date(2026, 4, 30), 0),
        (2, date(2026, 3, 4), 0),
    ):
        daily.objects.create(member_id=member, day=day, contributions=contributions)
    for member, month, contributions, active_days, last_day in (
        (1, date(2026, 3, 1), 3, 3, date(2026, 3, 9)),
        (1, date(2026, 4, 1), 0, 1, date(2026, 4, 30)),
        (2, date(2026, 3, 1), 0, 1, date(2026, 3, 4)),
    ):
        monthly.objects.create(
            member_id=member,
            month=month,
            contributions=contributions,
            active_days=active_days,
            last_day=last_day,
        )
    for member, day, accepted, helpful in (
        (1, date(2026, 3, 3), 1, 2),
        (1, date(2026, 3, 20), 0, 1),
        (3, date(2026, 5, 1), 1, 0),
    ):
        credit.objects.create(
            member_id=member, day=day, accepted_answers=accepted, helpful_reactions=helpful
        )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    def months() -> tuple[list, list]:
        return (
            sorted(
                MonthlyActiveMember.objects.values_list(
                    "month", "member_id", "contributing_days", "last_contribution"
                )
            ),
            sorted(
                MonthlyMemberCredit.objects.values_list(
                    "month", "member_id", "accepted_answers", "helpful_reactions"
                )
            ),
        )

    migrated = months()
    assert migrated == (
        [
            (date(2026, 3, 1), 1, 2, date(2026, 3, 9)),
            (date(2026, 3, 1), 2, 0, None),
            (date(2026, 4, 1), 1, 0, None),
        ],
        [(date(2026, 3, 1), 1, 1, 3), (date(2026, 5, 1), 3, 1, 0)],
    )
    for month in (date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)):
        rollups._write_month(month)
    assert months() == migrated
