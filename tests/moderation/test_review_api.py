"""The moderation API: members flag what they may see; staff read the review queue and
decide. Errors are JSON {detail, field}, like the rest of the API."""

import pytest

from tests.api.conftest import Api
from tests.moderation.conftest import start_topic
from townsquare.forum import actions as forum
from townsquare.moderation.models import AuditEntry, Flag, ReviewItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def reply(bob, carol, general):
    topic = start_topic(bob, general, title="Garden party", body="bring cake")
    return forum.create_post(bob, topic, body="visit my casino site")


def test_a_member_flags_by_the_api(reply, member, bob):
    response = Api(member).post(
        "/flags", {"target_type": "post", "target_id": str(reply.pk), "reason": "spam", "note": "x"}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["target_type"], body["target_id"], body["reason"]) == (
        "post",
        str(reply.pk),
        "spam",
    )
    assert Flag.objects.get().item_id == body["review_item"]
    member_flag = Api(member).post(
        "/flags", {"target_type": "member", "target_id": bob.handle, "reason": "inappropriate"}
    )
    assert member_flag.status_code == 201


def test_flag_errors(reply, member, lounge, bob):
    api = Api(member)
    missing = api.post("/flags", {"target_type": "post", "target_id": "999999", "reason": "spam"})
    assert missing.status_code == 404 and missing.json() == {"detail": "Not found.", "field": None}
    assert (
        api.post(
            "/flags", {"target_type": "planet", "target_id": "1", "reason": "spam"}
        ).status_code
        == 404
    )
    bad = api.post("/flags", {"target_type": "post", "target_id": str(reply.pk), "reason": "meh"})
    assert bad.status_code == 422 and bad.json()["field"] == "reason"
    other = api.post(
        "/flags", {"target_type": "post", "target_id": str(reply.pk), "reason": "other"}
    )
    assert other.status_code == 422 and other.json()["field"] == "note"
    assert (
        Api(None)
        .post("/flags", {"target_type": "post", "target_id": str(reply.pk), "reason": "spam"})
        .status_code
        == 401
    )
    assert not Flag.objects.exists()


def test_the_queue_is_for_staff_paginated_and_filtered(
    reply, member, carol, moderator, bob, general
):
    Api(member).post(
        "/flags", {"target_type": "post", "target_id": str(reply.pk), "reason": "spam"}
    )
    Api(carol).post(
        "/flags", {"target_type": "member", "target_id": "bob", "reason": "inappropriate"}
    )
    assert Api(member).get("/review-queue").status_code == 403
    assert Api(member).get("/review-queue").json()["detail"]
    api = Api(moderator)
    page = api.get("/review-queue", limit=1).json()
    assert page["count"] == 2 and len(page["results"]) == 1
    first = page["results"][0]
    assert first["kind"] == "post" and first["author"] == "@bob"
    assert first["flags"][0]["flagger"] == "@alice" and first["flags"][0]["reason"] == "spam"
    rest = api.get("/review-queue", limit=1, cursor=page["next_cursor"]).json()
    assert [item["kind"] for item in rest["results"]] == ["member"] and rest["next_cursor"] is None
    assert [i["kind"] for i in api.get("/review-queue", kind="member").json()["results"]] == [
        "member"
    ]
    assert api.get("/review-queue", reason="spam").json()["count"] == 1
    wrong = api.get("/review-queue", kind="planet")
    assert wrong.status_code == 422 and wrong.json()["field"] == "kind"


def test_a_decision_by_the_api(reply, member, moderator):
    Api(member).post(
        "/flags", {"target_type": "post", "target_id": str(reply.pk), "reason": "spam"}
    )
    item = ReviewItem.objects.get()
    path = f"/review-queue/{item.pk}/decision"
    assert Api(member).post(path, {"decision": "keep"}).status_code == 403
    assert (
        Api(moderator).post("/review-queue/999999/decision", {"decision": "keep"}).status_code
        == 404
    )
    missing = Api(moderator).post(path, {"decision": "hide", "reason": ""})
    assert missing.status_code == 422 and missing.json()["field"] == "reason"
    response = Api(moderator).post(
        path, {"decision": "hide", "reason": "Casino spam", "guideline": "be-kind"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["decision"], body["decided_by"]) == ("decided", "hide", "@mod")
    reply.refresh_from_db()
    assert reply.hidden_at is not None
    assert AuditEntry.objects.filter(action="review.hidden").count() == 1
    again = Api(moderator).post(path, {"decision": "keep"})
    assert again.status_code == 422 and "already decided" in again.json()["detail"]
