"""A suspended member cannot sign in: they are told until when and why."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD, make_member
from townsquare.accounts.models import Role
from townsquare.moderation.actions import sanctions

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(guidelines):
    return make_member("mod", guidelines, role=Role.MODERATOR)


def test_sign_in_is_refused_with_the_end_date_and_the_reason(moderator, member):
    sanctions.suspend(
        moderator, member, until=timezone.now() + timedelta(days=5), reason="Posting spam links."
    )
    client = Client()
    answer = client.post("/accounts/login/", {"login": member.email, "password": PASSWORD})
    text = answer.content.decode()
    assert answer.status_code == 403
    assert "suspended until" in text and "Posting spam links." in text
    assert "_auth_user_id" not in client.session
    assert client.get("/notices/").status_code == 302  # still signed out


def test_for_good_says_so(moderator, member):
    sanctions.suspend(moderator, member, until=None, reason="Ban evasion.")
    answer = Client().post("/accounts/login/", {"login": member.email, "password": PASSWORD})
    assert answer.status_code == 403
    assert "suspended for good" in answer.content.decode()


def test_sign_in_works_again_once_lifted(moderator, member):
    suspension = sanctions.suspend(
        moderator, member, until=timezone.now() + timedelta(days=5), reason="Heated."
    )
    sanctions.lift(moderator, suspension, reason="Calmer now.")
    client = Client()
    answer = client.post("/accounts/login/", {"login": member.email, "password": PASSWORD})
    assert answer.status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)
