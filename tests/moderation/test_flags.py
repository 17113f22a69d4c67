"""Flagging: members flag posts, topics, profiles and messages they may see; enough flags
from trusted members hide a post until a moderator reviews it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.moderation.conftest import client_for, start_topic, trusted
from townsquare.accounts.models import User
from townsquare.moderation.actions.flags import flag
from townsquare.moderation.models import AuditEntry, Flag, ModerationSettings, ReviewItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def topic(bob, general):
    return start_topic(bob, general, title="Cheap watches", body="buy replica watches now")


def test_a_member_flags_a_post_through_the_form(topic, member, bob):
    post = topic.posts.get(number=1)
    client = client_for(member)
    page = client.get(topic.get_absolute_url()).content.decode()
    flag_url = f"/moderation/flag/post/{post.pk}/"
    assert f'href="{flag_url}"' in page and f'href="/moderation/flag/topic/{topic.pk}/"' in page
    form = client.get(flag_url).content.decode()
    assert "csrfmiddlewaretoken" in form and "Breaks a guideline" in form
    response = client.post(flag_url, {"reason": "spam", "note": ""})
    assert response.status_code == 302 and response["Location"] == post.get_absolute_url()
    follow = client.get(response["Location"], follow=True).content.decode()
    assert "The moderators will look at it" in follow
    found = Flag.objects.get()
    assert (found.flagger, found.reason, found.item.author) == (member, "spam", bob)
    assert found.item.target_id == str(post.pk)
    assert AuditEntry.objects.filter(action="flag.created").count() == 1
    # the author sees no flag link on their own post
    assert flag_url not in client_for(bob).get(topic.get_absolute_url()).content.decode()


def test_something_else_needs_a_note_and_the_form_keeps_it(topic, member):
    client = client_for(member)
    response = client.post(f"/moderation/flag/topic/{topic.pk}/", {"reason": "other"})
    assert response.status_code == 200
    assert "Tell the moderators what is wrong." in response.content.decode()
    response = client.post(f"/moderation/flag/topic/{topic.pk}/", {"reason": "bad", "note": "kept"})
    assert response.status_code == 200 and "kept" in response.content.decode()
    assert not Flag.objects.exists()


def test_the_form_needs_csrf(topic, member):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(f"/moderation/flag/topic/{topic.pk}/", {"reason": "spam"})
    assert response.status_code == 403
    assert not Flag.objects.exists()


def test_profiles_and_messages_are_flagged_too(member, bob, carol):
    from townsquare.core.queries import get_community
    from townsquare.messaging import actions as messaging

    profile = client_for(member).get(f"/u/{bob.handle}/").content.decode()
    assert f'href="/moderation/flag/member/{bob.handle}/"' in profile
    response = client_for(member).post(
        f"/moderation/flag/member/{bob.handle}/", {"reason": "inappropriate", "note": "rude bio"}
    )
    assert response.status_code == 302
    item = ReviewItem.objects.get()
    assert item.author == bob and item.target_id == str(bob.pk)

    chat = messaging.start_conversation(bob, get_community(), ["alice"], "hello there")
    message = chat.messages.get()
    # carol is not in the conversation: that message does not exist for her
    assert client_for(carol).get(f"/moderation/flag/message/{message.pk}/").status_code == 404
    response = client_for(member).post(
        f"/moderation/flag/message/{message.pk}/", {"reason": "spam", "note": ""}
    )
    assert response.status_code == 302 and response["Location"] == f"/messages/{chat.pk}/"
    assert Flag.objects.filter(item__target_id=str(message.pk)).count() == 1


def test_what_a_member_cannot_see_is_not_found(member, bob, lounge, topic):
    private = start_topic(bob, lounge, title="Members only")
    assert client_for(None).get(f"/moderation/flag/topic/{private.pk}/").status_code == 302
    for path in (
        "/moderation/flag/topic/999999/",
        "/moderation/flag/post/999999/",
        "/moderation/flag/member/nobody/",
        "/moderation/flag/planet/1/",
    ):
        assert client_for(member).get(path).status_code == 404, path
    with pytest.raises(ValidationError):
        flag(bob, topic, reason="spam")  # own content


def test_a_silenced_member_may_not_flag(topic, member):
    User.objects.filter(pk=member.pk).update(
        silenced_until=timezone.now() + timezone.timedelta(days=1)
    )
    member.refresh_from_db()
    with pytest.raises(PermissionDenied):
        flag(member, topic, reason="spam")
    assert (
        client_for(member)
        .post(f"/moderation/flag/topic/{topic.pk}/", {"reason": "spam"})
        .status_code
        == 403
    )


def test_flags_gather_on_one_item_and_a_member_flags_once(topic, member, carol):
    first = flag(member, topic, reason="spam")
    assert flag(member, topic, reason="off_topic") == first
    flag(carol, topic, reason="off_topic")
    item = ReviewItem.objects.get()
    assert item.flag_count == 2 and item.flags.count() == 2


def test_enough_trusted_flags_hide_a_post_until_reviewed(
    topic, member, carol, guidelines, flaggers, moderator
):
    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hide_after_flags": 3, "hide_flagger_trust_level": 1}
    )
    reply_author = trusted("dora", guidelines)
    from townsquare.forum import actions as forum

    reply = forum.create_post(reply_author, topic, body="visit my casino")
    # New members (trust level 0) do not count.
    flag(member, reply, reason="spam")
    flag(carol, reply, reason="spam")
    flag(flaggers[0], reply, reason="spam")
    flag(flaggers[1], reply, reason="spam")
    reply.refresh_from_db()
    assert reply.hidden_at is None
    flag(flaggers[2], reply, reason="spam")
    reply.refresh_from_db()
    item = ReviewItem.objects.get()
    assert reply.hidden_at is not None and reply.hidden_by is None and item.auto_hidden
    assert "casino" not in client_for(member).get(topic.get_absolute_url()).content.decode()
    hidden = AuditEntry.objects.get(action="post.hidden")
    assert hidden.actor is None and hidden.actor_label == "system"
    assert AuditEntry.objects.filter(action="flag.created").count() == 5
    # a staff flag counts whatever its trust level
    second = forum.create_post(reply_author, topic, body="more casino")
    ModerationSettings.objects.filter(pk=1).update(hide_after_flags=1)
    flag(moderator, second, reason="spam")
    second.refresh_from_db()
    assert second.hidden_at is not None
