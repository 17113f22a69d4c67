"""POST /api/v1/surveys/answers: the same rules as the pages, JSON errors with the field."""

import json

import pytest
from django.test import Client

from tests.conftest import make_member
from tests.surveys.conftest import client_for, joined
from townsquare.accounts.models import Role
from townsquare.surveys.models import SurveyAnswer

pytestmark = pytest.mark.django_db
URL = "/api/v1/surveys/answers"


def post(client: Client, body: dict):
    return client.post(URL, json.dumps(body), content_type="application/json")


def test_a_member_answers_the_nps_question(settled_client, settled):
    response = post(settled_client, {"kind": "nps", "score": 9, "comment": "Good people"})
    assert response.status_code == 201
    data = response.json()
    assert (data["kind"], data["score"], data["comment"], data["context"]) == (
        "nps", 9, "Good people", "api"
    )  # fmt: skip
    assert SurveyAnswer.objects.get().member == settled
    again = post(settled_client, {"kind": "nps", "score": 3})
    assert again.status_code == 422 and "90 days" in again.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "nps", "score": 11}, "score"),
        ({"kind": "nps", "score": -1}, "score"),
        ({"kind": "csat", "score": 6, "topic": 1}, "score"),
        ({"kind": "nps", "score": "ten"}, "score"),
        ({"kind": "stars", "score": 3}, "kind"),
        ({"kind": "csat", "score": 4}, "topic"),
        ({"kind": "nps", "score": 9, "topic": 3}, "topic"),
        ({"kind": "nps", "score": 9, "comment": "x" * 2001}, "comment"),
        ({"score": 9}, "kind"),
    ],
)
def test_bad_input_is_a_json_error_naming_the_field(settled_client, body, field):
    response = post(settled_client, body)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert response.json()["detail"]
    assert not SurveyAnswer.objects.exists()


def test_the_asker_rates_the_answer_to_a_solved_question(settled_client, solved):
    response = post(settled_client, {"kind": "csat", "score": 4, "topic": solved.pk})
    assert response.status_code == 201 and response.json()["context"] == f"topic:{solved.pk}"
    assert post(settled_client, {"kind": "csat", "score": 4, "topic": solved.pk}).status_code == 422


def test_someone_elses_topic_or_a_missing_one_is_refused(guidelines, solved):
    other = client_for(joined(make_member("olga", guidelines), 30))
    assert post(other, {"kind": "csat", "score": 5, "topic": solved.pk}).status_code == 403
    assert post(other, {"kind": "csat", "score": 5, "topic": 987654}).status_code == 403
    assert not SurveyAnswer.objects.exists()


def test_who_may_answer(client, guidelines):
    assert post(client, {"kind": "nps", "score": 9}).status_code == 401
    newcomer = client_for(make_member("nina", guidelines))
    assert post(newcomer, {"kind": "nps", "score": 9}).status_code == 403
    staff = client_for(joined(make_member("mod", guidelines, role=Role.MODERATOR), 100))
    assert post(staff, {"kind": "nps", "score": 9}).status_code == 403


def test_rate_limited_with_retry_after(settled_client, limits_on):
    for _n in range(10):
        post(settled_client, {"kind": "nps", "score": 9})
    response = post(settled_client, {"kind": "nps", "score": 9})
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
