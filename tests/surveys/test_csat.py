"""CSAT: the asker of a solved question rates the answer once, on the topic page."""

import pytest

from tests.conftest import make_member
from tests.surveys.conftest import client_for
from townsquare.core.models import ActivityEvent
from townsquare.forum import actions as forum_actions
from townsquare.forum.models import CategoryKind
from townsquare.surveys.models import SurveyAnswer

pytestmark = pytest.mark.django_db
QUESTION = "How satisfied are you with the answer you got?"


def test_the_asker_is_asked_on_the_solved_topic(settled_client, solved):
    html = settled_client.get(solved.get_absolute_url()).content.decode()
    assert QUESTION in html
    assert f'action="/surveys/topics/{solved.pk}/csat/"' in html


def test_rating_records_once_per_topic(settled_client, settled, solved):
    url = f"/surveys/topics/{solved.pk}/csat/"
    response = settled_client.post(url, {"score": "5", "comment": "Quick and right"})
    assert response.status_code == 302 and response["Location"] == solved.get_absolute_url()
    found = SurveyAnswer.objects.get()
    assert (found.member, found.kind, found.score, found.context) == (
        settled, "csat", 5, f"topic:{solved.pk}"
    )  # fmt: skip
    assert ActivityEvent.objects.filter(verb="survey.answered", actor=settled).exists()
    assert QUESTION not in settled_client.get(solved.get_absolute_url()).content.decode()
    again = settled_client.post(url, {"score": "1"})
    assert again.status_code == 400
    assert "You have already rated the answer to this question." in again.content.decode()
    assert SurveyAnswer.objects.count() == 1


def test_no_thanks_is_once_too(settled_client, solved):
    url = f"/surveys/topics/{solved.pk}/csat/"
    assert settled_client.post(url, {"dismiss": "1"}).status_code == 302
    assert QUESTION not in settled_client.get(solved.get_absolute_url()).content.decode()
    assert settled_client.post(url, {"score": "4"}).status_code == 400


@pytest.mark.parametrize("score", ["0", "6", "x", ""])
def test_a_rating_off_the_scale_is_refused(settled_client, solved, score):
    response = settled_client.post(f"/surveys/topics/{solved.pk}/csat/", {"score": score})
    assert response.status_code == 400
    assert "Choose a score from 1 to 5." in response.content.decode()
    assert not SurveyAnswer.objects.exists()


def test_only_the_asker_of_a_solved_question(guidelines, settled, solved, settled_client):
    other = client_for(make_member("olga", guidelines))
    assert QUESTION not in other.get(solved.get_absolute_url()).content.decode()
    assert other.post(f"/surveys/topics/{solved.pk}/csat/", {"score": "5"}).status_code == 403
    open_question = forum_actions.create_topic(
        settled, solved.category, title="Still open", body="Anyone?"
    )
    assert QUESTION not in settled_client.get(open_question.get_absolute_url()).content.decode()
    url = f"/surveys/topics/{open_question.pk}/csat/"
    assert settled_client.post(url, {"score": "5"}).status_code == 403
    assert not SurveyAnswer.objects.exists()


def test_a_discussion_is_not_rated(settled, settled_client, guidelines):
    general = forum_actions.create_category(None, name="Chat", kind=CategoryKind.DISCUSSION)
    topic = forum_actions.create_topic(settled, general, title="Hello all", body="Hi")
    response = settled_client.post(f"/surveys/topics/{topic.pk}/csat/", {"score": "5"})
    assert response.status_code == 403


def test_a_topic_one_may_not_see_is_not_found(settled_client, insider, boardroom):
    topic = forum_actions.create_topic(insider, boardroom, title="Board only", body="Secret")
    response = settled_client.post(f"/surveys/topics/{topic.pk}/csat/", {"score": "5"})
    assert response.status_code == 404
    missing = settled_client.post("/surveys/topics/999999/csat/", {"score": "5"})
    assert missing.status_code == 404


def test_visitors_are_sent_to_sign_in(client, solved):
    response = client.post(f"/surveys/topics/{solved.pk}/csat/", {"score": "5"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
