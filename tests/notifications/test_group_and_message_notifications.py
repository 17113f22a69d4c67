"""Group requests, approvals and invitations, and direct messages."""

import pytest

from tests.conftest import make_member
from tests.messaging.conftest import old_member
from tests.notifications.conftest import kinds
from townsquare.core.queries import get_community
from townsquare.groups import actions as groups
from townsquare.groups.models import GroupRole, JoinPolicy
from townsquare.messaging import actions as messaging
from townsquare.notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def club(member, bob, carol):
    """A group on request, run by alice (owner) and bob (manager)."""
    group = groups.create_group(None, name="Chess club", policy=JoinPolicy.REQUEST)
    groups.add_member(None, group, member, GroupRole.OWNER)
    groups.add_member(None, group, bob, GroupRole.MANAGER)
    return group


def test_a_request_tells_the_groups_runners_and_approval_tells_the_member(
    member, bob, carol, dave, club, committed
):
    with committed():
        request = groups.request_to_join(dave, club, "I play on Sundays")
    assert kinds(member) == kinds(bob) == [Kind.GROUP_REQUEST]
    assert kinds(carol) == [] and kinds(dave) == []
    assert Notification.objects.get(recipient=member).actor == dave
    with committed():
        groups.decide_request(member, request, approve=True)
    assert kinds(dave) == [Kind.GROUP_APPROVED]
    assert kinds(bob) == [Kind.GROUP_REQUEST]


def test_an_invitation_to_a_secret_group_tells_only_the_invitee(member, carol, dave, committed):
    secret = groups.create_group(None, name="Founders", policy=JoinPolicy.SECRET)
    groups.add_member(None, secret, member, GroupRole.OWNER)
    with committed():
        groups.invite_member(member, secret, carol)
    assert kinds(carol) == [Kind.GROUP_INVITATION]
    assert kinds(dave) == []
    # The invitee sees it in the centre while the invitation waits.
    from django.test import Client

    client = Client()
    client.force_login(carol)
    assert "Founders" in client.get("/notifications/").content.decode()


def test_an_invitation_by_email_is_told_once_the_invitee_becomes_a_member(
    member, guidelines, committed
):
    secret = groups.create_group(None, name="Founders", policy=JoinPolicy.SECRET)
    groups.add_member(None, secret, member, GroupRole.OWNER)
    with committed():
        groups.invite_email(member, secret, "Erin@Example.com", "https://town.example/")
    with committed():
        erin = make_member("erin", guidelines)
    assert kinds(erin) == [Kind.GROUP_INVITATION]
    assert Notification.objects.get(recipient=erin).actor == member


def test_a_message_tells_the_other_participants(guidelines, committed):
    alice, bob, carol = (old_member(h, guidelines) for h in ("alice", "bob", "carol"))
    with committed():
        conversation = messaging.start_conversation(alice, get_community(), ["bob"], "Hi Bob")
    assert kinds(bob) == [Kind.MESSAGE] and kinds(alice) == [] and kinds(carol) == []
    with committed():
        messaging.send_message(bob, conversation, "Hi Alice")
        messaging.send_message(bob, conversation, "Are you there?")
    assert kinds(alice) == [Kind.MESSAGE, Kind.MESSAGE]
    note = Notification.objects.filter(recipient=alice).first()
    assert note.group_key == f"message:conversation:{conversation.pk}"


def test_the_group_page_shows_the_level_chosen(member, club):
    from django.test import Client

    assert club.category_id is not None
    client = Client()
    client.force_login(member)
    url = club.get_absolute_url()
    assert '<option value="1" selected>' in client.get(url).content.decode()
    client.post(f"/g/{club.slug}/notifications/", {"level": "3"})
    page = client.get(url).content.decode()
    assert '<option value="3" selected>' in page
    assert '<option value="1" selected>' not in page
