"""Read state: new and unread, "new since your last visit", notification levels."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.forum.conftest import client_for, start_topic
from townsquare.accounts.models import User
from townsquare.core.queries import get_community
from townsquare.forum import actions, queries
from townsquare.forum.models import (
    CategoryNotificationSetting,
    NotificationLevel,
    TopicReadState,
)


@pytest.mark.django_db
def test_new_then_unread_then_read(member, bob, general):
    User.objects.filter(pk=bob.pk).update(previous_visit_at=timezone.now() - timedelta(days=1))
    bob.refresh_from_db()
    topic = start_topic(member, general)
    community = get_community()
    assert queries.reader_counts(bob, community) == {"new": 1, "unread": 0}
    client_for(bob).get(topic.get_absolute_url())
    assert queries.reader_counts(bob, community) == {"new": 0, "unread": 0}
    actions.create_post(member, topic, body="An update")
    assert queries.reader_counts(bob, community) == {"new": 0, "unread": 1}
    listing = queries.topic_list(bob, community, status="unread")
    assert listing.topics[0].unread_count == 1
    page = client_for(bob).get("/unread/").content.decode()
    assert f"/p/{topic.pk}/2/" in page  # jump to the first unread post
    badges = client_for(bob).get("/reader-counts/", HTTP_HX_REQUEST="true").content.decode()
    assert '<span id="count-unread" hx-swap-oob="true"> (1)</span>' in badges
    assert '<span id="count-new" hx-swap-oob="true"></span>' in badges
    client_for(bob).get(topic.get_absolute_url())
    assert queries.reader_counts(bob, community) == {"new": 0, "unread": 0}


@pytest.mark.django_db
def test_topics_from_before_the_last_visit_are_not_new(member, bob, general):
    topic = start_topic(member, general)
    User.objects.filter(pk=bob.pk).update(previous_visit_at=timezone.now() + timedelta(seconds=5))
    bob.refresh_from_db()
    assert queries.reader_counts(bob, get_community())["new"] == 0
    assert topic


@pytest.mark.django_db
def test_a_visit_after_an_hour_moves_the_last_visit(member):
    client = client_for(member)
    client.get("/")
    member.refresh_from_db()
    first_seen = member.last_seen_at
    assert first_seen is not None and member.previous_visit_at is not None
    User.objects.filter(pk=member.pk).update(last_seen_at=first_seen - timedelta(hours=2))
    client.get("/")
    member.refresh_from_db()
    assert member.previous_visit_at == first_seen - timedelta(hours=2)


@pytest.mark.django_db
def test_levels_are_stored_and_muting_hides_from_latest(member, bob, general, questions):
    topic = start_topic(member, general)
    muted = start_topic(member, questions, title="Something I do not care about")
    client = client_for(bob)
    client.post(f"/t/{topic.pk}/level/", {"level": NotificationLevel.WATCHING})
    assert TopicReadState.objects.get(user=bob, topic=topic).notification_level == 3
    client.post(f"/c/{questions.slug}/level/", {"level": NotificationLevel.MUTED})
    assert CategoryNotificationSetting.objects.get(user=bob).level == 0
    latest = client.get("/latest/").content.decode()
    assert muted.title not in latest and topic.title in latest
    # The muted category's own page still lists it.
    assert muted.title in client.get(f"/c/{questions.slug}/").content.decode()
    client.post(f"/c/{questions.slug}/level/", {"level": NotificationLevel.NORMAL})
    assert not CategoryNotificationSetting.objects.exists()


@pytest.mark.django_db
def test_long_topic_first_and_last_pages(member, bob, general, settings):
    settings.FORUM_POSTS_PER_PAGE = 20
    topic = start_topic(member, general)
    for number in range(2, 106):
        actions.create_post(None, topic, body=f"Reply number {number}", author=bob)
    topic.refresh_from_db()
    first = queries.topic_posts(topic, member, 1)
    last = queries.topic_posts(topic, member, "last")
    assert [p.number for p in first.posts] == list(range(1, 21))
    assert last.number == 6 and [p.number for p in last.posts] == list(range(101, 106))
    fourth = queries.topic_posts(topic, member, 4)
    assert [p.number for p in fourth.posts] == list(range(61, 81))
    assert queries.page_of_post(topic, 61) == 4
    response = client_for(member).get(f"/p/{topic.pk}/61/")
    assert response["Location"] == f"{topic.get_absolute_url()}?page=4#post-61"
    page = client_for(member).get(f"{topic.get_absolute_url()}?page=6").content.decode()
    assert "Reply number 105" in page and "Reply number 100" not in page


@pytest.mark.django_db
def test_views_are_counted_for_people_not_bots_or_the_author(member, bob, general):
    from townsquare.core import buffers

    topic = start_topic(member, general)
    client_for(bob).get(topic.get_absolute_url())
    client_for(None).get(topic.get_absolute_url())
    client_for(member).get(topic.get_absolute_url())
    client_for(None).get(topic.get_absolute_url(), HTTP_USER_AGENT="Googlebot/2.1")
    client_for(bob).get(topic.get_absolute_url(), HTTP_HX_REQUEST="true")
    buffers.flush_all()
    topic.refresh_from_db()
    assert topic.view_count == 2
