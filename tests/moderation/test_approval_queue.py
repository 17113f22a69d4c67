"""The approval queue: held posts (first posts, hold words, spam, new members' limits),
published or rejected by a moderator, never lost, and never for messages or the system."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import Api
from tests.forum.conftest import client_for, start_topic
from townsquare.core.queries import get_community
from townsquare.forum import actions as forum
from townsquare.forum.models import Post, Topic
from townsquare.messaging import actions as messaging
from townsquare.moderation.actions import queue, rules
from townsquare.moderation.models import AuditEntry, Notice, ReviewItem
from townsquare.moderation.screening import PostHeld

pytestmark = pytest.mark.django_db

TWENTY_LINKS = "My favourite shops:\n" + "\n".join(
    f"- https://deals{n}.example/cheap" for n in range(20)
)
HELD = "Your post is waiting for a moderator&#x27;s approval."


def audits(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


def test_a_new_account_posting_twenty_links_is_held_through_the_page(member, general):
    page = client_for(member)
    response = page.post(
        "/new-topic/",
        {"category": general.pk, "title": "Great deals today", "body": TWENTY_LINKS,
         "tags": "", "client_token": "form-1"},
        follow=True,
    )  # fmt: skip
    assert response.redirect_chain[-1][0] == "/moderation/waiting/"
    text = response.content.decode()
    assert HELD in text
    assert "Great deals today" in text and "deals19.example" in text  # nothing is lost
    assert not Topic.objects.exists()
    item = ReviewItem.objects.get()
    assert (item.kind, item.status, item.author) == ("queued", "pending", member)
    assert item.payload == {
        "type": "topic", "category": general.pk, "title": "Great deals today",
        "body": TWENTY_LINKS, "tags": [], "anonymous": False, "client_token": "form-1",
    }  # fmt: skip
    assert item.spam_score >= 0.8
    assert {s["rule"] for s in item.signals} == {"new_member_limit", "spam_score"}
    entry = AuditEntry.objects.get(action="post.held")
    assert entry.actor is None and entry.actor_label == "system"
    # The same form sent again is the same held post.
    page.post(
        "/new-topic/",
        {"category": general.pk, "title": "Great deals today", "body": TWENTY_LINKS,
         "tags": "", "client_token": "form-1"},
    )  # fmt: skip
    assert ReviewItem.objects.count() == 1 and audits("post.held") == 1


def test_a_reply_with_twenty_links_is_held_and_the_page_says_so(member, bob, general):
    topic = start_topic(bob, general)
    response = client_for(member).post(f"/t/{topic.pk}/reply/", {"body": TWENTY_LINKS}, follow=True)
    assert response.redirect_chain[-1][0] == "/moderation/waiting/"
    text = response.content.decode()
    assert HELD in text and "deals19.example" in text and topic.title in text
    assert topic.posts.count() == 1
    assert ReviewItem.objects.get().payload["topic"] == topic.pk


def test_a_new_account_posting_twenty_links_is_held_through_the_api(member, bob, general):
    api = Api(member)
    key = {"Idempotency-Key": "retry-1"}
    payload = {"category_id": general.pk, "title": "Great deals today", "body": TWENTY_LINKS}
    response = api.post("/topics", payload, headers=key)
    assert response.status_code == 202, response.content
    item = ReviewItem.objects.get()
    assert response.json() == {
        "status": "pending_approval",
        "review_id": item.pk,
        "detail": "Your post is waiting for a moderator's approval.",
    }
    assert api.post("/topics", payload, headers=key).json()["review_id"] == item.pk
    topic = start_topic(bob, general)
    reply = api.post(f"/topics/{topic.pk}/posts", {"body": TWENTY_LINKS})
    assert reply.status_code == 202
    assert reply.json()["review_id"] == ReviewItem.objects.latest("pk").pk
    assert not Topic.objects.exclude(pk=topic.pk).exists() and topic.posts.count() == 1
    assert audits("post.held") == 2


def test_first_posts_wait_until_approved_and_the_author_is_told(member, moderator, general):
    rules.update_moderation_settings(moderator, approve_first_posts=1)
    with pytest.raises(PostHeld) as held:
        start_topic(member, general, title="Hello everyone", body="Glad to be here.")
    item = held.value.item
    assert item.signals == [
        {"rule": "first_posts", "detail": "one of the first posts of an account"}
    ]
    post = queue.publish_queued(moderator, item)
    assert (post.author, post.number, post.topic.title) == (member, 1, "Hello everyone")
    item.refresh_from_db()
    assert (item.status, item.decision, item.decided_by) == ("decided", "approve", moderator)
    assert item.target_id == str(post.pk)
    assert audits("queued.approved") == 1
    notice = Notice.objects.get(member=member)
    assert notice.action == "queued.approved" and notice.review_item == item
    # Published once, the member posts at once.
    assert start_topic(member, general, title="Second topic", body="Now straight away.").pk
    with pytest.raises(ValidationError):
        queue.publish_queued(moderator, item)  # decided already
    assert audits("queued.approved") == 1


def test_a_held_reply_is_published_where_it_was_written(member, bob, moderator, general):
    rules.add_watched_word(moderator, pattern="crypto", match="whole", action="approve")
    topic = start_topic(bob, general)
    first = topic.posts.get()
    with pytest.raises(PostHeld) as held:
        forum.create_post(member, topic, body="Pay me in crypto.", reply_to=first)
    assert held.value.item.signals == [{"rule": "watched_word", "detail": "crypto"}]
    post = queue.publish_queued(moderator, held.value.item)
    assert (post.topic, post.number, post.reply_to, post.author) == (topic, 2, first, member)
    topic.refresh_from_db()
    assert topic.reply_count == 1


def test_rejecting_needs_a_reason_which_the_author_receives(member, moderator, general):
    with pytest.raises(PostHeld) as held:
        start_topic(member, general, title="Great deals today", body=TWENTY_LINKS)
    item = held.value.item
    with pytest.raises(ValidationError):
        queue.reject_queued(moderator, item, reason="  ")
    queue.reject_queued(moderator, item, reason="Advertising is not allowed.")
    item.refresh_from_db()
    assert (item.status, item.decision, item.decision_reason) == (
        "decided", "reject", "Advertising is not allowed.",
    )  # fmt: skip
    assert audits("queued.rejected") == 1
    notice = Notice.objects.get(member=member)
    assert (notice.action, notice.reason) == ("queued.rejected", "Advertising is not allowed.")
    assert not Topic.objects.exists()
    assert (
        "Great deals today" not in client_for(member).get("/moderation/waiting/").content.decode()
    )


def test_only_staff_decide(member, bob, general):
    with pytest.raises(PostHeld) as held:
        start_topic(member, general, title="Great deals today", body=TWENTY_LINKS)
    with pytest.raises(PermissionDenied):
        queue.publish_queued(bob, held.value.item)
    with pytest.raises(PermissionDenied):
        queue.reject_queued(bob, held.value.item, reason="no")


def test_a_new_member_over_the_links_of_their_level_is_held(member, bob, general):
    text = "Three references: https://a.example https://b.example https://c.example for you"
    with pytest.raises(PostHeld) as held:
        start_topic(member, general, body=text)
    assert held.value.item.signals[0] == {
        "rule": "new_member_limit", "detail": "links: 3 (new members may post 2)",
    }  # fmt: skip
    bob.trust_level = 1
    bob.save(update_fields=["trust_level"])
    assert start_topic(bob, general, body=text).pk


def test_messages_edits_and_the_system_are_never_held(member, bob, moderator, general):
    conversation = messaging.start_conversation(member, get_community(), ["bob"], TWENTY_LINKS)
    assert conversation.last_message.body == TWENTY_LINKS
    flagged = ReviewItem.objects.get(kind="flagged")
    assert flagged.target_id == str(conversation.last_message.pk)
    topic = start_topic(member, general)
    forum.edit_post(member, topic.posts.get(), body=TWENTY_LINKS)
    assert topic.posts.get().body == TWENTY_LINKS
    assert ReviewItem.objects.filter(kind="flagged").count() == 2
    imported = forum.create_topic(
        None, general, title="Imported links", body=TWENTY_LINKS, author=member
    )
    assert imported.posts.get().body == TWENTY_LINKS
    assert not ReviewItem.objects.filter(kind="queued").exists()


def test_the_approval_setting_page_changes_it_with_one_audit_entry(moderator, member):
    assert client_for(member).get("/moderation/approval/").status_code == 403
    page = client_for(moderator)
    assert page.post("/moderation/approval/", {"approve_first_posts": "3"}).status_code == 302
    page.post("/moderation/approval/", {"approve_first_posts": "3"})  # no change, no entry
    bad = page.post("/moderation/approval/", {"approve_first_posts": "-1"})
    assert bad.status_code == 200 and "greater than or equal to 0" in bad.content.decode()
    entry = AuditEntry.objects.get(action="moderation_settings.changed")
    assert (entry.before, entry.after) == ({"approve_first_posts": 0}, {"approve_first_posts": 3})


def test_the_waiting_list_costs_a_fixed_number_of_queries(member, general):
    page = client_for(member)
    page.get("/moderation/waiting/")  # the day's first visit is recorded once
    counts = []
    for n in range(5):
        with pytest.raises(PostHeld):
            start_topic(member, general, title=f"Great deals {n}", body=f"{n} {TWENTY_LINKS}")
        with CaptureQueriesContext(connection) as queries:
            response = page.get("/moderation/waiting/")
        counts.append(len(queries))
    assert len(set(counts)) == 1, counts
    assert response.content.decode().count('class="waiting-post"') == 5
    assert Post.objects.count() == 0
