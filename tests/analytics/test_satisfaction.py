"""Satisfaction: NPS and CSAT worked out by hand from small sets of answers, the page
(managers only, CSV, fixed queries) and the API."""

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.analytics.conftest import person
from tests.api.conftest import Api
from tests.conftest import make_member
from townsquare.accounts.models import Role, User
from townsquare.analytics import metrics, satisfaction
from townsquare.analytics.periods import Period
from townsquare.surveys import actions
from townsquare.surveys.models import SurveyAnswer

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 31)
MARCH = Period(date(2026, 3, 1), DAY)  # 31 days; the previous period is 2026-01-29..02-28
URL = "/manage/analytics/satisfaction/"


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def nps(member: User | None, score: int, day: date, hour: int = 12, comment: str = ""):
    if member is None:  # a deleted member's answer: written, then its member let go
        answer = actions.answer(None, "nps", score, comment, member=person(), at=at(day, hour))
        SurveyAnswer.objects.filter(pk=answer.pk).update(member=None)
        return answer
    return actions.answer(None, "nps", score, comment, member=member, at=at(day, hour))


def csat(member: User, score: int, day: date, topic: int, comment: str = ""):
    return actions.answer(
        None, "csat", score, comment, context=f"topic:{topic}", member=member, at=at(day)
    )


def test_nps_five_promoters_three_passives_two_detractors_is_30():
    for score in (10, 10, 9, 9, 9, 8, 7, 7, 6, 0):
        nps(person(), score, DAY - timedelta(days=3))
    # 5 of 10 promoters = 50 %, 2 of 10 detractors = 20 %: NPS 50 − 20 = 30.
    assert metrics.series("nps", MARCH).total == 30


def test_each_members_latest_answer_in_the_period_counts_once():
    ann, ben = person(), person()
    nps(ann, 2, date(2026, 3, 2))  # replaced by her later answer in March
    nps(ann, 10, date(2026, 3, 20))
    nps(ben, 5, date(2026, 3, 21))
    nps(ben, 1, date(2026, 3, 21), hour=9)  # earlier the same day: not his latest
    # Ann a promoter, Ben a detractor: 50 % − 50 % = 0, not 2 answers of 4.
    assert metrics.series("nps", MARCH).total == 0
    # In February Ann alone answered, 9: 100 % promoters.
    nps(ann, 9, date(2026, 2, 10))
    tables = satisfaction.rows(MARCH)
    row = next(r for r in tables["summary"] if r.key == "nps")
    assert (row.current, row.previous) == (0, 100)


def test_deleted_members_answers_each_count():
    nps(None, 10, DAY)
    nps(None, 0, DAY)
    nps(None, 0, DAY)
    # 1 promoter and 2 detractors of 3: 33.33 − 66.67 = −33.33 (rounded shares).
    assert metrics.series("nps", MARCH).total == pytest.approx(-33.34, abs=0.01)


def test_dismissals_and_answers_outside_the_period_do_not_count():
    ann = person()
    actions.dismiss(None, "nps", member=ann, at=at(DAY))
    nps(person(), 0, date(2026, 4, 1))  # the day after the period
    nps(person(), 10, date(2026, 1, 28))  # before the previous period
    assert metrics.series("nps", MARCH).total is None  # no answers: no score
    nps(person(), 7, DAY)
    assert metrics.series("nps", MARCH).total == 0  # one passive: 0 − 0


def test_csat_is_the_share_of_fours_and_fives():
    for n, score in enumerate((5, 4, 4, 3, 1)):
        csat(person(), score, DAY, topic=n + 1)
    # 3 of 5 answers are 4 or 5: 60 %.
    assert metrics.series("csat", MARCH).total == 60
    # A member's ratings of two topics both count (no once-per-member rule for CSAT).
    ann = person()
    csat(ann, 1, DAY, topic=10)
    csat(ann, 1, DAY, topic=11)
    assert metrics.series("csat", MARCH).total == pytest.approx(3 / 7 * 100, abs=0.01)


def test_nps_groups_and_response_counts():
    for score in (10, 9, 8, 3):
        nps(person(), score, DAY)
    actions.dismiss(None, "nps", member=person(), at=at(DAY))
    csat(person(), 5, DAY, topic=1)
    nps(person(), 9, date(2026, 2, 1))  # previous period
    tables = satisfaction.rows(MARCH)
    groups = {row.key: (row.current, row.previous) for row in tables["groups"]}
    assert groups["high_count"] == (2, 1) and groups["middle_count"] == (1, 0)
    assert groups["low_count"] == (1, 0)
    assert groups["high_share"] == (50, 100) and groups["low_share"] == (25, 0)
    counts = [(row.current, row.previous) for row in tables["summary"]]
    # NPS 50 − 25 = 25 (previous 100), CSAT 100, 4 answers, 1 "not now", 1 CSAT answer.
    assert counts == [(25, 100), (100, None), (4, 1), (1, 0), (1, 0)]


def test_monthly_trend_counts_each_members_latest_answer_of_the_month():
    ann, ben = person(), person()
    nps(ann, 10, date(2026, 1, 5))
    nps(ben, 0, date(2026, 1, 6))  # January: 50 − 50 = 0
    nps(ann, 9, date(2026, 2, 3))
    nps(ann, 3, date(2026, 2, 20))  # February: Ann's latest is 3: −100
    csat(ben, 5, date(2026, 2, 21), topic=1)  # February CSAT 100
    months = satisfaction.monthly(MARCH)
    assert (months[0][0], months[-1][0], len(months)) == (date(2025, 4, 1), date(2026, 3, 1), 12)
    by_month = {m: (n.nps, n.answers, c.csat) for m, n, c in months}
    assert by_month[date(2026, 1, 1)] == (0, 2, None)
    assert by_month[date(2026, 2, 1)] == (-100, 1, 100)
    assert by_month[date(2026, 3, 1)] == (None, 0, None)


def test_monthly_trend_ties_deleted_members_and_csat_by_hand():
    ann, ben = person(), person()
    nps(ann, 10, date(2026, 3, 2), hour=9)
    nps(ann, 2, date(2026, 3, 2), hour=9)  # the same moment: the later row is Ann's latest
    nps(None, 9, date(2026, 3, 3))  # a deleted member's answers each count
    nps(None, 10, date(2026, 3, 4))
    csat(ben, 5, date(2026, 3, 5), topic=1)  # every CSAT answer counts
    csat(ben, 2, date(2026, 3, 5), topic=2)
    nps(ben, 7, date(2026, 2, 28), hour=23)  # February's, not March's
    # March: 3 answers, promoters 2 (66.67 per cent), detractors 1 (33.33): NPS 33.34;
    # CSAT 1 of 2 = 50. February: one passive, NPS 0.
    months = satisfaction.monthly(MARCH)
    by_month = {m: (n.nps, n.answers, n.middle, c.csat, c.answers) for m, n, c in months}
    assert by_month[date(2026, 3, 1)] == (33.34, 3, 0, 50, 2)
    assert by_month[date(2026, 2, 1)] == (0, 1, 1, None, 0)
    assert metrics.series("nps", MARCH).total == 33.34
    assert metrics.series("csat", MARCH).total == 50


def test_a_category_filter_has_no_satisfaction_figure():
    nps(person(), 10, DAY)
    assert metrics.series("nps", MARCH, categories=[1]).total is None
    assert metrics.series("csat", MARCH, categories=[1]).total is None


# --- The page ---------------------------------------------------------------------------


@pytest.fixture
def manager_client(guidelines) -> Client:
    client = Client()
    client.force_login(make_member("maja", guidelines, role=Role.MANAGER))
    return client


@pytest.fixture
def answers():
    ann = User.objects.create(handle="ann", email="ann@example.com", display_name="Ann Answer")
    nps(ann, 10, DAY, comment='=HYPERLINK("http://evil")')
    nps(person(), 6, DAY, comment="Too slow")
    nps(person(), 8, DAY)
    csat(ann, 4, DAY, topic=7, comment="Thanks 谢谢")
    return ann


QUERY = "?from=2026-03-01&to=2026-03-31"


def test_only_managers_and_admins_see_it(client, member_client, admin_member_client):
    assert client.get(URL).status_code == 302  # to sign in
    assert "/accounts/login/" in client.get(URL)["Location"]
    assert member_client.get(URL).status_code == 403
    assert member_client.get(URL + "?format=csv&table=comments").status_code == 403
    assert admin_member_client.get(URL).status_code == 200


def test_the_page_shows_the_figures_the_trend_and_the_comments(manager_client, answers):
    response = manager_client.get(URL + QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    rows = {row.key: row for row in response.context["summary"]}
    # 1 promoter, 1 passive, 1 detractor: 33.33 − 33.33 = 0. CSAT 1 of 1: 100.
    assert rows["nps"].current == 0 and rows["csat"].current == 100
    assert "<caption>Satisfaction " in html and "Promoters (9–10)" in html
    assert 'class="chart line-chart"' in html or "<svg" in html
    assert "NPS and CSAT by month" in html
    assert "Ann Answer" in html and "Too slow" in html and "Thanks 谢谢" in html
    assert 'aria-current="page">Satisfaction' in html
    assert (
        'href="/manage/analytics/satisfaction/"'
        in manager_client.get("/manage/analytics/").content.decode()
    )


def test_a_filter_says_the_figures_are_not_filtered(manager_client, answers, community):
    from townsquare.forum.models import Category

    category = Category.objects.create(name="General", slug="general")
    html = manager_client.get(URL + QUERY + f"&category={category.pk}").content.decode()
    assert "the figures below are not filtered" in html


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_every_table_as_csv(manager_client, answers):
    summary = read_csv(manager_client.get(URL + QUERY + "&format=csv&table=summary"))
    assert summary[0] == ["Name", "This period", "Previous period", "Change (%)"]
    assert summary[1][:2] == ["Net Promoter Score (NPS)", "0"]
    assert summary[2][:2] == ["Satisfaction (CSAT)", "100 %"]
    groups = read_csv(manager_client.get(URL + QUERY + "&format=csv&table=groups"))
    assert groups[1][:2] == ["Promoters (9–10)", "1"]
    months = read_csv(manager_client.get(URL + QUERY + "&format=csv&table=months"))
    assert months[0] == ["Month", "NPS", "NPS answers", "CSAT (per cent)", "CSAT answers"]
    assert months[-1] == ["2026-03", "0", "3", "100", "1"] and len(months) == 13
    comments = read_csv(manager_client.get(URL + QUERY + "&format=csv&table=comments"))
    assert comments[0][-1] == "Comment"
    by_comment = {row[-1]: row for row in comments[1:]}
    # Formula injection: a cell that starts with = is written as text.
    assert '\'=HYPERLINK("http://evil")' in by_comment
    assert by_comment["Thanks 谢谢"][1:4] == ["csat", "4", "Ann Answer"]
    assert manager_client.get(URL + "?format=csv&table=nope").status_code == 404


def test_the_page_runs_a_fixed_number_of_queries(manager_client, answers):
    manager_client.get(URL + QUERY)
    with CaptureQueriesContext(connection) as few:
        manager_client.get(URL + QUERY)
    for n in range(30):
        member = person()
        nps(member, n % 11, DAY - timedelta(days=n), comment=f"Comment {n}")
        csat(member, 1 + n % 5, DAY - timedelta(days=40 + n), topic=100 + n)
    with CaptureQueriesContext(connection) as many:
        response = manager_client.get(URL + QUERY)
    assert response.status_code == 200
    assert len(many) == len(few)


def test_the_api_serves_nps_and_csat(guidelines, answers):
    api = Api(make_member("mia", guidelines, role=Role.MANAGER))
    body = api.get("/metrics", metric="nps", **{"from": "2026-03-01", "to": "2026-03-31"}).json()
    assert body["total"] == 0 and body["series"] == []
    assert "promoters" in body["definition"]
    body = api.get("/metrics", metric="csat", **{"from": "2026-03-01", "to": "2026-03-31"}).json()
    assert body["total"] == 100
    member_api = Api(make_member("molly", guidelines))
    assert member_api.get("/metrics", metric="nps").status_code == 403
