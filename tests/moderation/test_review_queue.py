"""The review queue: staff see pending items oldest first, the content in context, who
flagged it and why and the author's history, and decide, once, in one transaction."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.moderation.conftest import client_for, start_topic
from townsquare.forum import actions as forum
from townsquare.moderation.actions.flags import flag
from townsquare.moderation.actions.review import decide, hide_content
from townsquare.moderation.models import (
    AuditEntry,
    ModerationSettings,
    Notice,
    ReviewItem,
    ReviewKind,
    Sanction,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(bob, member, carol, general):
    """bob's reply, flagged as spam by alice and carol, between two harmless posts."""
    topic = start_topic(bob, general, title="Garden party", body="bring cake")
    reply = forum.create_post(bob, topic, body="visit my casino site")
    forum.create_post(carol, topic, body="see you there")
    flag(member, reply, reason="spam", note="a casino link")
    flag(carol, reply, reason="inappropriate")
    return reply


def test_only_staff_see_the_queue(flagged, member, moderator):
    item = ReviewItem.objects.get()
    for path in ("/moderation/", f"/moderation/review/{item.pk}/"):
        assert client_for(member).get(path).status_code == 403
        assert client_for(None).get(path).status_code == 302  # to sign in
        assert client_for(moderator).get(path).status_code == 200


def test_the_queue_is_oldest_first_filtered_and_has_no_n_plus_1(
    flagged, bob, member, carol, moderator, general, django_assert_max_num_queries
):
    item = ReviewItem.objects.get()
    flag(member, bob, reason="inappropriate", note="rude profile")
    page = client_for(moderator).get("/moderation/").content.decode()
    assert "2 items waiting" in page
    assert page.index("visit my casino site") < page.index("Profile of @bob")
    assert "Spam" in page and "Inappropriate" in page
    only_posts = client_for(moderator).get("/moderation/?kind=post").content.decode()
    assert "casino" in only_posts and "Profile of @bob" not in only_posts
    by_reason = client_for(moderator).get("/moderation/?kind=member&reason=spam").content.decode()
    assert "1 item waiting" not in by_reason and "Nothing waiting" in by_reason
    flag(member, flagged.topic, reason="off_topic")  # every kind of thing is on the page
    client = client_for(moderator)
    client.get("/moderation/")
    with django_assert_max_num_queries(20) as few:
        client.get("/moderation/")
    for n in range(15):
        topic = start_topic(bob, general, title=f"Topic {n}", body=f"text {n}")
        flag(member, topic.posts.get(number=1), reason="spam")
        flag(carol, topic, reason="off_topic")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "33 items waiting" in client.get("/moderation/").content.decode()
    assert item.pk


def test_the_item_shows_content_in_context_flags_and_history(flagged, bob, moderator, member):
    item = ReviewItem.objects.get()
    earlier = start_topic(bob, flagged.topic.category, title="Earlier", body="old spam")
    decide(moderator, flag(member, earlier, reason="spam").item, "hide", reason="Spam before")
    page = client_for(moderator).get(f"/moderation/review/{item.pk}/").content.decode()
    assert "Garden party" in page and "bring cake" in page and "see you there" in page
    assert "visit my casino site" in page
    assert "@alice" in page and "a casino link" in page and "@carol" in page
    assert "trust level 0" in page and "Spam before" in page
    assert 'name="decision"' in page and "csrfmiddlewaretoken" in page
    assert 'value="be-kind"' in page  # the guideline sections


def test_hide_with_a_guideline_notifies_the_author_and_leaves_one_entry(flagged, bob, moderator):
    item = ReviewItem.objects.get()
    response = client_for(moderator).post(
        f"/moderation/review/{item.pk}/",
        {"decision": "hide", "reason": "Casino spam", "guideline": "be-kind", "member_action": ""},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    flagged.refresh_from_db()
    assert (item.status, item.decision, item.decided_by) == ("decided", "hide", moderator)
    assert flagged.hidden_at is not None and flagged.hidden_reason == "Casino spam"
    assert AuditEntry.objects.filter(action="review.hidden").count() == 1
    assert not AuditEntry.objects.filter(action="post.hidden").exists()
    notice = Notice.objects.get(member=bob)
    assert (notice.reason, notice.guideline, notice.review_item) == ("Casino spam", "be-kind", item)
    # decided once: a second decision is refused clearly
    with pytest.raises(ValidationError, match="already decided"):
        decide(moderator, item, "keep", reason="")
    again = client_for(moderator).post(
        f"/moderation/review/{item.pk}/", {"decision": "keep"}, follow=True
    )
    assert "This item was already decided." in again.content.decode()


def test_keep_dismisses_the_flags_and_shows_auto_hidden_content_again(flagged, moderator, bob):
    item = ReviewItem.objects.get()
    hide_content(None, flagged, reason="flags", item=item)
    ReviewItem.objects.filter(pk=item.pk).update(auto_hidden=True)
    decide(moderator, item, "keep", reason="")
    flagged.refresh_from_db()
    assert flagged.hidden_at is None
    assert AuditEntry.objects.filter(action="review.kept").count() == 1
    assert not Notice.objects.exists()


def test_edit_and_delete_go_through_the_forum_actions(flagged, moderator, bob, member, general):
    item = ReviewItem.objects.get()
    with pytest.raises(ValidationError):
        decide(moderator, item, "edit", reason="Removed the link", body="")
    decide(moderator, item, "edit", reason="Removed the link", body="visit my site")
    flagged.refresh_from_db()
    assert flagged.body == "visit my site" and flagged.edit_count == 1
    assert flagged.revisions.get().editor == moderator
    assert AuditEntry.objects.filter(action="review.edited").count() == 1
    assert not AuditEntry.objects.filter(action="post.edited").exists()  # a step of it

    other = start_topic(bob, general, title="Spam topic", body="spam spam")
    flag(member, other, reason="spam")
    second = ReviewItem.objects.get(status="pending")
    decide(moderator, second, "delete", reason="Spam")
    other.refresh_from_db()
    assert other.deleted_at is not None and other.deleted_by == moderator
    assert AuditEntry.objects.filter(action="review.deleted").count() == 1
    # The deletion is a step of the decision: no second entry of its own.
    assert not AuditEntry.objects.filter(action__in=["post.deleted", "topic.deleted"]).exists()
    assert Notice.objects.filter(member=bob).count() == 2


def test_reason_decision_and_permission_are_checked(flagged, moderator, member):
    item = ReviewItem.objects.get()
    with pytest.raises(PermissionDenied):
        decide(member, item, "keep", reason="")
    with pytest.raises(ValidationError, match="reason"):
        decide(moderator, item, "hide", reason=" ")
    with pytest.raises(ValidationError):
        decide(moderator, item, "approve", reason="x")
    with pytest.raises(ValidationError):
        decide(moderator, item, "hide", reason="x", guideline="no-such-section")
    with pytest.raises(ValidationError):
        decide(moderator, item, "hide", reason="x", sanction="silence")  # no days
    assert ReviewItem.objects.get().status == "pending"
    assert not AuditEntry.objects.filter(action__startswith="review.").exists()


def test_a_member_action_beside_the_decision_is_a_second_entry(flagged, moderator, bob):
    item = ReviewItem.objects.get()
    decide(moderator, item, "delete", reason="Casino spam", sanction="silence", days=3)
    bob.refresh_from_db()
    assert bob.silenced_until is not None
    sanction = Sanction.objects.get(member=bob)
    assert (sanction.kind, sanction.review_item) == ("silence", item)
    assert AuditEntry.objects.filter(action="review.deleted").count() == 1
    assert AuditEntry.objects.filter(action="member.silenced").count() == 1


def test_queued_items_are_approved_or_rejected(moderator, bob, general):
    item = ReviewItem.objects.create(
        kind=ReviewKind.QUEUED, author=bob,
        payload={"type": "topic", "category": general.pk, "title": "Held", "body": "text"},
    )  # fmt: skip
    page = client_for(moderator).get(f"/moderation/review/{item.pk}/").content.decode()
    assert "Held" in page and 'value="approve"' in page and 'value="hide"' not in page
    with pytest.raises(ValidationError):
        decide(moderator, item, "hide", reason="x")
    decide(moderator, item, "reject", reason="Spam")
    item.refresh_from_db()
    assert (item.status, item.decision) == ("decided", "reject")
    assert Notice.objects.get(member=bob).reason == "Spam"
    assert ModerationSettings.objects.count() <= 1
