"""Support metrics: hand-built questions, the facts the rollup keeps, the page, CSV, API.

Every expected figure below is worked out by hand from the history in ``questions``.
"""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.analytics.conftest import person
from tests.api.conftest import Api
from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.analytics import actions, rollups, support, support_rollup
from townsquare.analytics.models import QuestionFact
from townsquare.analytics.periods import Period
from townsquare.core import actions as core_actions
from townsquare.forum.actions import answers, categories, moderation, posting
from townsquare.forum.models import Category, CategoryKind, Topic

pytestmark = pytest.mark.django_db
URL = "/manage/analytics/support/"
DAY = date(2026, 3, 10)  # the questions' day; the period is the 7 days ending DAY + 6
PERIOD = {"from": "2026-03-10", "to": "2026-03-16"}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def ask(category: Category, asker, when: datetime, title: str = "How does it work?") -> Topic:
    return posting.create_topic(
        None, category, title=title, body="How does it work?", author=asker, created_at=when
    )


def reply(topic: Topic, author, when: datetime):
    return posting.create_post(
        None, topic, body="Like this, with a longer answer.", author=author, created_at=when
    )


@pytest.fixture
def people():
    asker, mia, max_ = person("asker"), person("mia"), person("max")
    staff = person("stella")
    former = person("fred")  # a moderator when he answered; a member now
    for moderator in (staff, former):
        moderator.role = Role.MODERATOR
        moderator.save(update_fields=["role"])
    return {"asker": asker, "mia": mia, "max": max_, "staff": staff, "former": former}


@pytest.fixture
def questions(people):
    """Q&A history on DAY (UTC):

    q1 08:00, mia replies 09:00 (1 h), her answer accepted 12:00 (4 h): members both.
    q2 08:00, the asker replies himself 08:30 (not a response), staff 10:00 (2 h, staff),
       max 11:00; max's answer accepted the next day 08:00 (24 h): solved by a member.
    q3 10:00, fred — a moderator then — replies 15:00 (5 h, staff) and his answer is
       accepted 20:00 (10 h): solved by staff.
    q4 12:00, only a reply by mia that was deleted: unanswered.
    q5 12:00, answered by mia, then deleted: left out.
    Also: a discussion topic (not a question), and q0, asked five days before the period
    and solved on DAY (counts on DAY's "solved" line only).
    """
    qa = Category.objects.create(name="Help", slug="help", kind=CategoryKind.QA)
    other_qa = Category.objects.create(name="Pomoc 帮助", slug="pomoc", kind=CategoryKind.QA)
    chat = Category.objects.create(name="Chat", slug="chat")
    p = people
    q1 = ask(qa, p["asker"], at(DAY, 8))
    answers.accept_answer(None, reply(q1, p["mia"], at(DAY, 9)), at=at(DAY, 12))
    q2 = ask(qa, p["asker"], at(DAY, 8))
    reply(q2, p["asker"], at(DAY, 8, 30))
    reply(q2, p["staff"], at(DAY, 10))
    answers.accept_answer(None, reply(q2, p["max"], at(DAY, 11)), at=at(DAY + timedelta(days=1), 8))
    q3 = ask(other_qa, p["asker"], at(DAY, 10))
    answers.accept_answer(None, reply(q3, p["former"], at(DAY, 15)), at=at(DAY, 20))
    q4 = ask(qa, p["asker"], at(DAY, 12))
    posting.delete_post(p["mia"], reply(q4, p["mia"], at(DAY, 13)))
    q5 = ask(qa, p["asker"], at(DAY, 12))
    reply(q5, p["mia"], at(DAY, 13))
    posting.delete_post(p["staff"], q5.posts.get(number=1))
    chat_topic = ask(chat, p["asker"], at(DAY, 9), title="Hello everyone")
    reply(chat_topic, p["mia"], at(DAY, 10))
    q0 = ask(qa, p["asker"], at(DAY - timedelta(days=5), 9))
    answers.accept_answer(None, reply(q0, p["mia"], at(DAY - timedelta(days=5), 10)), at=at(DAY, 9))
    # Fred steps down now, long after answering: he still counts as staff for q3.
    core_actions.assign_role(None, p["former"], Role.MEMBER)
    # Mia is promoted now: her earlier answers stay members' answers.
    core_actions.assign_role(None, p["mia"], Role.MODERATOR)
    actions.change_settings(None, cost_per_ticket=Decimal("30"), currency="EUR")
    rollups.rebuild()
    return {"qa": qa, "other_qa": other_qa, "chat": chat, "q0": q0, "q1": q1, "q2": q2,
            "q3": q3, "q4": q4, "q5": q5}  # fmt: skip


def test_the_facts_of_each_question(questions):
    facts = {fact.topic_id: fact for fact in QuestionFact.objects.all()}
    q = questions
    assert set(facts) == {q[k].pk for k in ("q0", "q1", "q2", "q3", "q4", "q5")}  # no chat
    assert facts[q["q1"].pk].first_response_at == at(DAY, 9)
    assert facts[q["q1"].pk].first_responder_staff is False  # mia, a member then
    assert facts[q["q2"].pk].first_response_at == at(DAY, 10)  # not the asker's 08:30
    assert facts[q["q2"].pk].first_responder_staff is True
    assert facts[q["q2"].pk].solver_staff is False
    assert facts[q["q2"].pk].solved_on == DAY + timedelta(days=1)
    assert (facts[q["q3"].pk].first_responder_staff, facts[q["q3"].pk].solver_staff) == (
        True,
        True,
    )
    assert facts[q["q4"].pk].first_response_at is None  # the only reply was deleted
    assert facts[q["q5"].pk].deleted is True


def test_the_period_figures_worked_out_by_hand(questions):
    period = Period(date(2026, 3, 10), date(2026, 3, 16))
    figures = support.summary(period, cost_per_ticket=Decimal("30"))
    # q1–q4 asked (q5 deleted, q0 asked before); q1, q2, q3 answered and solved.
    assert (figures.asked, figures.answered, figures.solved) == (4, 3, 3)
    assert figures.answered_share == 75.0 and figures.unanswered_share == 25.0
    assert figures.solved_share == 75.0
    # First responses after 1 h, 2 h, 5 h: the median is 2 h.
    assert figures.first_response_hours == 2.0
    # Solutions after 4 h, 24 h, 10 h: the median is 10 h.
    assert figures.solution_hours == 10.0
    # First responses: mia (member), staff, fred (staff then) → 1 of 3 by members.
    assert figures.first_by_members_share == 33.33
    # Accepted answers: mia, max (members), fred (staff) → 2 of 3, 2 × 30 = 60 saved.
    assert figures.solved_by_members_share == 66.67
    assert figures.cost_saved == 60.0
    asked, solved = support.per_day(period)
    assert asked[DAY] == 4 and sum(asked.values()) == 4
    # Solved on DAY: q1 (12:00), q3 (20:00) and q0 (asked earlier); q2 the next day.
    assert solved[DAY] == 3 and solved[DAY + timedelta(days=1)] == 1
    # By category: Help has q1, q2 (answered after 1 h and 2 h: an even count, so the
    # median is their mean, 1.5 h; solved after 4 h and 24 h: 14 h) and q4.
    help_, pomoc = questions["qa"].pk, questions["other_qa"].pk
    lines = support.summaries(period, by=support.BY_CATEGORY)
    assert set(lines) == {help_, pomoc}
    assert (lines[help_].asked, lines[help_].answered, lines[help_].solved) == (3, 2, 2)
    assert (lines[help_].first_response_hours, lines[help_].solution_hours) == (1.5, 14.0)
    assert (lines[pomoc].first_response_hours, lines[pomoc].solution_hours) == (5.0, 10.0)


def test_a_category_filter(questions):
    period = Period(date(2026, 3, 10), date(2026, 3, 16))
    figures = support.summary(period, [questions["other_qa"].pk])
    assert (figures.asked, figures.solved, figures.solution_hours) == (1, 1, 10.0)
    nothing = support.summary(period, [])
    assert (nothing.asked, nothing.answered_share, nothing.first_response_hours) == (0, None, None)


def test_rollups_are_idempotent_and_the_hourly_run_sees_late_answers(questions, people):
    def snapshot():
        return sorted(QuestionFact.objects.values_list())

    before = snapshot()
    rollups.rebuild()
    assert snapshot() == before
    rollups.rollup_recent()
    assert snapshot() == before
    q4 = questions["q4"]
    # A late (backdated) reply to q4, 3 h after it was asked, and q1 moved out of Q&A.
    reply(q4, people["max"], at(DAY, 15))
    moderation.move_topic(make_staff(), questions["q1"], questions["chat"])
    rollups.rollup_recent()
    fact = QuestionFact.objects.get(topic_id=q4.pk)
    assert fact.first_response_at == at(DAY, 15) and fact.first_responder_staff is False
    assert not QuestionFact.objects.filter(topic_id=questions["q1"].pk).exists()
    after = snapshot()
    rollups.rebuild()
    assert snapshot() == after  # the hourly run agrees with a rebuild


def make_staff():
    manager = person()
    manager.role = Role.MANAGER
    manager.save(update_fields=["role"])
    return manager


def test_touched_finds_questions_of_a_changed_category(questions):
    since = rollups.RollupState.objects.get().last_event_id
    categories.update_category(make_staff(), questions["chat"], kind=CategoryKind.QA)
    until = rollups._max_ids()[0]
    touched = support_rollup.touched(since, until)
    chat_topic = Topic.objects.get(category=questions["chat"])
    assert chat_topic.pk in touched
    support_rollup.refresh(touched)
    assert QuestionFact.objects.filter(topic_id=chat_topic.pk).exists()


# --- The page --------------------------------------------------------------------------


@pytest.fixture
def manager_client(guidelines) -> Client:
    client = Client()
    client.force_login(make_member("maja", guidelines, role=Role.MANAGER))
    return client


def test_only_managers_and_admins_see_it(client, member_client, admin_member_client):
    assert client.get(URL).status_code == 302  # to sign in
    assert "next=" in client.get(URL)["Location"]
    assert member_client.get(URL).status_code == 403
    assert member_client.get(URL, {"format": "csv", "table": "support"}).status_code == 403
    assert admin_member_client.get(URL).status_code == 200


def test_the_page_shows_the_figures(manager_client, questions):
    response = manager_client.get(URL, PERIOD)
    assert response.status_code == 200
    rows = {row.key: row for row in response.context["headline"]}
    assert rows["questions_asked"].current == 4
    assert rows["questions_answered_share"].current == 75.0
    assert rows["first_response_median_hours"].current == 2.0
    assert rows["support_cost_saved"].current == 60.0
    assert rows["support_cost_saved"].label == "Estimated support cost saved (EUR)"
    # The previous period (3–9 March) had q0: asked, answered after 1 h, solved by mia.
    assert rows["questions_asked"].previous == 1
    assert rows["support_cost_saved"].previous == 30.0
    html = response.content.decode()
    assert "Questions asked and solved per day" in html and 'role="img"' in html
    assert "Pomoc 帮助" in html  # the per-category table
    lines = {line.name: line.figures for line in response.context["categories"]}
    assert (lines["Help"].asked, lines["Help"].solved) == (3, 2)
    assert (lines["Pomoc 帮助"].asked, lines["Pomoc 帮助"].solved_by_members) == (1, 0)
    assert 'href="/manage/analytics/support/" aria-current="page"' in html
    filtered = manager_client.get(URL, PERIOD | {"category": questions["other_qa"].pk})
    rows = {row.key: row for row in filtered.context["headline"]}
    assert (rows["questions_asked"].current, rows["support_cost_saved"].current) == (1, 0.0)


def test_csv_of_both_tables(manager_client, questions):
    response = manager_client.get(URL, PERIOD | {"format": "csv", "table": "support"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert rows[0] == ["Name", "This period", "Previous period", "Change (%)"]
    assert ["Questions asked", "4", "1", "300"] in rows
    response = manager_client.get(URL, PERIOD | {"format": "csv", "table": "categories"})
    rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert rows[0][0] == "Category" and len(rows) == 3
    assert rows[1] == ["Help", "3", "66.67", "66.67", "1.5", "14", "2"]
    assert manager_client.get(URL, {"format": "csv", "table": "nope"}).status_code == 404


def test_a_fixed_number_of_queries(manager_client, questions, people):
    manager_client.get(URL)  # warm the session

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert manager_client.get(URL, PERIOD).status_code == 200
        return len(context)

    few = queries()
    for n in range(20):  # many more questions, answers and categories
        category = Category.objects.create(name=f"Q{n}", slug=f"q{n}", kind=CategoryKind.QA)
        topic = ask(category, people["asker"], at(DAY, 9))
        answers.accept_answer(None, reply(topic, people["mia"], at(DAY, 10)), at=at(DAY, 11))
    rollups.rebuild()
    assert queries() == few
    # The session and the filters' choices; three per summary (now, before, by category:
    # the counts and two medians), two for the chart, the settings, the category names.
    assert few <= 30


def test_the_api_answers_support_metrics(guidelines, questions):
    api = Api(make_member("maja", guidelines, role=Role.MANAGER))
    body = api.get("/metrics", metric="questions_solved_share", **PERIOD).json()
    assert body["total"] == 75.0
    assert body["series"] == [{"day": "2026-03-10", "value": 75.0}]  # days with questions
    body = api.get("/metrics", metric="first_response_median_hours", **PERIOD).json()
    assert body["total"] == 2.0
    body = api.get(
        "/metrics", metric="questions_asked", category=questions["qa"].pk, **PERIOD
    ).json()
    assert body["total"] == 3 and len(body["series"]) == 7
    body = api.get("/metrics", metric="support_cost_saved", **PERIOD).json()
    assert body["total"] == 60.0
    member = Api(make_member("alice", guidelines))
    assert member.get("/metrics", metric="questions_asked").status_code == 403


# --- The settings page -----------------------------------------------------------------

SETTINGS_URL = "/manage/analytics/settings/"


def test_settings_only_for_managers(client, member_client, admin_member_client):
    assert client.get(SETTINGS_URL).status_code == 302
    assert member_client.get(SETTINGS_URL).status_code == 403
    assert member_client.post(SETTINGS_URL, {"currency": "EUR"}).status_code == 403
    assert admin_member_client.get(SETTINGS_URL).status_code == 200


def test_saving_the_settings_is_audited_once(manager_client):
    from townsquare.moderation.models import AuditEntry

    response = manager_client.get(SETTINGS_URL)
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    form = {"inactive_after_days": "60", "cost_per_ticket": "30", "currency": "eur"}
    response = manager_client.post(SETTINGS_URL, form)
    assert response.status_code == 302 and response["Location"] == SETTINGS_URL
    entry = AuditEntry.objects.get(action="analytics_settings.changed")
    assert entry.before == {
        "inactive_after_days": 90,
        "cost_per_ticket": "25.00",
        "currency": "USD",
    }
    assert entry.after == {"inactive_after_days": 60, "cost_per_ticket": "30.00", "currency": "EUR"}
    assert entry.actor.handle == "maja"
    manager_client.post(SETTINGS_URL, form)  # nothing changed: no second entry
    assert AuditEntry.objects.filter(action="analytics_settings.changed").count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("inactive_after_days", "3"),
        ("inactive_after_days", "x" * 5000),
        ("cost_per_ticket", "-1"),
        ("cost_per_ticket", "1e400"),
        ("currency", "EURO"),
        ("currency", "€€€"),
        ("currency", ""),
    ],
)
def test_bad_settings_are_refused_and_kept_in_the_form(manager_client, field, value):
    from townsquare.analytics.queries import analytics_settings
    from townsquare.moderation.models import AuditEntry

    form = {"inactive_after_days": "60", "cost_per_ticket": "30", "currency": "EUR"}
    response = manager_client.post(SETTINGS_URL, form | {field: value})
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert (
        response.context["form"]["inactive_after_days"].value()
        == (form | {field: value})["inactive_after_days"]
    )
    current = analytics_settings()
    assert (current.inactive_after_days, current.currency) == (90, "USD")
    assert not AuditEntry.objects.filter(action="analytics_settings.changed").exists()


def test_change_settings_checks_the_actor(guidelines):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.change_settings(make_member("alice", guidelines), currency="EUR")
