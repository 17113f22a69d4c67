"""Who hears about forum events: replies, mentions, quotes, reactions, accepted answers,
watching and following; and who never does."""

import pytest
from django.test import Client

from tests.forum.conftest import start_topic
from tests.notifications.conftest import kinds
from townsquare.accounts.models import Follow
from townsquare.forum import actions as forum
from townsquare.forum.models import (
    CategoryNotificationSetting,
    NotificationLevel,
    Tag,
    TagNotificationSetting,
    TopicReadState,
)
from townsquare.messaging import actions as messaging
from townsquare.notifications import actions
from townsquare.notifications.models import Kind, MemberMute, Notification

pytestmark = pytest.mark.django_db


def watch_category(user, category, level=NotificationLevel.WATCHING):
    CategoryNotificationSetting.objects.create(user=user, category=category, level=level)


def test_a_reply_tells_the_topic_author_and_nobody_else(member, bob, carol, general, committed):
    topic = start_topic(member, general)
    with committed():
        post = forum.create_post(bob, topic, body="Use the export button.")
    assert kinds(member) == [Kind.REPLY]
    assert kinds(bob) == [] and kinds(carol) == []
    note = Notification.objects.get(recipient=member)
    assert (note.actor, note.topic, note.post) == (bob, topic, post)
    assert note.group_key == f"reply:topic:{topic.pk}"


def test_a_reply_to_a_post_tells_its_author_and_watchers_of_the_topic(
    member, bob, carol, general, committed
):
    topic = start_topic(member, general)
    answer = forum.create_post(bob, topic, body="Try the export button.")
    with committed():
        forum.create_post(carol, topic, body="That worked for me too.", reply_to=answer)
    assert kinds(bob) == [Kind.REPLY]
    # The author watches their own topic: a new post, not a reply to them.
    assert kinds(member) == [Kind.WATCHED_POST]


def test_a_mention_wins_over_other_reasons_one_notification_each(
    member, bob, carol, general, committed
):
    topic = start_topic(member, general)
    with committed():
        forum.create_post(bob, topic, body="@alice and @carol, look at this.")
    assert kinds(member) == [Kind.MENTION]
    assert kinds(carol) == [Kind.MENTION]


def test_a_quote_tells_the_quoted_author(member, bob, carol, general, committed):
    topic = start_topic(member, general)
    forum.create_post(bob, topic, body="Export is under Reports.")
    body = f'[quote="bob, post:2, topic:{topic.pk}"]\nExport is under Reports.\n[/quote]\n\nThanks'
    with committed():
        forum.create_post(carol, topic, body=body)
    assert kinds(bob) == [Kind.QUOTE]


def test_watchers_of_a_category_and_a_tag_hear_of_new_topics_and_posts(
    member, bob, carol, dave, general, committed
):
    watch_category(bob, general)
    watch_category(carol, general, NotificationLevel.WATCHING_FIRST_POST)
    Tag.objects.create(name="export")
    TagNotificationSetting.objects.create(
        user=dave, tag=Tag.objects.get(name="export"), level=NotificationLevel.WATCHING
    )
    with committed():
        topic = start_topic(member, general, tags=["export"])
    assert kinds(bob) == kinds(carol) == kinds(dave) == [Kind.WATCHED_TOPIC]
    with committed():
        forum.create_post(member, topic, body="Anyone?")
    assert kinds(bob) == [Kind.WATCHED_POST, Kind.WATCHED_TOPIC]
    assert kinds(dave) == [Kind.WATCHED_POST, Kind.WATCHED_TOPIC]
    assert kinds(carol) == [Kind.WATCHED_TOPIC]  # first posts only


def test_followers_hear_of_new_topics_but_never_of_anonymous_ones(
    member, bob, general, newcomers, committed
):
    Follow.objects.create(follower=bob, followed=member)
    with committed():
        start_topic(member, general)
        start_topic(member, newcomers, title="A shy question", anonymous=True)
    assert kinds(bob) == [Kind.FOLLOWED_TOPIC]


def test_an_anonymous_reply_never_names_its_author(member, bob, newcomers, committed):
    topic = start_topic(member, newcomers)
    with committed():
        forum.create_post(bob, topic, body="I had the same problem.", anonymous=True)
    note = Notification.objects.get(recipient=member)
    assert note.actor is None
    assert "bob" not in str(note.data).lower()


def test_nobody_hears_of_what_they_may_not_read(member, bob, insider, boardroom, board, committed):
    """Watching a private category, being mentioned or followed there: nothing for
    those outside its group."""
    watch_category(bob, boardroom)
    watch_category(insider, boardroom)
    Follow.objects.create(follower=bob, followed=insider)
    with committed():
        topic = forum.create_topic(
            insider, boardroom, title="Budget", body="@bob and @alice, numbers inside."
        )
    assert kinds(bob) == [] and kinds(member) == []
    with committed():
        forum.create_post(insider, topic, body="More numbers for @bob.")
    assert Notification.objects.exclude(recipient=insider).count() == 0


def test_reactions_and_accepted_answers_tell_the_author(member, bob, questions, committed):
    topic = start_topic(member, questions)
    answer = forum.create_post(bob, topic, body="Here is how.")
    Notification.objects.all().delete()
    with committed():
        forum.add_reaction(member, answer, "like")
        forum.accept_answer(member, answer)
    assert kinds(bob) == [Kind.ANSWER_ACCEPTED, Kind.REACTION]
    assert Notification.objects.get(recipient=bob, kind=Kind.REACTION).actor == member
    # Taking the reaction back and giving it again tells nobody twice.
    with committed():
        forum.remove_reaction(member, answer, "like")
        forum.add_reaction(member, answer, "like")
    assert kinds(bob) == [Kind.ANSWER_ACCEPTED, Kind.REACTION]


def test_a_moderator_removing_a_post_tells_its_author(member, bob, moderator, general, committed):
    topic = start_topic(member, general)
    post = forum.create_post(bob, topic, body="Buy cheap watches!")
    with committed():
        forum.delete_post(moderator, post)
    assert kinds(bob) == [Kind.MODERATION]
    assert Notification.objects.get(recipient=bob).actor is None
    client = Client()
    client.force_login(bob)
    assert "A moderator removed your post" in client.get("/notifications/").content.decode()
    with committed():
        forum.recover_post(moderator, post)
    assert kinds(bob) == [Kind.MODERATION, Kind.MODERATION]
    # Gathered with the removal, the newest news leads: the post is back.
    assert "A moderator restored your post" in client.get("/notifications/").content.decode()


def test_mutes_of_topic_category_and_member_are_respected(
    member, bob, carol, dave, general, committed
):
    topic = start_topic(member, general)
    TopicReadState.objects.filter(user=member, topic=topic).update(
        notification_level=NotificationLevel.MUTED
    )
    watch_category(carol, general)
    MemberMute.objects.create(user=carol, muted=bob)
    watch_category(dave, general, NotificationLevel.MUTED)
    with committed():
        forum.create_post(bob, topic, body="@dave hello")
    assert kinds(member) == kinds(carol) == kinds(dave) == []


def test_a_block_either_way_silences(member, bob, carol, general, committed):
    topic = start_topic(member, general)
    watch_category(carol, general)
    messaging.block_member(member, bob)
    messaging.block_member(bob, carol)
    with committed():
        forum.create_post(bob, topic, body="Hello")
    assert kinds(member) == kinds(carol) == []


def test_channel_off_sends_nothing_and_email_is_stored_for_the_mailer(
    member, bob, carol, general, admin_member, committed
):
    topic = start_topic(member, general)
    actions.set_preferences(member, {Kind.REPLY: "off"})
    actions.set_default_preferences(admin_member, {Kind.MENTION: "email"})
    with committed():
        forum.create_post(bob, topic, body="Thoughts, @carol?")
    assert kinds(member) == []
    assert Notification.objects.get(recipient=carol).channel == "email"


def test_fan_out_runs_in_batches_and_twice_creates_nothing_twice(
    member, general, guidelines, monkeypatch
):
    from tests.conftest import make_member

    watchers = [make_member(f"watcher{i}", guidelines) for i in range(5)]
    for user in watchers:
        watch_category(user, general)
    monkeypatch.setattr(actions, "BATCH_SIZE", 2)
    topic = start_topic(member, general)
    post = topic.posts.get(number=1)
    assert actions.fan_out_now("post", post.pk) == 5
    assert actions.fan_out_now("post", post.pk) == 0
    assert Notification.objects.count() == 5


def test_the_batched_policy_agrees_with_may_view_topic(
    community, member, moderator, insider, boardroom, lounge, general, committed
):
    from townsquare.core import permissions

    users = [member, moderator, insider]
    for category in (boardroom, lounge, general):
        topic = start_topic(insider, category)
        expected = {u.pk for u in users if permissions.may_view_topic(u, community, topic)}
        got = permissions.members_who_may_view_topic([u.pk for u in users], community, topic)
        assert got == expected, category.name
