"""Revenue: CRM accounts of members active in the period against those of members who
were not; every figure worked out by hand from a small history."""

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.analytics.conftest import event
from tests.api.conftest import Api
from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.analytics import crm_actions, metrics, revenue, rollups
from townsquare.analytics.models import CrmAccount
from townsquare.analytics.periods import Period

pytestmark = pytest.mark.django_db
URL = "/manage/analytics/revenue/"
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))  # the previous period: Jan 29 – Feb 28
QUERY = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def manager(guidelines):
    return make_member("maja", guidelines, role=Role.MANAGER)


@pytest.fixture
def manager_client(manager) -> Client:
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture
def history(guidelines, manager):
    """Ann and Ben are active in March, Cat and Dan only in February.

    Accounts: Ann 100, Ben 300 (churned on 15 March), Cat 100, Dan 100, and one account
    whose address belongs to no member."""
    ann, ben, cat, dan = (make_member(h, guidelines) for h in ("ann", "ben", "cat", "dan"))
    for member in (ann, ben):
        event(member, "post.created", date(2026, 3, 10))
    for member in (cat, dan):
        event(member, "post.created", date(2026, 2, 10))
    rollups.rollup([date(2026, 2, 10), date(2026, 3, 10)])
    crm_import, report = crm_actions.import_items(
        manager,
        [
            {"crm_id": "A-1", "email": "ANN@example.com", "account_value": 100},
            {"crm_id": "A-2", "email": "ben@example.com", "account_value": "300.00",
             "status": "churned", "churned_on": "2026-03-15"},
            {"email": "cat@example.com", "account_value": "100"},
            {"email": "dan@example.com", "account_value": "100,00"},
            {"email": "nobody@elsewhere.example", "account_value": "5000"},
        ],
    )  # fmt: skip
    assert crm_import is not None, report.row_errors
    return ann, ben, cat, dan


def test_active_against_inactive_worked_by_hand(history):
    now, before = revenue.compare(MARCH, MARCH.previous())
    # March: active Ann 100 + Ben 300 → 200; inactive Cat 100 + Dan 100 → 100.
    assert (now.active.accounts, now.active.average_value) == (2, 200.0)
    assert (now.inactive.accounts, now.inactive.average_value) == (2, 100.0)
    assert now.value_uplift == 100.0  # (200 − 100) ÷ 100 × 100
    # Ben churned on 15 March: 1 of 2 active accounts kept; both inactive ones kept.
    assert (now.active.retention, now.inactive.retention) == (50.0, 100.0)
    assert now.retention_uplift == -50.0  # (50 − 100) ÷ 100 × 100
    assert now.unmatched == 1
    # February: Cat and Dan active (100), Ann and Ben not (200); Ben still a customer.
    assert (before.active.average_value, before.inactive.average_value) == (100.0, 200.0)
    assert before.value_uplift == -50.0
    assert (before.active.retention, before.inactive.retention) == (100.0, 100.0)
    assert before.retention_uplift == 0.0


def test_which_accounts_count_in_a_period(guidelines, manager):
    """Customers during the period only; a churned account without a date is lost."""
    eve, fay, gus = (make_member(h, guidelines) for h in ("eve", "fay", "gus"))
    for member in (eve, fay, gus):
        event(member, "post.created", date(2026, 3, 10))
    rollups.rollup([date(2026, 3, 10)])
    crm_actions.import_items(
        manager,
        [
            # Gone before March began: not a customer in March.
            {"email": "eve@example.com", "account_value": 1000, "churned_on": "2026-02-01"},
            # Became a customer after March: not yet one.
            {"email": "fay@example.com", "account_value": 1000, "customer_since": "2026-04-01"},
            # Churned, date unknown: counted, and lost.
            {"email": "gus@example.com", "account_value": 40, "status": "churned"},
        ],
    )
    (now,) = revenue.compare(MARCH)
    assert (now.active.accounts, now.active.average_value, now.active.retention) == (1, 40.0, 0.0)
    assert (now.inactive.accounts, now.inactive.average_value) == (0, None)
    assert now.value_uplift is None  # nothing to compare against


def test_uplift_formula():
    assert revenue.uplift(200, 100) == 100.0
    assert revenue.uplift(150, 200) == -25.0
    assert revenue.uplift(100, 0) is None
    assert revenue.uplift(None, 100) is None


def test_headline_metrics_in_the_registry_and_the_api(history, manager):
    for key in ("revenue_uplift", "revenue_active_value", "revenue_active_retention"):
        assert metrics.METRICS[key].section == "revenue"
    assert metrics.series("revenue_uplift", MARCH).total == 100.0
    assert metrics.series("revenue_inactive_value", MARCH).total == 100.0
    assert metrics.series("revenue_uplift", MARCH, categories=[1]).total is None
    response = Api(manager).get("/metrics", metric="revenue_uplift", **QUERY)
    assert response.status_code == 200, response.content
    assert response.json()["total"] == 100.0 and response.json()["series"] == []


def test_only_managers_and_admins_see_the_page(client, member_client, admin_member_client):
    assert client.get(URL).status_code == 302  # to sign in
    assert "/accounts/login/" in client.get(URL)["Location"]
    assert member_client.get(URL).status_code == 403
    assert member_client.get(URL, {"format": "csv", "table": "revenue"}).status_code == 403
    assert admin_member_client.get(URL).status_code == 200


def test_the_page_shows_the_numbers_chart_and_unmatched_link(manager_client, history):
    response = manager_client.get(URL, QUERY)
    assert response.status_code == 200
    rows = {row.key: row for row in response.context["rows"]}
    assert (rows["revenue_active_value"].current, rows["revenue_inactive_value"].current) == (
        200.0,
        100.0,
    )
    assert (rows["revenue_uplift"].current, rows["revenue_uplift"].previous) == (100.0, -50.0)
    html = response.content.decode()
    assert "<svg" in html and "Average account value (USD)" in html
    assert 'href="/manage/analytics/revenue/unmatched/"' in html
    assert "1 CRM account is not matched to a member" in html
    assert 'aria-current="page">Revenue</a>' in html
    overview = manager_client.get("/manage/analytics/").content.decode()
    assert 'href="/manage/analytics/revenue/"' in overview


def test_a_filter_shows_dashes_not_unfiltered_figures(manager_client, history):
    from townsquare.forum.models import Category

    general = Category.objects.create(name="General", slug="general")
    response = manager_client.get(URL, QUERY | {"category": general.pk})
    assert response.status_code == 200
    assert all(row.current is None for row in response.context["rows"])


def test_the_table_as_csv(manager_client, history):
    response = manager_client.get(URL, QUERY | {"format": "csv", "table": "revenue"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Name,This period,Previous period,Change (%)"
    assert '"Average account value, active members",200,100,100' in lines
    assert '"Average account value, inactive members",100,200,-50' in lines
    assert "Account value uplift,100 %,-50 %,-300" in lines
    assert manager_client.get(URL, {"format": "csv", "table": "nope"}).status_code == 404


def test_the_page_runs_a_fixed_number_of_queries(manager_client, manager, history, guidelines):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert manager_client.get(URL, QUERY).status_code == 200
        return len(queries)

    count()  # the first request also fills per-process caches
    few = count()
    more = [make_member(f"extra{n}", guidelines) for n in range(15)]
    for member in more:
        event(member, "post.created", date(2026, 3, 12))
    rollups.rollup([date(2026, 3, 12)])
    crm_actions.import_items(
        manager, [{"email": m.email, "account_value": 10 * n} for n, m in enumerate(more)]
    )
    assert CrmAccount.objects.count() == 20
    assert count() == few


def test_a_demo_customer_since_29_february_renews_on_28_february():
    from townsquare.analytics import revenue_demo

    row = revenue_demo._row(
        "CRM-1", "leap@example.com", 100.0, date(2024, 2, 29), date(2026, 11, 27)
    )
    assert row["renewal_date"] == "2027-02-28"
    row = revenue_demo._row(
        "CRM-2", "may@example.com", 100.0, date(2023, 5, 31), date(2026, 11, 27)
    )
    assert row["renewal_date"] == "2027-05-31"
