"""The NPS panel on the home and latest pages: who sees it, how often, and what a bad
answer gets."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import make_member
from tests.surveys.conftest import client_for, joined
from townsquare.accounts.models import Role
from townsquare.core.models import ActivityEvent
from townsquare.surveys import actions
from townsquare.surveys.models import SurveyAnswer

pytestmark = pytest.mark.django_db
QUESTION = "How likely are you to recommend"


def shown(client: Client) -> tuple[bool, bool]:
    home = client.get("/").content.decode()
    latest = client.get("/latest/").content.decode()
    return QUESTION in home, QUESTION in latest


def test_a_member_of_two_weeks_is_asked_on_home_and_latest(settled_client, community):
    assert shown(settled_client) == (True, True)
    html = settled_client.get("/").content.decode()
    assert f"recommend {community.name} to a friend or colleague?" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "Not now" in html


def test_not_on_other_lists(settled_client):
    assert QUESTION not in settled_client.get("/top/").content.decode()


def test_too_new_members_visitors_and_staff_are_not_asked(guidelines, client):
    newcomer = joined(make_member("nina", guidelines), 13)
    assert shown(client_for(newcomer)) == (False, False)
    assert shown(client) == (False, False)
    for role in (Role.MODERATOR, Role.MANAGER, Role.ADMIN):
        staff = joined(make_member(f"s-{role}", guidelines, role=role), 400)
        assert shown(client_for(staff)) == (False, False)
    # And they cannot answer by posting the form either.
    assert client_for(newcomer).post("/surveys/nps/", {"score": "9"}).status_code == 403
    assert not SurveyAnswer.objects.exists()


def test_answering_records_the_answer_and_activity_and_stops_asking(settled_client, settled):
    response = settled_client.post(
        "/surveys/nps/", {"score": "9", "comment": "  Helpful people  ", "next": "/latest/"}
    )
    assert response.status_code == 302 and response["Location"] == "/latest/"
    found = SurveyAnswer.objects.get()
    assert (found.member, found.kind, found.score, found.comment, found.context) == (
        settled, "nps", 9, "Helpful people", "prompt"
    )  # fmt: skip
    event = ActivityEvent.objects.get(verb="survey.answered")
    assert event.actor_id == settled.pk and event.data["score"] == 9
    assert shown(settled_client) == (False, False)


def test_not_now_counts_as_asked_for_ninety_days(settled_client, settled):
    response = settled_client.post("/surveys/nps/", {"dismiss": "1", "score": "banana"})
    assert response.status_code == 302
    assert SurveyAnswer.objects.get().score is None
    assert ActivityEvent.objects.filter(verb="survey.dismissed").count() == 1
    assert shown(settled_client) == (False, False)
    # A member who said "not now" may still answer (another tab, the API).
    assert settled_client.post("/surveys/nps/", {"score": "4"}).status_code == 302
    assert SurveyAnswer.objects.filter(score=4).exists()


def test_asked_again_after_ninety_days(settled_client, settled):
    actions.answer(None, "nps", 7, member=settled, at=timezone.now() - timedelta(days=89))
    assert shown(settled_client) == (False, False)
    SurveyAnswer.objects.update(created_at=timezone.now() - timedelta(days=91))
    assert shown(settled_client) == (True, True)


def test_answering_twice_within_ninety_days_is_refused(settled_client):
    assert settled_client.post("/surveys/nps/", {"score": "10"}).status_code == 302
    response = settled_client.post("/surveys/nps/", {"score": "3"})
    assert response.status_code == 400
    assert "in the last 90 days" in response.content.decode()
    assert SurveyAnswer.objects.count() == 1


@pytest.mark.parametrize("score", ["11", "-1", "7.5", "abc", "", "1e1", "9" * 5000])
def test_a_score_off_the_scale_is_refused_and_the_comment_kept(settled_client, score):
    response = settled_client.post("/surveys/nps/", {"score": score, "comment": "Kept text"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose a score from 0 to 10." in html
    assert "Kept text</textarea>" in html
    assert not SurveyAnswer.objects.exists()


def test_full_width_digits_from_a_chinese_keyboard_are_read(settled_client):
    assert settled_client.post("/surveys/nps/", {"score": "１０"}).status_code == 302
    assert SurveyAnswer.objects.get().score == 10


def test_a_too_long_comment_is_refused_and_shown_again(settled_client):
    response = settled_client.post("/surveys/nps/", {"score": "8", "comment": "x" * 2001})
    assert response.status_code == 400
    assert "x" * 2001 in response.content.decode()
    assert not SurveyAnswer.objects.exists()


def test_the_picked_score_is_checked_again_after_an_error(settled_client):
    response = settled_client.post("/surveys/nps/", {"score": "6", "comment": "x" * 2001})
    assert 'value="6" checked' in response.content.decode()


def test_the_form_needs_its_csrf_token(settled):
    client = Client(enforce_csrf_checks=True)
    client.force_login(settled)
    assert client.post("/surveys/nps/", {"score": "9"}).status_code == 403
    assert not SurveyAnswer.objects.exists()


def test_htmx_swaps_the_panel_for_a_thank_you(settled_client):
    response = settled_client.post("/surveys/nps/", {"score": "10"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="nps-prompt"' in response.content.decode()
    assert "Thank you for your answer." in response.content.decode()
    bad = settled_client.post("/surveys/nps/", {"score": "12"}, HTTP_HX_REQUEST="true")
    # htmx swaps only 2xx answers: the panel with its error comes back as 200.
    assert bad.status_code == 200 and "Choose a score from 0 to 10." in bad.content.decode()
    assert not bad.content.decode().startswith("<!DOCTYPE")


def test_next_may_not_leave_the_site(settled_client):
    response = settled_client.post("/surveys/nps/", {"score": "9", "next": "https://evil.example"})
    assert response["Location"] == "/"


def test_the_question_has_a_page_of_its_own(settled_client, client):
    assert QUESTION in settled_client.get("/surveys/nps/").content.decode()
    assert client.get("/surveys/nps/").status_code == 302  # to sign in
    settled_client.post("/surveys/nps/", {"score": "9"})
    assert settled_client.get("/surveys/nps/").status_code == 302  # nothing to answer now


def test_rate_limited(settled_client, limits_on):
    for _n in range(10):
        settled_client.post("/surveys/nps/", {"score": "9"})
    response = settled_client.post("/surveys/nps/", {"score": "9"})
    assert response.status_code == 400
    assert "You are doing that too often" in response.content.decode()


def test_the_home_page_asks_in_a_fixed_number_of_queries(settled_client, settled):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settled_client.get("/")  # the session's first request does more
    with CaptureQueriesContext(connection) as asked:
        settled_client.get("/")
    actions.answer(None, "nps", 8, member=settled)
    with CaptureQueriesContext(connection) as answered:
        settled_client.get("/")
    # One indexed lookup decides, whether the member is asked or not.
    assert len(answered) == len(asked)
    assert sum("surveys_surveyanswer" in q["sql"] for q in asked.captured_queries) == 1
