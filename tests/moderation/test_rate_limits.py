"""Per-action rate limits: refused with "try again in N s" on every channel, nothing typed is
lost; and the daily limits of new members (trust level 0)."""

import re
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tests.conftest import make_member
from townsquare.accounts.models import Role, User
from townsquare.core.queries import get_community
from townsquare.forum import actions as forum
from townsquare.forum.models import Post, Reaction
from townsquare.messaging import actions as messaging
from townsquare.messaging.models import Conversation
from townsquare.moderation.actions.flags import flag
from townsquare.moderation.limits import RateLimited, check_rate
from townsquare.moderation.models import Flag, ModerationSettings

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("limits_on")]

TRY_AGAIN = re.compile(r"You are doing that too often\. Try again in (\d+) seconds?\.")


def member_at(handle: str, guidelines, level: int = 1, **extra) -> User:
    user = make_member(handle, guidelines, **extra)
    User.objects.filter(pk=user.pk).update(trust_level=level)
    user.refresh_from_db()
    return user


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fresh_window(period: int) -> None:
    """Start a burst well inside one of core.ratelimit's fixed windows, so that the burst
    is counted in one window and the test does not depend on the clock."""
    into = time.time() % period
    if into > period - 10:
        time.sleep(period - into + 0.05)


@pytest.fixture
def general(db):
    return forum.create_category(None, name="General")


@pytest.fixture
def writer(guidelines) -> User:
    return member_at("writer", guidelines)


@pytest.fixture
def topic(general, guidelines):
    return forum.create_topic(
        None, general, title="Where we talk", body="Say hello.",
        author=member_at("host", guidelines),
    )  # fmt: skip


def test_fifty_posts_a_minute_through_the_action_are_refused_with_a_clear_message(
    settings, writer, topic
):
    limit, period = settings.MODERATION_RATE_LIMITS["post"]
    fresh_window(period)
    passed, refused = 0, []
    for n in range(50):
        try:
            forum.create_post(writer, topic, body=f"Reply number {n} in a hurry")
        except RateLimited as error:
            refused.append(error)
        else:
            passed += 1
    assert passed == limit == 10
    assert len(refused) == 40
    for error in refused:
        match = TRY_AGAIN.fullmatch(error.messages[0])
        assert match, error.messages
        assert 1 <= int(match[1]) <= period and error.wait == int(match[1])
        assert isinstance(error, ValidationError)
    assert Post.objects.filter(author=writer).count() == limit


def test_fifty_posts_a_minute_through_the_api_get_429_with_retry_after(settings, writer, topic):
    limit, period = settings.MODERATION_RATE_LIMITS["post"]
    client = client_for(writer)
    fresh_window(period)
    statuses = []
    for n in range(50):
        response = client.post(
            f"/api/v1/topics/{topic.pk}/posts",
            {"body": f"Reply number {n} through the API"},
            "application/json",
        )
        statuses.append(response.status_code)
        if response.status_code == 429:
            body = response.json()
            assert set(body) == {"detail", "field"} and body["field"] is None
            match = TRY_AGAIN.fullmatch(body["detail"])
            assert match, body
            assert response["Retry-After"] == match[1]
    assert statuses == [201] * limit + [429] * (50 - limit)
    assert Post.objects.filter(author=writer).count() == limit


def test_the_reply_form_shows_the_wait_and_keeps_what_was_typed(settings, writer, topic):
    settings.MODERATION_RATE_LIMITS = {"post": (2, 60)}
    client = client_for(writer)
    fresh_window(60)
    for n in range(2):
        response = client.post(f"/t/{topic.pk}/reply/", {"body": f"Quick reply {n}"})
        assert response.status_code == 302
    typed = "A long and careful answer that I do not want to type again, zażółć 你好"
    response = client.post(f"/t/{topic.pk}/reply/", {"body": typed, "client_token": "tok-3"})
    page = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"You are doing that too often\. Try again in \d+ seconds?\.", page)
    assert typed in page
    assert Post.objects.filter(author=writer).count() == 2


def test_topics_messages_flags_and_reactions_are_rate_limited(settings, guidelines, general):
    settings.MODERATION_RATE_LIMITS = {
        "topic": (1, 60), "message": (1, 60), "flag": (1, 60), "reaction": (1, 60),
    }  # fmt: skip
    fresh_window(60)
    alice, bob = member_at("alice", guidelines), member_at("bob", guidelines)
    forum.create_topic(alice, general, title="The first topic of mine", body="Hello there.")
    with pytest.raises(RateLimited):
        forum.create_topic(alice, general, title="The second topic of mine", body="Hello again.")

    conversation = messaging.start_conversation(alice, get_community(), ["bob"], "Hi Bob")
    with pytest.raises(RateLimited):
        messaging.send_message(alice, conversation, "Are you there?")
    messaging.send_message(bob, conversation, "Yes")  # counted per member

    first = forum.create_topic(bob, general, title="Bob writes a topic", body="Text one.")
    second = forum.create_topic(
        member_at("carol", guidelines), general, title="Carol writes a topic", body="Text two."
    )
    opening, other = first.posts.get(), second.posts.get()
    forum.add_reaction(alice, opening, "like")
    forum.add_reaction(alice, opening, "like")  # already there: not counted again
    with pytest.raises(RateLimited):
        forum.add_reaction(alice, other, "like")
    assert Reaction.objects.filter(user=alice).count() == 1

    flag(alice, opening, reason="spam")
    with pytest.raises(RateLimited):
        flag(alice, other, reason="spam")
    assert Flag.objects.filter(flagger=alice).count() == 1


def test_staff_and_the_system_are_not_rate_limited(settings, guidelines, topic):
    settings.MODERATION_RATE_LIMITS = {"post": (1, 60)}
    moderator = make_member("mod", guidelines, role=Role.MODERATOR)
    for n in range(3):
        forum.create_post(moderator, topic, body=f"Moderator note {n}")
        forum.create_post(None, topic, body=f"System note {n}", author=moderator)
    check_rate(None, "post")


def test_the_api_keeps_the_field_of_a_daily_limit(guidelines):
    ModerationSettings.objects.update_or_create(pk=1, defaults={"tl0_conversations_per_day": 1})
    newcomer = member_at("newbie", guidelines, level=0)
    member_at("bob", guidelines)
    client = client_for(newcomer)
    payload = {"participants": ["bob"], "body": "hello"}
    assert client.post("/api/v1/conversations", payload, "application/json").status_code == 201
    response = client.post("/api/v1/conversations", payload, "application/json")
    assert response.status_code == 429
    assert response.json()["field"] == "participants"
    assert "New members can start 1 conversation a day. Try again in" in response.json()["detail"]
    assert 0 < int(response["Retry-After"]) <= 24 * 3600


def test_new_members_post_ten_times_a_day(settings, guidelines, general, topic):
    settings.MODERATION_RATE_LIMITS = {}  # the daily limit alone
    newcomer = member_at("newbie", guidelines, level=0)
    for n in range(10):
        forum.create_post(newcomer, topic, body=f"Newcomer reply {n}")
    with pytest.raises(RateLimited) as refused:
        forum.create_topic(newcomer, general, title="One more topic today", body="Please?")
    assert "New members can post 10 times a day. Try again in" in refused.value.messages[0]
    assert 23 * 3600 < refused.value.wait <= 24 * 3600 + 1
    response = client_for(newcomer).post(
        f"/api/v1/topics/{topic.pk}/posts", {"body": "And one more"}, "application/json"
    )
    assert response.status_code == 429 and "New members can post" in response.json()["detail"]
    # A day later the oldest posts no longer count.
    Post.objects.filter(author=newcomer).update(created_at=timezone.now() - timedelta(hours=25))
    forum.create_post(newcomer, topic, body="The next day")
    # From trust level 1 on there is no daily limit.
    User.objects.filter(pk=newcomer.pk).update(trust_level=1)
    newcomer.refresh_from_db()
    for n in range(10):
        forum.create_post(newcomer, topic, body=f"Basic member reply {n}")


def test_new_members_may_be_kept_from_starting_conversations(guidelines):
    ModerationSettings.objects.update_or_create(pk=1, defaults={"tl0_conversations_per_day": 0})
    newcomer = member_at("newbie", guidelines, level=0)
    member_at("bob", guidelines)
    with pytest.raises(ValidationError) as refused:
        messaging.start_conversation(newcomer, get_community(), ["bob"], "hello")
    assert "New members cannot start conversations yet" in str(refused.value)
    assert not Conversation.objects.exists()
    page = client_for(newcomer).post("/messages/new/", {"participants": "bob", "body": "my words"})
    assert "New members cannot start conversations yet" in page.content.decode()
    assert "my words" in page.content.decode()


def test_the_message_counts_seconds_in_singular_and_plural():
    assert RateLimited(1).messages == ["You are doing that too often. Try again in 1 second."]
    assert RateLimited(42).messages == ["You are doing that too often. Try again in 42 seconds."]
    assert RateLimited(0).wait == 1  # never "try again in 0 seconds"
