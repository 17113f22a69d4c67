"""A hidden post or topic disappears from lists, search, feeds, digests, the sitemap,
profiles and the API for everyone but staff; its author and staff still open it, and
others see a placeholder in the topic's stream."""

import feedparser
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.conftest import sitemap_text
from tests.moderation.conftest import client_for, start_topic
from townsquare.core.queries import get_community
from townsquare.forum import actions as forum
from townsquare.moderation.actions.review import hide_content, unhide_content
from townsquare.moderation.models import AuditEntry
from townsquare.notifications import actions as notifications
from townsquare.notifications import digest
from townsquare.notifications.models import DigestFrequency
from townsquare.search.queries import search

pytestmark = pytest.mark.django_db


def found(user, query: str) -> set[int]:
    return {hit.post.pk for hit in search(user, get_community(), query).hits}


@pytest.fixture
def spam(bob, general, committed):
    """bob's topic "Cheap watches" (whose opening post is then hidden) and his harmless
    topic "Garden party" with a reply by carol, all indexed for search."""
    with committed():
        bad = start_topic(bob, general, title="Cheap watches", body="buy replica watches now")
        good = start_topic(bob, general, title="Garden party", body="bring watches and cake")
    return bad, good


def test_a_hidden_topic_leaves_lists_search_feeds_sitemap_profile_and_api(
    spam, bob, member, moderator, committed
):
    bad, good = spam
    opening = bad.posts.get(number=1)
    assert found(member, "replica") == {opening.pk}
    with committed():
        hide_content(moderator, opening, reason="Advertising")  # the opening post hides the topic
    bad.refresh_from_db()
    assert bad.hidden_at is not None and bad.hidden_by == moderator
    assert AuditEntry.objects.filter(action="topic.hidden").count() == 1

    # Lists
    for user in (None, member, bob):
        latest = client_for(user).get("/latest/").content.decode()
        assert "Cheap watches" not in latest and "Garden party" in latest
        assert "Cheap watches" not in client_for(user).get("/categories/").content.decode()
    assert "Cheap watches" in client_for(moderator).get("/latest/").content.decode()
    # Search: the index no longer holds it, for anyone (moderators use the queue).
    assert found(member, "replica") == set() and found(bob, "replica") == set()
    assert found(moderator, "replica") == set()
    assert found(member, "watches") == {good.posts.get(number=1).pk}
    # Feeds and the sitemap
    for path in ("/latest.rss", "/latest.atom", "/c/general/feed.rss"):
        titles = [
            entry.title for entry in feedparser.parse(client_for(None).get(path).content).entries
        ]
        assert "Cheap watches" not in titles and "Garden party" in titles, path
    sitemap = sitemap_text(client_for(None))
    assert bad.get_absolute_url() not in sitemap and good.get_absolute_url() in sitemap
    # The author's profile activity
    profile = client_for(member).get(f"/u/{bob.handle}/").content.decode()
    assert "Cheap watches" not in profile and "Garden party" in profile
    # The API
    api = client_for(member).get("/api/v1/topics").json()
    assert [t["title"] for t in api["results"]] == ["Garden party"]
    assert client_for(member).get(f"/api/v1/topics/{bad.pk}").status_code == 404

    # Others cannot open it; the author and staff can, the author with the reason.
    assert client_for(member).get(bad.get_absolute_url()).status_code == 404
    assert client_for(None).get(bad.get_absolute_url()).status_code == 404
    own = client_for(bob).get(bad.get_absolute_url()).content.decode()
    assert "Hidden by the moderators: Advertising" in own and "buy replica watches" in own
    staff = client_for(moderator).get(bad.get_absolute_url()).content.decode()
    assert "buy replica watches" in staff

    # Unhidden, it is everywhere again, and found by search.
    with committed():
        unhide_content(moderator, bad, reason="Sold by a member, fine")
    assert found(member, "replica") == {opening.pk}
    assert "Cheap watches" in client_for(member).get("/latest/").content.decode()
    assert AuditEntry.objects.filter(action="topic.unhidden").count() == 1


def test_a_hidden_reply_is_a_placeholder_to_others(
    bob, carol, member, moderator, general, committed
):
    with committed():
        topic = start_topic(bob, general, title="Garden party", body="bring cake")
        reply = forum.create_post(carol, topic, body="visit my casino site")
    assert found(member, "casino") == {reply.pk}
    with committed():
        hide_content(moderator, reply, reason="Spam link")
    assert AuditEntry.objects.filter(action="post.hidden").count() == 1
    page = client_for(member).get(topic.get_absolute_url()).content.decode()
    assert "casino" not in page and "This post was hidden by the moderators." in page
    assert "bring cake" in page
    own = client_for(carol).get(topic.get_absolute_url()).content.decode()
    assert "visit my casino site" in own and "Hidden by the moderators: Spam link" in own
    assert (
        "visit my casino site"
        in client_for(moderator).get(topic.get_absolute_url()).content.decode()
    )
    # search, the author's profile and the API's post
    assert found(member, "casino") == set() and found(carol, "casino") == set()
    api = client_for(member).get(f"/api/v1/topics/{topic.pk}").json()
    (placeholder,) = [p for p in api["posts"] if p["id"] == reply.pk]
    assert placeholder["hidden"] and placeholder["body"] is None
    assert "casino" not in str(api)
    own = client_for(carol).get(f"/api/v1/topics/{topic.pk}").json()
    assert "visit my casino site" in str(own)
    assert client_for(member).get(f"/moderation/flag/post/{reply.pk}/").status_code == 404


def test_a_hidden_topic_is_left_out_of_the_digest(
    spam, bob, member, moderator, smtp_delivery, django_capture_on_commit_callbacks
):
    bad, _good = spam
    hide_content(moderator, bad, reason="Advertising")
    hour = timezone.now().astimezone(timezone.get_current_timezone()).hour
    notifications.set_mail_settings(member, digest=DigestFrequency.DAILY, digest_hour=hour)
    with django_capture_on_commit_callbacks(execute=True):
        assert digest.send_batch([member.pk]) == 1
    (mail,) = smtp_delivery.wait_for_mail(1)
    text = mail.parsed().get_body(("plain",)).get_content()
    assert "Garden party" in text and "Cheap watches" not in text


def test_hiding_is_for_staff_and_happens_once(spam, bob, member, moderator):
    bad, _good = spam
    with pytest.raises(PermissionDenied):
        hide_content(member, bad, reason="I do not like it")
    with pytest.raises(ValidationError):
        hide_content(moderator, bad, reason="  ")
    hide_content(moderator, bad, reason="Advertising")
    with pytest.raises(ValidationError, match="already hidden"):
        hide_content(moderator, bad, reason="Again")
    with pytest.raises(PermissionDenied):
        unhide_content(bob, bad, reason="Please")
    assert AuditEntry.objects.filter(action="topic.hidden").count() == 1
