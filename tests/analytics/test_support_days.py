"""The daily per-category sums of the support page (SupportDay) and the medians read
from their duration histograms.

Expected values are worked out by hand from the history of ``test_support.questions``
(its docstring lists every question's times).
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.analytics import test_support as base
from tests.analytics.test_support import DAY, ask, at, make_staff, reply
from townsquare.analytics import rollups, support
from townsquare.analytics.models import SupportDay, SupportMonth
from townsquare.analytics.periods import Period
from townsquare.forum.actions import moderation, posting
from townsquare.forum.models import Category, CategoryKind

pytestmark = pytest.mark.django_db
# The hand-built history and its people, shared with test_support.
people, questions = base.people, base.questions


def edges(counts: list[int]) -> dict[int, int]:
    """A stored histogram as {bucket's lower edge in seconds: count}, empty ones left out."""
    return {support.EDGES[n]: count for n, count in enumerate(counts) if count}


def rows() -> dict:
    return {
        (row.day, row.category_id): (
            row.asked,
            row.answered,
            row.solved,
            row.first_by_staff,
            row.solved_by_staff,
            row.solved_that_day,
            edges(row.first_response_buckets),
            edges(row.solution_buckets),
        )
        for row in SupportDay.objects.all()
    }


def test_buckets_and_the_median_read_from_them():
    def edge(seconds: int) -> int:
        return support.EDGES[support.bucket(seconds)]

    assert [edge(s) for s in (0, 59, 60, 1799)] == [0, 0, 60, 1740]  # minutes below 30 min
    assert [edge(s) for s in (1800, 1919, 3600, 3899)] == [1800, 1800, 3600, 3600]
    # Whole hours are edges: 3 h and 4 h fall in 10-minute buckets, 5 h starts 20 minutes.
    assert [edge(s) for s in (10800, 14400 + 599, 18000 + 1199)] == [10800, 14400, 18000]
    assert edge(86400 + 3599) == 86400  # hours from a day on
    assert edge(10**9) == 365 * 86400  # a year or more: the last bucket
    assert support.median_hours([]) is None

    def histogram(counts: dict[int, int]) -> list[int]:
        found = [0] * len(support.EDGES)
        for seconds, count in counts.items():
            found[support.bucket(seconds)] += count
        return found

    # 1 h and 2 h: an even count, the mean of the middle two.
    assert support.median_hours(histogram({3600: 1, 7200: 1})) == 1.5
    # 10 min three times and 2 h once: the middle two are both 10 min = 0.17 h.
    assert support.median_hours(histogram({600: 3, 7200: 1})) == 0.17
    # 1 h, 2 h, 2 h, 5 h, 9 h: the third is 2 h.
    assert support.median_hours(histogram({3600: 1, 7200: 2, 18000: 1, 32400: 1})) == 2.0
    total = [1, 0, 2]
    support.add_buckets(total, [0, 1, 0, 0, 4])
    assert total == [1, 1, 2, 0, 4]


def test_the_daily_sums_worked_out_by_hand(questions):
    help_, pomoc = questions["qa"].pk, questions["other_qa"].pk
    assert rows() == {
        # q1 (1 h, solved 4 h), q2 (staff 2 h, solved 24 h), q4 (unanswered); q5 is
        # deleted. Solved on DAY: q1 and q0 (asked five days before).
        (DAY, help_): (3, 2, 2, 1, 0, 2, {3600: 1, 7200: 1}, {14400: 1, 86400: 1}),
        # q2, solved the next day: only the solved line.
        (DAY + timedelta(days=1), help_): (0, 0, 0, 0, 0, 1, {}, {}),
        # q3: fred, staff then, after 5 h; his answer accepted after 10 h.
        (DAY, pomoc): (1, 1, 1, 1, 1, 1, {18000: 1}, {36000: 1}),
        # q0: mia after 1 h, accepted five days later (432,000 s, a quarter-hour edge).
        (DAY - timedelta(days=5), help_): (1, 1, 1, 0, 0, 0, {3600: 1}, {432000: 1}),
    }


def months() -> dict:
    return {
        (row.month, row.category_id): (
            row.asked,
            row.answered,
            row.solved,
            row.first_by_staff,
            row.solved_by_staff,
            edges(row.first_response_buckets),
            edges(row.solution_buckets),
        )
        for row in SupportMonth.objects.all()
    }


def test_the_monthly_sums_and_periods_made_of_months_and_days(questions):
    help_, pomoc = questions["qa"].pk, questions["other_qa"].pk
    march = date(2026, 3, 1)
    # All questions are of March: Help has q0 (1 h; 120 h), q1 (1 h; 4 h), q2 (staff 2 h;
    # 24 h) and q4 (unanswered); Pomoc q3 (staff 5 h; staff 10 h).
    assert months() == {
        (march, help_): (4, 3, 3, 1, 0, {3600: 2, 7200: 1}, {14400: 1, 86400: 1, 432000: 1}),
        (march, pomoc): (1, 1, 1, 1, 1, {18000: 1}, {36000: 1}),
    }
    # March alone (a whole month), 20 February – 5 April (days, a month, days) and March –
    # April (two whole months) all hold the five questions: first responses 1, 1, 2, 5 h
    # (median 1.5 h), solutions 4, 10, 24, 120 h (median 17 h).
    for start, end in [
        (march, date(2026, 3, 31)),
        (date(2026, 2, 20), date(2026, 4, 5)),
        (march, date(2026, 4, 30)),
    ]:
        figures = support.summary(Period(start, end))
        assert (figures.asked, figures.answered, figures.solved) == (5, 4, 4)
        assert (figures.first_response_hours, figures.solution_hours) == (1.5, 17.0)
    # 6 March – 31 March: days, no whole month; q0 (5 March) is outside.
    figures = support.summary(Period(date(2026, 3, 6), date(2026, 3, 31)))
    assert (figures.asked, figures.first_response_hours, figures.solution_hours) == (4, 2.0, 10.0)


def test_the_hourly_run_keeps_the_daily_sums_as_a_rebuild_would(questions, people):
    help_ = questions["qa"].pk
    # A late reply to q4 after 3 h, and q1 moved out of Q&A.
    reply(questions["q4"], people["max"], at(DAY, 15))
    moderation.move_topic(make_staff(), questions["q1"], questions["chat"])
    rollups.rollup_recent()
    # Help on DAY: q2 (2 h by staff, solved after 24 h) and q4 (3 h); solved that day: q0.
    assert rows()[(DAY, help_)] == (
        2,
        2,
        1,
        1,
        0,
        1,
        {7200: 1, 10800: 1},
        {86400: 1},
    )
    # March for Help loses q1: q0 (1 h; 120 h), q2 (2 h; 24 h), q4 (3 h).
    assert months()[(date(2026, 3, 1), help_)] == (
        3,
        3,
        2,
        1,
        0,
        {3600: 1, 7200: 1, 10800: 1},
        {86400: 1, 432000: 1},
    )
    after = rows(), months()
    rollups.rebuild()
    assert (rows(), months()) == after


def test_the_median_precision_of_the_buckets(people):
    """Two questions: answered after 7 min 12 s (432 s: the minute bucket of 7 min) and
    after 1 h 0 min 45 s (3,645 s: the 5-minute bucket of 1 h). The exact median is
    (432 + 3645) / 2 = 2,038.5 s = 0.57 h; from the buckets (420 + 3600) / 2 = 2,010 s
    = 0.56 h: under by less than a bucket."""
    day = date(2026, 4, 1)
    quick = Category.objects.create(name="Quick", slug="quick", kind=CategoryKind.QA)
    asked = datetime(2026, 4, 1, 8, tzinfo=UTC)
    for after in (timedelta(minutes=7, seconds=12), timedelta(hours=1, seconds=45)):
        topic = ask(quick, people["asker"], asked)
        posting.create_post(
            None, topic, body="Like this, with a longer answer.", author=people["mia"],
            created_at=asked + after,
        )  # fmt: skip
    rollups.rebuild()
    figures = support.summary(Period(day, day))
    assert (figures.asked, figures.answered) == (2, 2)
    assert figures.first_response_hours == 0.56
