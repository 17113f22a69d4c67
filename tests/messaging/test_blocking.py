"""Blocking: no messages either way, no new conversations with both, and the blocked
member's @mentions of the blocker are not recorded in the forum."""

import pytest
from django.core.exceptions import ValidationError

from tests.messaging.conftest import client_for
from townsquare.core import permissions
from townsquare.core.models import ActivityEvent
from townsquare.core.queries import get_community
from townsquare.forum import actions as forum_actions
from townsquare.forum.models import CategoryKind
from townsquare.messaging import actions
from townsquare.messaging.models import Block, Conversation


@pytest.fixture
def bob_blocks_alice(alice, bob):
    return actions.block_member(bob, alice)


def test_block_from_the_profile(alice, bob):
    client = client_for(bob)
    profile = client.get("/u/alice/").content.decode()
    assert "/messages/new/?to=alice" in profile
    response = client.post("/messages/block/alice/")
    assert response.status_code == 302
    assert Block.objects.filter(blocker=bob, blocked=alice).exists()
    assert permissions.is_blocked(alice, bob) and permissions.is_blocked(bob, alice)
    assert "Unblock" in client.get("/u/alice/").content.decode()
    assert ActivityEvent.objects.filter(verb="member.blocked", actor=bob).exists()
    client.post("/messages/block/alice/", {"unblock": "1"})
    assert not permissions.is_blocked(alice, bob)


def test_block_from_a_conversation(chat, alice, bob):
    page = client_for(bob).get(f"/messages/{chat.pk}/").content.decode()
    assert "/messages/block/alice/" in page
    response = client_for(bob).post("/messages/block/alice/", {"next": f"/messages/{chat.pk}/"})
    assert response["Location"] == f"/messages/{chat.pk}/"
    assert permissions.is_blocked(alice, bob)


def test_nobody_blocks_themselves(alice):
    with pytest.raises(ValidationError):
        actions.block_member(alice, alice)


def test_blocked_member_cannot_message_the_blocker(alice, bob, bob_blocks_alice):
    assert not permissions.may_message(alice, bob)
    response = client_for(alice).post("/messages/new/", {"participants": "bob", "body": "hi"})
    assert response.status_code == 200
    assert "You cannot exchange messages with @bob" in response.content.decode()
    assert 'value="bob"' in response.content.decode()  # what was typed stays
    assert not Conversation.objects.exists()


def test_blocker_cannot_message_the_blocked_member(alice, bob, bob_blocks_alice):
    assert not permissions.may_message(bob, alice)
    api = client_for(bob).post(
        "/api/v1/conversations", {"participants": ["alice"], "body": "hi"}, "application/json"
    )
    assert api.status_code == 422
    assert api.json()["field"] == "participants"


def test_no_new_messages_in_an_existing_conversation(chat, alice, bob):
    actions.block_member(bob, alice)
    for sender in (alice, bob):
        response = client_for(sender).post(f"/messages/{chat.pk}/reply/", {"body": "still?"})
        assert response.status_code == 422
        assert "no longer send messages" in response.content.decode()
        api = client_for(sender).post(
            f"/api/v1/conversations/{chat.pk}/messages", {"body": "x"}, "application/json"
        )
        assert api.status_code == 422
    assert chat.messages.count() == 1


def test_no_group_conversation_brings_them_together(alice, bob, carol, bob_blocks_alice):
    with pytest.raises(ValidationError, match="cannot be in the same conversation"):
        actions.start_conversation(carol, get_community(), ["alice", "bob"], "Party?")
    assert not Conversation.objects.exists()
    # each alone is fine
    actions.start_conversation(carol, get_community(), ["alice"], "Party?")


def test_blocked_members_mention_of_the_blocker_is_not_recorded(alice, bob, carol):
    actions.block_member(bob, alice)
    general = forum_actions.create_category(None, name="General", kind=CategoryKind.DISCUSSION)
    topic = forum_actions.create_topic(
        alice, general, title="Hello there", body="Hi @bob and @carol"
    )
    first = topic.posts.get(number=1)
    assert set(first.mentions.all()) == {carol}
    reply = forum_actions.create_post(alice, topic, body="@bob again")
    assert not reply.mentions.exists()
    forum_actions.edit_post(alice, reply, body="@bob and @carol, edited")
    assert set(reply.mentions.all()) == {carol}
    # the blocker's own mention of the blocked member is recorded: the block protects bob
    by_bob = forum_actions.create_post(bob, topic, body="@alice please stop")
    assert set(by_bob.mentions.all()) == {alice}
