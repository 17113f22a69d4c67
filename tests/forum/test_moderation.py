"""Moderators' tools on topics."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.forum.conftest import client_for, start_topic
from townsquare.core.models import ActivityEvent
from townsquare.core.queries import get_community
from townsquare.forum import actions, queries
from townsquare.forum.models import Post, PostKind, Topic


@pytest.mark.django_db
def test_pins_lead_their_lists_until_they_end(member, moderator, general, questions):
    old = start_topic(member, general, title="Welcome to the community")
    start_topic(member, general, title="A newer topic here")
    faq = start_topic(member, questions, title="How to ask a good question")
    actions.pin_topic(moderator, old, scope="global")
    actions.pin_topic(moderator, faq, scope="category", until=timezone.now() + timedelta(days=1))
    community = get_community()
    everything = queries.topic_list(member, community)
    assert [t.pk for t in everything.pinned] == [old.pk]
    assert old.pk not in [t.pk for t in everything.topics]
    in_questions = queries.topic_list(member, community, category=questions)
    assert [t.pk for t in in_questions.pinned] == [faq.pk]
    with pytest.raises(ValidationError, match="future"):
        actions.pin_topic(moderator, faq, scope="category", until=timezone.now())
    with pytest.raises(PermissionDenied):
        actions.pin_topic(member, faq, scope="global")
    Topic.objects.filter(pk=faq.pk).update(pinned_until=timezone.now() - timedelta(minutes=1))
    assert queries.topic_list(member, community, category=questions).pinned == []


@pytest.mark.django_db
def test_archived_topics_are_frozen(member, bob, moderator, general):
    topic = start_topic(member, general)
    reply = actions.create_post(bob, topic, body="A reply")
    actions.set_archived(moderator, topic, True)
    with pytest.raises(PermissionDenied):
        actions.create_post(bob, topic, body="Another")
    with pytest.raises(PermissionDenied):
        actions.edit_post(bob, reply, body="Changed")
    with pytest.raises(PermissionDenied):
        actions.add_reaction(member, reply, "like")


@pytest.mark.django_db
def test_move_keeps_counts_right(member, moderator, general, questions):
    topic = start_topic(member, general)
    actions.create_post(moderator, topic, body="Moving this to Q&A.")
    actions.move_topic(moderator, topic, questions)
    general.refresh_from_db()
    questions.refresh_from_db()
    assert (general.topic_count, general.post_count) == (0, 0)
    assert (questions.topic_count, questions.post_count) == (1, 2)
    assert ActivityEvent.objects.filter(verb="topic.moved").exists()


@pytest.mark.django_db
def test_split_moves_replies_into_a_new_topic(member, bob, moderator, general, questions):
    topic = start_topic(member, general)
    keep = actions.create_post(bob, topic, body="On topic")
    off1 = actions.create_post(bob, topic, body="Off topic: what about SSO?")
    off2 = actions.create_post(member, topic, body="Yes, SSO with Okta works.", reply_to=off1)
    new_topic = actions.split_topic(
        moderator, topic, [off1.pk, off2.pk], title="SSO with Okta", category=questions
    )
    off1.refresh_from_db()
    off2.refresh_from_db()
    assert (off1.topic, off1.number, off2.number) == (new_topic, 1, 2)
    assert off2.reply_to == off1
    new_topic.refresh_from_db()
    topic.refresh_from_db()
    assert new_topic.author == bob and new_topic.reply_count == 1
    assert topic.reply_count == 1 and topic.last_poster == bob
    action = Post.objects.get(topic=topic, kind=PostKind.ACTION)
    assert action.action == {"code": "split_to", "count": 2, "topic": new_topic.pk}
    page = client_for(member).get(topic.get_absolute_url()).content.decode()
    assert "moved 2 replies to a new topic" in page and "SSO with Okta" in page
    assert keep.number == 2


@pytest.mark.django_db
def test_merge_appends_posts_and_redirects(member, bob, moderator, general):
    target = start_topic(member, general, title="Export to CSV")
    source = start_topic(bob, general, title="CSV export question", body="Same question")
    actions.create_post(member, source, body="Me too")
    actions.merge_topics(moderator, source, target)
    target.refresh_from_db()
    numbers = list(target.posts.order_by("number").values_list("number", "kind"))
    assert numbers == [(1, "regular"), (2, "regular"), (3, "regular"), (4, "action")]
    assert target.reply_count == 2
    response = client_for(member).get(source.get_absolute_url())
    assert response.status_code == 301 and response["Location"] == target.get_absolute_url()
    general.refresh_from_db()
    assert general.topic_count == 1
    with pytest.raises(ValidationError):
        actions.merge_topics(moderator, target, target)


@pytest.mark.django_db
def test_moderator_pages_need_a_moderator(member, moderator, general):
    topic = start_topic(member, general)
    assert client_for(member).get(f"/t/{topic.pk}/move/").status_code == 403
    assert (
        client_for(member).post(f"/t/{topic.pk}/moderate/", {"action": "close"}).status_code == 403
    )
    client = client_for(moderator)
    assert client.post(f"/t/{topic.pk}/moderate/", {"action": "close"}).status_code == 302
    topic.refresh_from_db()
    assert topic.is_closed
    response = client.post(f"/t/{topic.pk}/merge/", {"target": "/t/nothing/99999/"})
    assert "No topic you can see" in response.content.decode()
