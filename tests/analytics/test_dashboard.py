"""/manage/analytics/: managers only, tables with definitions, CSV, fixed queries."""

import csv
import io
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.analytics.conftest import event, person, view
from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.analytics import rollups
from townsquare.forum.models import Category
from townsquare.groups import actions as group_actions

pytestmark = pytest.mark.django_db
URL = "/manage/analytics/"


@pytest.fixture
def manager_client(guidelines) -> Client:
    client = Client()
    client.force_login(make_member("maja", guidelines, role=Role.MANAGER))
    return client


@pytest.fixture
def today():
    return timezone.now().astimezone(UTC).date()


@pytest.fixture
def history(today):
    """Two categories, one readable only by a group; a week of views and posts."""
    general = Category.objects.create(name="General", slug="general")
    board = Category.objects.create(name="Board", slug="board")
    group = group_actions.create_group(None, name="Board members")
    board.read_groups.add(group)
    ann, ben = person(), person()
    for n in range(7):
        day = today - timedelta(days=n)
        view(day, f"v{n}", source="search", referrer="=HYPERLINK(evil)")
        event(ann, "post.created", day, category=general.pk)
        event(ben, "post.created", day, category=board.pk)
    event(ben, "post.reacted", today - timedelta(days=40), category=board.pk)
    rollups.rollup(today - timedelta(days=n) for n in range(60))
    return general, board, group


def test_only_managers_and_admins_see_it(client, member_client, admin_member_client):
    assert client.get(URL).status_code == 302  # to sign in
    assert member_client.get(URL).status_code == 403
    assert member_client.get(URL + "?format=csv&table=traffic").status_code == 403
    assert admin_member_client.get(URL).status_code == 200


def test_tables_with_definitions_and_the_previous_period(manager_client, history, today):
    response = manager_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    start = (today - timedelta(days=29)).isoformat()
    assert f"From {start} to {today.isoformat()}" in html
    for caption in ("Traffic", "Stickiness", "Engagement", "Membership"):
        assert f"<caption>{caption} " in html
    assert 'title="Per day, daily active ÷ monthly active members × 100' in html
    assert "<summary>Definition</summary>" in html
    rows = {
        row.key: row for _key, _label, table, _line in response.context["sections"] for row in table
    }
    # 7 views, 14 replies in the period; before it, one reaction 40 days ago.
    assert (rows["pageviews"].current, rows["replies"].current) == (7, 14)
    assert (rows["reactions"].current, rows["reactions"].previous) == (0, 1)
    assert 'href="/manage/analytics/"' in manager_client.get("/manage/").content.decode()


def test_each_section_draws_its_trend_against_the_previous_period(manager_client, history):
    response = manager_client.get(URL)
    html = response.content.decode()
    lines = {key: line for key, _label, _table, line in response.context["sections"]}
    assert set(lines) == {"traffic", "stickiness", "engagement", "membership"}
    # Two series (this period, the previous one dashed) over the period's 30 days.
    pageviews = lines["traffic"]
    assert len(pageviews.rows) == 30
    assert sum(float(cells[0]) for _day, cells in pageviews.rows) == 7
    # Four trends and the sources' bars, each an accessible SVG with its numbers beside it.
    assert html.count('<figure class="chart-figure">') == 5
    assert html.count('role="img"') == 5
    response = manager_client.get(URL, {"group": history[2].slug})
    lines = {key: line for key, _label, _table, line in response.context["sections"]}
    assert lines["traffic"] is None and lines["engagement"] is not None  # posts by category


def test_a_group_filter_keeps_to_its_categories(manager_client, history):
    _general, board, group = history
    response = manager_client.get(URL, {"group": group.slug})
    rows = {
        row.key: row for _key, _label, table, _line in response.context["sections"] for row in table
    }
    assert rows["replies"].current == 7  # ben's, in the board's category only
    assert rows["pageviews"].current is None  # no breakdown by group
    response = manager_client.get(URL, {"category": board.pk, "from": "2000-01-01"})
    assert response.context["form"].errors["from"]  # over five years: said, not crashed
    assert response.status_code == 200


def test_every_table_downloads_as_safe_csv(manager_client, history):
    for table in (
        *("traffic", "stickiness", "engagement", "membership", "sources"),
        *("months", "cohorts", "discussions"),
    ):
        response = manager_client.get(URL, {"format": "csv", "table": table})
        assert response.status_code == 200, table
        assert response["Content-Type"] == "text/csv; charset=utf-8"
    response = manager_client.get(URL, {"format": "csv", "table": "referrers"})
    rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert rows[0] == ["Name", "This period", "Previous period", "Change (%)"]
    assert rows[1] == ["'=HYPERLINK(evil)", "7", "0", ""]
    assert manager_client.get(URL, {"format": "csv", "table": "nope"}).status_code == 404


def test_a_fixed_number_of_queries_whatever_the_period(manager_client, history):
    _general, _board, group = history
    manager_client.get(URL)  # warm the session

    def queries(**query) -> int:
        with CaptureQueriesContext(connection) as context:
            assert manager_client.get(URL, query).status_code == 200
        return len(context)

    week = queries(**{"from": "2026-01-01", "to": "2026-01-07"})
    # The session, the filters' choices, the reads of the aggregates (the overview, the
    # membership tables, the discussions and the topics shown).
    assert week <= 30
    assert queries(**{"from": "2024-01-01", "to": "2026-12-31"}) == week
    # Filtered: the group and its categories are read; traffic tables are not.
    filtered = queries(group=group.slug, **{"from": "2026-01-01", "to": "2026-01-07"})
    assert queries(group=group.slug, **{"from": "2024-01-01", "to": "2026-12-31"}) == filtered
    assert filtered <= week


def test_the_form_shows_the_period_it_used(manager_client, today):
    html = manager_client.get(URL).content.decode()
    start = (today - timedelta(days=29)).isoformat()
    assert f'name="from" value="{start}"' in html
    assert f'name="to" value="{today.isoformat()}"' in html
    html = manager_client.get(URL, {"from": "2026-02-01", "to": "2026-01-01"}).content.decode()
    assert 'name="from" value="2026-02-01"' in html  # what was typed, with its error
    assert "The start date must not be after the end date." in html


def test_the_overview_reads_each_aggregate_once(
    manager_client, history, django_assert_max_num_queries
):
    """The daily figures (report, trends, membership by month) and the members lost are
    read once per page, and passed along."""
    manager_client.get(URL)  # warm the session
    week = {"from": "2026-01-01", "to": "2026-01-07"}
    # Cold: the distinct members of the week and the week before are counted (one query
    # each), after reading the version of the member rows that keys their cache (one each).
    with django_assert_max_num_queries(26) as captured:
        assert manager_client.get(URL, week).status_code == 200
    reads = [query["sql"] for query in captured.captured_queries]
    daily = [sql for sql in reads if 'FROM "analytics_dailymetric"' in sql]
    assert len(daily) == 3  # the period's figures; page views by source and by referrer
    assert sum('FROM "analytics_membertenure"' in sql for sql in reads) == 2  # left, silent
