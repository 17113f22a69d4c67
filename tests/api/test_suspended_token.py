"""A suspended member's API token gets 403 with a JSON message; it works again after."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.conftest import Api
from townsquare.accounts.models import User
from townsquare.moderation.actions import sanctions

pytestmark = pytest.mark.django_db


def test_a_suspended_members_api_token_gets_403(moderator, member):
    api = Api(member)
    assert api.get("/me").status_code == 200
    suspension = sanctions.suspend(
        moderator, member, until=timezone.now() + timedelta(days=2), reason="Scraping."
    )
    answer = api.get("/me")
    assert answer.status_code == 403
    assert answer["Content-Type"].startswith("application/json")
    assert "suspended until" in answer.json()["detail"]
    assert "Scraping." in answer.json()["detail"]
    assert api.post("/topics", {"title": "x", "body": "y", "category_id": 1}).status_code == 403
    sanctions.lift(moderator, suspension, reason="Agreed to stop.")
    assert api.get("/me").status_code == 200


def test_the_token_works_again_when_the_suspension_ends(moderator, member):
    api = Api(member)
    sanctions.suspend(
        moderator, member, until=timezone.now() + timedelta(days=2), reason="Cool down."
    )
    assert api.get("/me").status_code == 403
    User.objects.filter(pk=member.pk).update(suspended_until=timezone.now() - timedelta(seconds=1))
    assert api.get("/me").status_code == 200
