"""/api/v1/announcements: managers write, test and send; anyone else learns nothing."""

import pytest
from django.core import mail

from tests.api.conftest import Api
from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.announcements import actions
from townsquare.announcements.models import Announcement, Status
from townsquare.groups import actions as group_actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(manager) -> Api:
    return Api(manager)


def test_write_patch_test_and_send(api, manager, guidelines):
    group = group_actions.create_group(None, name="Beta testers")
    for handle in ("ann", "ben"):
        group_actions.add_member(None, group, make_member(handle, guidelines))
    response = api.post(
        "/announcements",
        {
            "subject": "Build 42",
            "body": "Hi {first_name}!",
            "segment": "group",
            "group": group.slug,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["group"], body["author"]) == ("draft", group.slug, "maja")
    assert body["reach"] == {"matching": 2, "reachable": 2, "unsubscribed": 0, "bouncing": 0}
    pk = body["id"]

    changed = api.patch(f"/announcements/{pk}", {"subject": "Build 43"}).json()
    assert (changed["subject"], changed["body"], changed["group"]) == (
        "Build 43",
        "Hi {first_name}!",
        group.slug,
    )
    everyone = api.patch(f"/announcements/{pk}", {"segment": "everyone"}).json()
    assert (everyone["group"], everyone["reach"]["matching"]) == (None, 3)
    api.patch(f"/announcements/{pk}", {"segment": "group", "group": group.slug})

    assert api.post(f"/announcements/{pk}/test").json() == {"sent_to": "maja@example.com"}
    assert [m.subject for m in mail.outbox] == ["[Test] Build 43"]

    sent = api.post(f"/announcements/{pk}/send")
    assert sent.status_code == 202
    assert sent.json()["status"] == "sending"
    assert sent.json()["counts"] == {
        "recipients": 2, "queued": 2, "sent": 0, "failed": 0, "skipped": 0,
    }  # fmt: skip
    actions.resume(Announcement.objects.get())  # jobs run on commit; none in a test
    actions.send_batch(pk, list(group.memberships.values_list("user", flat=True)))
    detail = api.get(f"/announcements/{pk}").json()
    assert detail["status"] == "sent" and detail["counts"]["sent"] == 2
    assert detail["failures"] == [] and detail["reach"] is None

    again = api.post(f"/announcements/{pk}/send")
    assert again.status_code == 422 and "can no longer be changed" in again.json()["detail"]
    late = api.patch(f"/announcements/{pk}", {"subject": "Too late"})
    assert late.status_code == 422
    listed = api.get("/announcements").json()["results"]
    assert [(a["id"], a["counts"]["sent"]) for a in listed] == [(pk, 2)]


def test_errors_name_their_field(api, manager):
    cases = [
        ({"subject": "", "body": "x"}, "subject"),
        ({"subject": "Hi {who}", "body": "x"}, "subject"),
        ({"subject": "Hi", "body": "x", "segment": "group"}, "group"),
        ({"subject": "Hi", "body": "x", "segment": "group", "group": "nope"}, "group"),
        ({"subject": "Hi", "body": "x", "segment": "role", "role": "king"}, "role"),
        ({"subject": "Hi", "body": "x", "segment": "inactive_for", "days": 0}, "days"),
        ({"subject": "Hi", "body": "x", "segment": "custom_field", "value": "x"}, "field"),
        ({"subject": "Hi", "body": "x", "segment": "martians"}, "segment"),
        ({"body": "x"}, "subject"),
    ]
    for payload, field in cases:
        response = api.post("/announcements", payload)
        assert response.status_code == 422, payload
        answer = response.json()
        assert answer["field"] == field and answer["detail"], (payload, answer)
    assert not Announcement.objects.exists()


def test_others_learn_nothing(manager, guidelines, member):
    announcement = actions.create_announcement(manager, subject="Secret plans", body="Hush")
    pk = announcement.pk
    for user in (member, make_member("mod", guidelines, role=Role.MODERATOR)):
        api = Api(user)
        assert api.get("/announcements").status_code == 403
        assert api.post("/announcements", {"subject": "Mine", "body": "x"}).status_code == 403
        for response in (
            api.get(f"/announcements/{pk}"),
            api.patch(f"/announcements/{pk}", {"subject": "Mine"}),
            api.post(f"/announcements/{pk}/test"),
            api.post(f"/announcements/{pk}/send"),
        ):
            assert response.status_code == 404
            assert response.json() == {"detail": "Not found.", "field": None}
    assert Api(manager).get("/announcements/999999").json() == {
        "detail": "Not found.",
        "field": None,
    }
    visitor = Api()
    assert visitor.get("/announcements").status_code == 401
    assert Announcement.objects.get().status == Status.DRAFT and mail.outbox == []
