"""The incremental run rewrites only the tenure rows of the members its days may have
changed: run after run, its member tables are those a whole rewrite and a rebuild give."""

from datetime import date, timedelta

import pytest

from tests.analytics.conftest import at, event, person, view
from townsquare.analytics import rollups
from townsquare.analytics.models import MemberTenure, RetentionCohort
from townsquare.core.models import ActivityEvent

pytestmark = pytest.mark.django_db


def member_tables() -> tuple[list, list]:
    return (
        sorted(
            MemberTenure.objects.values_list(
                "member_id", "joined_day", "joined_month", "last_active_day", "left_day"
            ),
            key=str,
        ),
        sorted(RetentionCohort.objects.values_list("joined_month", "months_after", "members")),
    )


def run_and_compare() -> tuple[list, list]:
    """An incremental run, then the whole rewrite of the member tables over the same
    monthly rows: nothing may change."""
    rollups.rollup_recent()
    incremental = member_tables()
    rollups._write_tenure()
    rollups._write_cohorts()
    assert member_tables() == incremental
    return incremental


def signed_up(member, day: date) -> None:
    ActivityEvent.objects.create(
        actor=member, verb="member.signed_up", target_id=str(member.pk), created_at=at(day)
    )


def deleted(member_id: int, day: date) -> None:
    ActivityEvent.objects.create(
        actor=None, verb="member.deleted", target_id=str(member_id), created_at=at(day)
    )


def test_incremental_runs_write_the_member_tables_a_rebuild_writes():
    ann, ben, cat, dan, eve = (person(name) for name in ("ann", "ben", "cat", "dan", "eve"))
    nov, dec, jan, apr = date(2025, 11, 3), date(2025, 12, 8), date(2026, 1, 12), date(2026, 4, 6)
    # Ann joins in November and is active into December; ben joins in December.
    signed_up(ann, nov)
    event(ann, "post.created", nov + timedelta(days=1))
    view(dec, "k", user=ann)
    signed_up(ben, dec)
    event(ben, "post.reacted", dec + timedelta(days=2))
    first = run_and_compare()
    assert len(first[0]) == 2
    # Ann is active again months later; cat shows up without a sign-up event.
    event(ann, "topic.created", apr)
    event(cat, "post.created", jan)
    run_and_compare()
    # Late rows: dan's sign-up in November imported now, an older activity of ann's (her
    # last active day stays), and ben's deletion in January (the event only: his account
    # and his events stay, so his activity too).
    signed_up(dan, nov + timedelta(days=10))
    event(ann, "post.created", jan)
    deleted(ben.pk, jan + timedelta(days=1))
    tenure = {row[0]: row for row in run_and_compare()[0]}
    assert tenure[ann.pk][3] == apr
    assert tenure[ben.pk][4] == jan + timedelta(days=1)
    # Eve joins and is active on one day, then her account goes: her events lose their
    # actor, and the day is recomputed again with her deletion (recorded on it).
    signed_up(eve, jan)
    event(eve, "post.created", jan)
    run_and_compare()
    eve_id = eve.pk
    eve.delete()
    deleted(eve_id, jan)
    tenure = {row[0]: row for row in run_and_compare()[0]}
    assert tenure[eve_id][1:] == (jan, jan.replace(day=1), None, jan)
    incremental = member_tables()
    rollups.rebuild()
    assert member_tables() == incremental


def test_a_member_seen_last_on_a_recomputed_day_that_lost_them():
    """Fay's only active day is recomputed after her account went (her deletion rolled up
    in an earlier run, her events without their actor): it no longer counts, though
    nothing in the run names her."""
    fay, gus = person("fay"), person("gus")
    day = date(2026, 2, 10)
    event(fay, "post.created", day)
    rollups.rollup_recent()
    fay_id = fay.pk
    fay.delete()
    deleted(fay_id, day + timedelta(days=3))
    run_and_compare()
    assert MemberTenure.objects.get(member_id=fay_id).last_active_day == day  # not recomputed
    event(gus, "post.created", day)  # late: the day is recomputed, without fay
    run_and_compare()
    assert MemberTenure.objects.get(member_id=fay_id).last_active_day is None
    incremental = member_tables()
    rollups.rebuild()
    assert member_tables() == incremental
