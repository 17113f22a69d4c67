"""The notification centre, the badge, marking read, preferences and the API."""

import pytest
from django.test import Client

from tests.api.conftest import Api
from tests.forum.conftest import client_for, start_topic
from townsquare.forum import actions as forum
from townsquare.notifications.models import (
    Channel,
    DefaultPreference,
    Kind,
    MemberMute,
    Notification,
    Preference,
)

pytestmark = pytest.mark.django_db


def replies(topic, authors, committed, n):
    with committed():
        for i in range(n):
            forum.create_post(authors[i % len(authors)], topic, body=f"Reply number {i}")


def test_replies_are_gathered_and_following_the_link_marks_them_read(
    member, bob, carol, general, committed
):
    topic = start_topic(member, general)
    replies(topic, [bob, carol], committed, 5)
    client = client_for(member)
    page = client.get("/notifications/").content.decode()
    assert "5 new replies in “How do I export a report?”" in page
    assert client.get("/notifications/badge/").content.decode().count(">5<") == 1
    newest = Notification.objects.filter(recipient=member).order_by("-pk").first()
    response = client.get(f"/notifications/{newest.pk}/")
    assert response.status_code == 302 and f"/{topic.pk}/" in response["Location"]
    assert not Notification.objects.filter(recipient=member, read_at__isnull=True).exists()
    assert ">5<" not in client.get("/notifications/badge/").content.decode()


def test_the_centre_costs_the_same_few_queries_however_long(
    member, bob, general, questions, committed, django_assert_max_num_queries
):
    client = client_for(member)
    topic = start_topic(member, general)
    replies(topic, [bob], committed, 2)
    with django_assert_max_num_queries(20) as few:
        client.get("/notifications/")
    for n in range(8):
        other = start_topic(member, questions, title=f"Question {n}")
        forum.add_reaction(bob, other.posts.get(number=1), "like")
        replies(other, [bob], committed, 1)
    with committed():
        for p in member.forum_posts.all():
            forum.add_reaction(bob, p, "thanks")
    assert Notification.objects.filter(recipient=member).count() > 15
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/notifications/").status_code == 200


def test_pages_do_not_pay_for_the_badge(member_client):
    """The header loads the count after the page, with htmx; the page itself has the link."""
    page = member_client.get("/notifications/").content.decode()
    assert 'hx-get="/notifications/badge/"' in page and 'hx-trigger="load, every 45s"' in page


def test_someone_elses_notification_answers_404(member, bob, general, committed):
    topic = start_topic(member, general)
    replies(topic, [bob], committed, 1)
    note = Notification.objects.get(recipient=member)
    client = client_for(bob)
    assert client.get(f"/notifications/{note.pk}/").status_code == 404
    assert client.post("/notifications/read/", {"id": note.pk}).status_code == 404
    assert client.get("/notifications/99999/").status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_one_and_mark_all(member, bob, carol, general, questions, committed):
    first = start_topic(member, general)
    second = start_topic(member, questions, title="Another question")
    replies(first, [bob], committed, 1)
    replies(second, [carol], committed, 1)
    client = client_for(member)
    one = Notification.objects.get(recipient=member, topic=first)
    client.post("/notifications/read/", {"id": one.pk})
    assert list(
        Notification.objects.filter(read_at__isnull=True).values_list("topic", flat=True)
    ) == [second.pk]
    client.post("/notifications/read/")
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_a_topic_moved_out_of_sight_disappears_from_the_centre(
    member, bob, general, board, committed
):
    from townsquare.forum.models import Audience

    topic = start_topic(member, general)
    replies(topic, [bob], committed, 1)
    forum.update_category(None, general, read_access=Audience.GROUPS, read_groups=[board])
    assert "How do I export" not in client_for(member).get("/notifications/").content.decode()


def test_preferences_page_saves_channels_and_needs_csrf(member, member_client):
    page = member_client.get("/settings/notifications/").content.decode()
    assert 'name="channel_reply"' in page
    member_client.post("/settings/notifications/", {"channel_reply": "digest"})
    assert Preference.objects.get(user=member, kind=Kind.REPLY).channel == Channel.DIGEST
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    assert strict.post("/settings/notifications/", {"channel_reply": "off"}).status_code == 403


def test_admins_set_the_defaults_members_start_from(admin_member_client, member_client, member):
    assert member_client.get("/manage/notifications/").status_code == 403
    admin_member_client.post("/manage/notifications/", {"channel_mention": "off"})
    assert DefaultPreference.objects.get(kind=Kind.MENTION).channel == Channel.OFF
    page = member_client.get("/settings/notifications/").content.decode()
    assert 'name="channel_mention" value="off" aria-label' in page
    assert 'value="off" aria-label="Mentions of me: Off" checked' in page


def test_muting_a_member_from_their_profile_and_undoing_it(member, bob, member_client):
    assert "Mute notifications" in member_client.get("/u/bob/").content.decode()
    member_client.post("/members/bob/mute/")
    assert MemberMute.objects.filter(user=member, muted=bob).exists()
    assert "Unmute notifications" in member_client.get("/u/bob/").content.decode()
    assert "Bob" in member_client.get("/settings/notifications/").content.decode()
    member_client.post(f"/settings/notifications/unmute/member/{bob.pk}/")
    assert not MemberMute.objects.exists()


def test_watching_and_muting_a_group(member, member_client, committed, bob):
    from townsquare.groups import actions as groups
    from townsquare.notifications.models import GroupNotificationSetting

    group = groups.create_group(None, name="Hikers")
    groups.add_member(None, group, member)
    groups.add_member(None, group, bob)
    member_client.post(f"/g/{group.slug}/notifications/", {"level": 3})
    with committed():
        forum.create_topic(bob, group.category, title="Saturday walk", body="Who comes?")
    assert Notification.objects.get(recipient=member).kind == Kind.WATCHED_TOPIC
    member_client.post(f"/g/{group.slug}/notifications/", {"level": 0})
    assert GroupNotificationSetting.objects.get(user=member).level == 0


def test_api_lists_and_marks_read_only_the_callers_own(member, bob, general, committed):
    topic = start_topic(member, general)
    replies(topic, [bob], committed, 3)
    own = Api(member)
    answer = own.get("/notifications").json()
    assert answer["unread"] == 3
    assert answer["results"][0]["count"] == 3 and answer["results"][0]["kind"] == "reply"
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert Api(bob).post("/notifications/read", {"ids": ids}).json()["marked"] == 0
    assert own.post("/notifications/read", {"ids": ids[:1]}).json() == {"marked": 3, "unread": 0}
    assert Api().get("/notifications").status_code == 401
    assert own.post("/notifications/read", {"all": True}).json()["marked"] == 0


def test_api_never_names_an_anonymous_author(member, bob, newcomers, committed):
    topic = start_topic(member, newcomers)
    with committed():
        forum.create_post(bob, topic, body="Same here.", anonymous=True)
    answer = Api(member).get("/notifications").content.decode()
    assert "bob" not in answer.lower() and '"actor": null' in answer


def test_the_group_page_offers_the_level_form_to_members(member, member_client):
    from townsquare.groups import actions as groups

    group = groups.create_group(None, name="Readers")
    groups.add_member(None, group, member)
    page = member_client.get(f"/g/{group.slug}/").content.decode()
    assert f'action="/g/{group.slug}/notifications/"' in page
