"""GET /api/v1/metrics: a series per day and the period's figure, for managers only."""

from datetime import date, timedelta

import pytest

from tests.analytics.conftest import event, person
from tests.api.conftest import Api
from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.analytics import rollups
from townsquare.forum.models import Category
from townsquare.groups import actions as group_actions

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 31)


@pytest.fixture
def api(guidelines) -> Api:
    return Api(make_member("maja", guidelines, role=Role.MANAGER))


def test_a_series_per_day_and_the_total(api):
    board = Category.objects.create(name="Board", slug="board")
    group = group_actions.create_group(None, name="Board members")
    board.read_groups.add(group)
    ann = person()
    event(ann, "post.created", DAY - timedelta(days=1), category=board.pk)
    event(ann, "post.created", DAY, category=board.pk)
    event(ann, "post.created", DAY, category=99999)  # another category
    rollups.rollup([DAY - timedelta(days=1), DAY])
    response = api.get("/metrics", metric="replies", **{"from": "2026-03-30", "to": "2026-03-31"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["from"] == "2026-03-30" and body["to"] == "2026-03-31"
    assert body["total"] == 3
    assert body["series"] == [
        {"day": "2026-03-30", "value": 1},
        {"day": "2026-03-31", "value": 2},
    ]
    assert body["definition"] == "Replies written in existing topics."
    grouped = api.get(
        "/metrics", metric="replies", group=group.slug, **{"from": "2026-03-30", "to": "2026-03-31"}
    ).json()
    assert (grouped["group"], grouped["total"]) == (group.slug, 2)
    pageviews = api.get("/metrics", metric="pageviews", group=group.slug).json()
    assert pageviews["total"] is None and pageviews["series"] == []


def test_the_default_period_is_the_last_30_days(api):
    body = api.get("/metrics", metric="dau_mau").json()
    start, end = date.fromisoformat(body["from"]), date.fromisoformat(body["to"])
    assert (end - start).days == 29 and len(body["series"]) == 30
    assert body["total"] == 0.0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"metric": "happiness"}, "metric"),
        ({"metric": "dau", "from": "yesterday"}, "from"),
        ({"metric": "dau", "from": "2026-03-31", "to": "2026-03-01"}, "from"),
        ({"metric": "dau", "group": "no-such-group"}, "group"),
    ],
)
def test_clear_errors(api, query, field):
    response = api.get("/metrics", **query)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert response.json()["detail"]


def test_members_and_visitors_may_not(guidelines):
    assert Api(make_member("bob", guidelines)).get("/metrics", metric="dau").status_code == 403
    assert Api().get("/metrics", metric="dau").status_code == 401


def test_members_lost_and_net_growth_through_the_api(api):
    """Inactive after 90 days (the default). Ann joins 1 Jan and is last active that day:
    lost on 1 April. Ben joins 2 April. 1–2 April: new 0 and 1, lost 1 and 0 — net −1 and
    1, net over the two days 0."""
    ann, ben = person(), person()
    event(ann, "member.signed_up", date(2026, 1, 1))
    event(ben, "member.signed_up", date(2026, 4, 2))
    rollups.rollup([date(2026, 1, 1), date(2026, 4, 2)])
    window = {"from": "2026-04-01", "to": "2026-04-02"}
    lost = api.get("/metrics", metric="members_lost", **window).json()
    assert lost["total"] == 1
    assert [point["value"] for point in lost["series"]] == [1, 0]
    net = api.get("/metrics", metric="net_growth", **window).json()
    assert (net["total"], [point["value"] for point in net["series"]]) == (0, [-1, 1])
