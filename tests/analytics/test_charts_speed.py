"""What made the year-long dashboard fast must not change what it shows: the data table
built in Python is the table the template loop wrote, numbers and dates formatted once
per value still follow the language, and a 365-day page has every day's numbers."""

from datetime import UTC, date, timedelta

import pytest
from django.db import connection
from django.template import Context, Engine
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import formats, timezone, translation

from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.analytics import charts, numbers
from townsquare.analytics.charts import Series, line_chart
from townsquare.analytics.models import DailyMetric

HOSTILE = "<script>alert('x')</script> \"quoted\" & more"

# The loop figure.html used before the rows were built in Python, verbatim.
CELL_BY_CELL = (
    '{% for heading, cells in chart.rows %}<tr><th scope="row">{{ heading }}</th>'
    '{% for cell in cells %}<td class="num">{{ cell }}</td>{% endfor %}</tr>\n'
    "        {% endfor %}"
)


def year(name: str, start: date, values) -> Series:
    return Series(name, [(start + timedelta(days=n), v) for n, v in enumerate(values)])


@pytest.mark.parametrize("language", ["en", "pl", "zh-hans"])
def test_the_table_rows_are_those_the_template_loop_wrote(language):
    current = [None if n % 50 == 0 else n * 1234.5 if n % 3 else n for n in range(365)]
    previous = [n % 7 for n in range(365)]
    with translation.override(language):
        chart = line_chart(
            [
                year(HOSTILE, date(2025, 1, 1), current),
                year("Previous <b>period</b>", date(2024, 1, 1), previous),
            ],
            title=HOSTILE,
            description="",
            y_label="",
        )
        expected = Engine().from_string(CELL_BY_CELL).render(Context({"chart": chart}))
        assert chart.table_rows == expected
    assert len(chart.rows) == 365
    assert "<script>" not in chart.table_rows


def test_a_hostile_heading_is_escaped_in_the_rows():
    chart = charts.Chart(svg="", title="", description="", rows=((HOSTILE, ("1", "<i>")),))
    assert chart.table_rows == (
        '<tr><th scope="row">&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; '
        "&quot;quoted&quot; &amp; more</th>"
        '<td class="num">1</td><td class="num">&lt;i&gt;</td></tr>\n        '
    )


def test_remembered_numbers_and_dates_follow_the_language():
    for _ in range(2):  # the second time from the cache
        with translation.override("en"):
            assert numbers.format_number(1_234_567.5, 2) == "1,234,567.50"
            assert numbers.format_number(2.0) == numbers.format_number(2) == "2"
            assert numbers.formatter().date(date(2026, 3, 1), "DATE_FORMAT") == "March 1, 2026"
        with translation.override("pl"):
            assert numbers.format_number(1_234_567.5, 2) == "1\xa0234\xa0567,50"
            assert numbers.formatter().date(date(2026, 3, 1), "DATE_FORMAT") == "1 marca 2026"
        with translation.override("zh-hans"):
            assert numbers.formatter().date(date(2026, 3, 1), "DATE_FORMAT") == "2026年3月1日"


@pytest.mark.parametrize("value", [0, 0.0, -0.0, True, 5, 5.0, -1234.25, 10**15, 0.005])
@pytest.mark.parametrize("decimals", [0, 2])
def test_remembered_numbers_are_what_django_formats(value, decimals):
    with translation.override("pl"):
        shown = int(value) if decimals == 0 and float(value).is_integer() else value
        expected = formats.number_format(shown, decimals, use_l10n=True, force_grouping=True)
        for other in (0.0, -0.0, 5, 5.0, True):  # equal keys must not leak into each other
            numbers.format_number(other, decimals)
        assert numbers.format_number(value, decimals) == expected


# --- A year on the dashboard ------------------------------------------------------------


@pytest.mark.django_db
def test_a_year_long_dashboard_shows_every_day_in_a_fixed_number_of_queries(guidelines):
    today = timezone.now().astimezone(UTC).date()
    # Page views: 3 on even days back from today, 1 on odd ones, for two years; a new
    # member on every tenth day.
    DailyMetric.objects.bulk_create(
        [DailyMetric(day=today - timedelta(days=n), metric="pageviews", value=3 - 2 * (n % 2))
         for n in range(730)]
        + [DailyMetric(day=today - timedelta(days=n), metric="new_members", value=1)
           for n in range(0, 730, 10)]
    )  # fmt: skip
    client = Client()
    client.force_login(make_member("maja", guidelines, role=Role.MANAGER))
    start = today - timedelta(days=364)

    def get(first: date):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/manage/analytics/", {"from": first, "to": today})
        assert response.status_code == 200
        return response, len(queries)

    get(today)  # warm the session
    response, year_queries = get(start)
    _week, week_queries = get(today - timedelta(days=6))
    assert year_queries == week_queries
    lines = {key: line for key, _label, _table, line in response.context["sections"]}
    traffic = lines["traffic"]
    assert len(traffic.rows) == 365
    # Days 0…364 back: 183 even days × 3 + 182 odd days × 1; the previous period (days
    # 365…729 back) starts on an odd day: 182 × 3 + 183 × 1.
    assert sum(int(cells[0]) for _day, cells in traffic.rows) == 183 * 3 + 182
    assert sum(int(cells[1]) for _day, cells in traffic.rows) == 182 * 3 + 183
    assert traffic.rows[0][0] == formats.date_format(start, "DATE_FORMAT")
    assert traffic.rows[-1][1] == ("3", "1")  # today (even) and its day a year before (odd)
    # Days 0, 10, …, 360 back: 37 new members this year.
    assert sum(int(cells[0]) for _day, cells in lines["membership"].rows) == 37
    html = response.content.decode()
    assert html.count('<figure class="chart-figure">') == 5
    assert html.count('<td class="num">') == 4 * 365 * 2 + 6  # four trends, six sources
    assert '<details class="chart-data">' in html  # the tables start closed
