"""SMART goals: progress and forecast worked out by hand, the pages, the API, bad input."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.analytics.conftest import event, person, view
from tests.api.conftest import Api
from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.analytics import goal_actions, goals, rollups
from townsquare.analytics.models import DailyMetric, Goal
from townsquare.moderation.models import AuditEntry

pytestmark = pytest.mark.django_db
START = date(2026, 3, 1)
DAY_10 = START + timedelta(days=9)  # "today": the tenth day of the goal
DAY_30 = START + timedelta(days=29)  # the deadline: the thirtieth day
URL = "/manage/analytics/goals/"


@pytest.fixture
def manager(guidelines):
    return make_member("maja", guidelines, role=Role.MANAGER)


@pytest.fixture
def manager_client(manager) -> Client:
    client = Client()
    client.force_login(manager)
    return client


def goal(owner, metric: str, target, *, start=START, deadline=DAY_30, **extra) -> Goal:
    return goal_actions.create_goal(
        owner, metric=metric, target=target, start=start, deadline=deadline, owner=owner, **extra
    )


def test_the_least_squares_line_extrapolated_to_the_deadline():
    # 10, 12, ..., 28 on days 0..9: the line is 10 + 2x; day 30 is x = 29: 10 + 58 = 68.
    series = [(START + timedelta(days=n), 10 + 2 * n) for n in range(10)]
    assert goals.least_squares([(n, 10 + 2 * n) for n in range(10)]) == (2, 10)
    assert goals.forecast(series, START, DAY_30) == 68
    # Noisy points: (0, 1), (1, 3), (2, 2): mean x 1, mean y 2, slope 0.5, intercept 1.5.
    assert goals.least_squares([(0, 1), (1, 3), (2, 2)]) == (0.5, 1.5)
    assert goals.forecast(series[:1], START, DAY_30) is None  # one point draws no line


def test_a_level_growing_two_a_day_forecasts_68_and_is_on_track(manager):
    # Weekly active members (a level: the current value is the latest day's).
    for n in range(10):
        DailyMetric.objects.create(day=START + timedelta(days=n), metric="wau", value=10 + 2 * n)
    on_track = goal(manager, "wau", 60)
    off_track = goal(manager, "wau", 70)
    ceiling = goal(manager, "wau", 60, direction="at_most")
    found = {p.goal: p for p in goals.progress_of(Goal.objects.all(), today=DAY_10)}
    assert (found[on_track].current, found[on_track].forecast) == (28, 68)
    assert found[on_track].status == "on_track" and found[on_track].on_track is True
    assert found[on_track].percent == round(100 * 28 / 60, 1)  # 46.7
    assert found[off_track].status == "off_track"
    assert found[ceiling].status == "off_track"  # 68 is above the ceiling of 60


def test_a_sum_counts_since_the_start_and_forecasts_its_running_total(manager):
    # Two page views a day for ten days: 20 so far; the running total 2, 4, ..., 20 is the
    # line 2 + 2x, which reaches 2 + 2 * 29 = 60 on day 30.
    for n in range(10):
        for visitor in ("a", "b"):
            view(START + timedelta(days=n), f"{visitor}{n}")
    view(START - timedelta(days=1), "before the start")
    rollups.rollup(START + timedelta(days=n) for n in range(-1, 10))
    reached = goal(manager, "pageviews", 60)
    short = goal(manager, "pageviews", Decimal("60.5"))
    found = {p.goal: p for p in goals.progress_of(Goal.objects.all(), today=DAY_10)}
    assert (found[reached].current, found[reached].forecast) == (20, 60)
    assert found[reached].window.start == START
    assert found[reached].status == "on_track"
    assert found[short].status == "off_track"


def test_a_total_is_never_forecast_below_what_is_counted(manager):
    # Nothing for nine days, then 90 sign-ups on the tenth. The running total is 0 (x = 0..8)
    # and 90 (x = 9): mean x 4.5, mean y 9, Sxx 82.5, Sxy 4.5 * 81 + 9 * 4.5 = 405, so the
    # slope is 405 / 82.5 = 4.909 and the intercept 9 - 4.909 * 4.5 = -13.09. Day 30 (x = 29):
    # 129.27, on track for 100. A deadline on day 11 (x = 10): 36, below the 90 already
    # counted, so the forecast is 90: off track.
    DailyMetric.objects.create(day=DAY_10, metric="new_members", value=90)
    late = goal(manager, "new_members", 100)
    soon = goal(manager, "new_members", 100, deadline=DAY_10 + timedelta(days=1))
    found = {p.goal: p for p in goals.progress_of(Goal.objects.all(), today=DAY_10)}
    assert found[late].forecast == 129.27 and found[late].status == "on_track"
    assert found[soon].forecast == 90 and found[soon].status == "off_track"


def test_a_rate_is_read_over_the_latest_30_days(manager):
    # Engagement rate: contributors ÷ active members in the 30 days ending today.
    today = START + timedelta(days=39)
    ann, ben, cai = person(), person(), person()
    event(ann, "post.created", today - timedelta(days=2))
    view(today - timedelta(days=3), "k-ben", user=ben)  # active, contributes nothing
    view(START + timedelta(days=2), "k-cai", user=cai)  # before the latest 30 days
    rollups.rollup([today - timedelta(days=2), today - timedelta(days=3), START + timedelta(2)])
    rate = goal(manager, "engagement_rate", 80, deadline=START + timedelta(days=90))
    [found] = goals.progress_of([rate], today=today)
    assert found.window.start == today - timedelta(days=29) and found.window.end == today
    assert found.current == 50.0  # ann of ann and ben
    # The daily rates since the start: 0 everywhere but 100 on ann's day (the line is flat
    # and low): off track for 80.
    assert found.status == "off_track"


def test_before_the_start_and_after_the_deadline(manager):
    for n in range(40):
        DailyMetric.objects.create(day=START + timedelta(days=n), metric="new_members", value=1)
    later = goal(manager, "new_members", 5, start=DAY_30, deadline=DAY_30 + timedelta(days=9))
    met = goal(manager, "new_members", 30)
    missed = goal(manager, "new_members", 31)
    found = {p.goal: p for p in goals.progress_of(Goal.objects.all(), today=DAY_30 + timedelta(5))}
    assert found[later].current == 6  # its first six days, one a day
    assert (found[met].current, found[met].status) == (30, "met")
    assert (found[missed].forecast, found[missed].status) == (30, "missed")
    [waiting] = goals.progress_of([later], today=START)
    assert (waiting.status, waiting.current) == ("not_started", None)


def test_bad_goals_are_refused_with_the_field_to_fix(manager, member):
    with pytest.raises(ValidationError) as error:
        goal(manager, "dau", 10, start=DAY_30, deadline=START)
    assert set(error.value.message_dict) == {"deadline"}
    with pytest.raises(ValidationError) as error:
        goal(manager, "karma", "ten")
    assert set(error.value.message_dict) == {"metric", "target"}
    with pytest.raises(ValidationError) as error:
        goal_actions.create_goal(
            manager, metric="dau", target=5, start=START, deadline=DAY_30, owner=member
        )
    assert set(error.value.message_dict) == {"owner"}  # members do not own goals
    with pytest.raises(ValidationError):
        goal(manager, "dau", "1e20")
    with pytest.raises(PermissionDenied):
        goal_actions.create_goal(
            member, metric="dau", target=5, start=START, deadline=DAY_30, owner=manager
        )
    assert not Goal.objects.exists()


def test_each_change_is_in_the_audit_log(manager):
    made = goal(manager, "dau", 10, note="Monday check-ins")
    goal_actions.update_goal(manager, made, target=Decimal("12"), note="Monday check-ins")
    goal_actions.delete_goal(manager, made)
    entries = list(
        AuditEntry.objects.filter(action__startswith="goal.")
        .order_by("id")
        .values("action", "before", "after")
    )
    assert [e["action"] for e in entries] == ["goal.created", "goal.updated", "goal.deleted"]
    assert entries[0]["after"]["target"] == "10.00"
    assert (entries[1]["before"], entries[1]["after"]) == (
        {"target": "10.00"},
        {"target": "12.00"},
    )
    assert entries[2]["before"]["owner"] == "@maja"
    assert not Goal.objects.exists()


def test_only_managers_and_admins_see_the_pages(client, member_client, admin_member_client):
    for path in (URL, URL + "new/", URL + "?format=csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert member_client.get(path).status_code == 403
        assert admin_member_client.get(path).status_code == 200
    assert member_client.post(URL + "new/", {"metric": "dau"}).status_code == 403


def test_a_manager_sets_changes_and_deletes_a_goal(manager_client, manager):
    form = {
        "metric": "posts",
        "direction": "at_least",
        "target": "120",
        "start": "2026-03-01",
        "deadline": "2026-02-01",
        "owner": "maja",
        "note": "Spring push",
    }
    response = manager_client.post(URL + "new/", form)
    assert response.status_code == 200  # shown again, with what was typed
    html = response.content.decode()
    assert "The deadline must be after the start date." in html
    assert 'value="2026-02-01"' in html and "Spring push" in html
    assert not Goal.objects.exists()
    response = manager_client.post(URL + "new/", form | {"owner": "someone-else"})
    assert "Select a valid choice" in response.content.decode()
    response = manager_client.post(URL + "new/", form | {"deadline": "2026-06-30"})
    assert response.status_code == 302
    made = Goal.objects.get()
    assert (made.metric, made.target, made.owner) == ("posts", Decimal("120.00"), manager)
    response = manager_client.get(URL)
    html = response.content.decode()
    assert "Spring push" in html and "≥&nbsp;120" in html and 'href="/u/maja/"' in html
    edit = f"{URL}{made.pk}/"
    assert 'value="120.00"' in manager_client.get(edit).content.decode()
    assert manager_client.post(edit, form | {"deadline": "2026-07-31"}).status_code == 302
    made.refresh_from_db()
    assert made.deadline == date(2026, 7, 31)
    assert manager_client.get(f"{URL}{made.pk + 1}/").status_code == 404
    assert manager_client.post(f"{edit}delete/").status_code == 302
    assert not Goal.objects.exists()


def test_forms_need_the_csrf_token(manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    made = goal(manager, "dau", 10)
    assert client.post(f"{URL}{made.pk}/delete/").status_code == 403
    assert Goal.objects.filter(pk=made.pk).exists()


def test_the_goals_table_downloads_as_safe_csv(manager_client, manager):
    goal(manager, "posts", 50, note="=cmd|' /C calc'!A0")
    response = manager_client.get(URL, {"format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert rows[0][:3] == ["Metric", "Direction", "Target"]
    assert rows[1][0] == "posts" and rows[1][2] == "50.00"
    assert rows[1][-1] == "'=cmd|' /C calc'!A0"


def test_the_overview_shows_the_goals_and_the_list_costs_fixed_queries(manager_client, manager):
    goal(manager, "posts", 50, start=date(2026, 1, 1), deadline=date(2027, 1, 1))
    assert "<caption>Goals" in manager_client.get("/manage/analytics/").content.decode()

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert manager_client.get(URL).status_code == 200
        return len(context)

    one = queries()
    for metric in ("pageviews", "mau", "dau_mau", "replies", "new_members"):
        goal(manager, metric, 50, start=date(2026, 1, 1), deadline=date(2027, 1, 1))
    assert queries() == one


def test_the_api_lists_goals_with_progress_for_managers(manager, member):
    for n in range(30):
        DailyMetric.objects.create(day=START + timedelta(days=n), metric="wau", value=10 + 2 * n)
    made = goal(manager, "wau", 60, start=START, deadline=DAY_30)
    api = Api(manager)
    response = api.get("/goals")
    assert response.status_code == 200, response.content
    [body] = response.json()
    assert (body["id"], body["metric"], body["owner"], body["target"]) == (
        made.pk,
        "wau",
        "maja",
        60.0,
    )
    # The deadline has passed (the test runs later): the deadline's level, 10 + 2 * 29.
    assert (body["current"], body["forecast"], body["status"]) == (68, 68, "met")
    assert body["on_track"] is True and body["progress"] == round(100 * 68 / 60, 1)
    assert api.get(f"/goals/{made.pk}").json()["id"] == made.pk
    assert api.get(f"/goals/{made.pk + 1}").status_code == 404
    outsider = Api(member)
    assert outsider.get("/goals").status_code == 403
    assert outsider.get(f"/goals/{made.pk}").status_code == 403  # someone else's goal
    assert Api().get("/goals").status_code == 401
