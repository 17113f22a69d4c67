"""Nobody reads a conversation they are not in: not outsiders, not moderators, not admins,
not members who left. Pages and the API answer 404 exactly as for a missing id."""

import re

import pytest
from django.test import Client

from tests.messaging.conftest import client_for
from townsquare.messaging import actions


def _page(response, path: str) -> bytes:
    """The answer minus its per-request CSRF tokens and its own address, to compare two."""
    content = response.content.replace(path.encode(), b"PATH")
    return re.sub(rb'(X-CSRFToken": "|value=")[A-Za-z0-9]{32,}', rb"\1", content)


@pytest.fixture
def outsiders(carol, moderator, admin):
    return [carol, moderator, admin]


def test_participants_read_the_conversation(chat, alice, bob):
    for user in (alice, bob):
        response = client_for(user).get(f"/messages/{chat.pk}/")
        assert response.status_code == 200
        assert "<strong>Bob</strong>" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/messages/{id}/",
        "/api/v1/conversations/{id}",
    ],
)
def test_outsiders_and_staff_get_not_found(chat, outsiders, path):
    for user in outsiders:
        missing_path, path_in = path.format(id=chat.pk + 1000), path.format(id=chat.pk)
        missing = client_for(user).get(missing_path)
        response = client_for(user).get(path_in)
        assert response.status_code == 404
        assert _page(response, path_in) == _page(missing, missing_path)
        assert b"Bob" not in response.content


def test_outsiders_cannot_write_leave_or_report(chat, carol, moderator):
    message = chat.last_message
    for user in (carol, moderator):
        client = client_for(user)
        assert client.post(f"/messages/{chat.pk}/reply/", {"body": "hi"}).status_code == 404
        assert client.post(f"/messages/{chat.pk}/leave/").status_code == 404
        report = f"/messages/{chat.pk}/report/{message.pk}/"
        assert client.post(report, {"reason": "spam"}).status_code == 404
        api = client.post(
            f"/api/v1/conversations/{chat.pk}/messages", {"body": "hi"}, "application/json"
        )
        assert api.status_code == 404
    assert chat.messages.count() == 1


def test_inbox_lists_only_own_conversations(chat, carol):
    assert client_for(carol).get("/api/v1/conversations").json()["results"] == []
    assert "Alice" not in client_for(carol).get("/messages/").content.decode()


def test_visitors_are_sent_to_sign_in(chat):
    response = Client().get(f"/messages/{chat.pk}/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert Client().get(f"/api/v1/conversations/{chat.pk}").status_code == 401


def test_who_left_can_no_longer_read(chat, alice, bob):
    client = client_for(bob)
    assert client.post(f"/messages/{chat.pk}/leave/").status_code == 302
    assert client.get(f"/messages/{chat.pk}/").status_code == 404
    assert client.get(f"/api/v1/conversations/{chat.pk}").status_code == 404
    # alice keeps it, but nobody is left to read a reply
    response = client_for(alice).get(f"/messages/{chat.pk}/")
    assert response.status_code == 200
    assert "You can no longer send messages" in response.content.decode()


def test_leaving_is_recorded_without_text(chat, bob):
    from townsquare.core.models import ActivityEvent

    actions.leave_conversation(bob, chat)
    assert ActivityEvent.objects.filter(verb="conversation.left", actor=bob).exists()
