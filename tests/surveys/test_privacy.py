"""A member's answers are in their data export; deleting the account drops the comments
(personal) and keeps the scores (the community's history), without the member."""

import io
import json

import pytest

from tests.conftest import PASSWORD
from townsquare.accounts import privacy
from townsquare.surveys import actions
from townsquare.surveys.models import SurveyAnswer

pytestmark = pytest.mark.django_db


def test_answers_are_exported(settled):
    actions.answer(settled, "nps", 8, "Mostly good, Sam here")
    out = io.BytesIO()
    privacy._write_json(out, settled)
    data = json.loads(out.getvalue())
    assert [(a["kind"], a["score"], a["comment"]) for a in data["survey_answers"]] == [
        ("nps", 8, "Mostly good, Sam here")
    ]


def test_deletion_keeps_the_score_and_forgets_the_comment(settled):
    actions.answer(settled, "nps", 3, "Sam Settled thinks it is slow")
    privacy.delete_account(settled, settled, posts="keep", password=PASSWORD)
    answer = SurveyAnswer.objects.get()
    assert (answer.member_id, answer.score, answer.comment) == (None, 3, "")
