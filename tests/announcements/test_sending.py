"""Sending: through the batch jobs and a real SMTP server, each member at most once,
unsubscribed and bouncing members skipped and counted, a bad address failing alone."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.conftest import make_member
from townsquare.accounts.models import User
from townsquare.announcements import actions, queries, tasks
from townsquare.announcements.models import (
    Announcement,
    AnnouncementDelivery,
    DeliveryStatus,
    Status,
)
from townsquare.core.models import ActivityEvent, MailboxStatus
from townsquare.notifications import actions as notification_actions

pytestmark = pytest.mark.django_db


def write(author=None, **values) -> Announcement:
    values = {
        "subject": "Meetup on Friday",
        "body": "Hi {first_name}, see you **Friday**.",
        **values,
    }
    return actions.create_announcement(author, **values)


def recipients(received) -> list[str]:
    return sorted(address for each in received for address in each.rcpt_tos)


def status_of(announcement: Announcement, user: User) -> tuple[str, str]:
    row = AnnouncementDelivery.objects.get(announcement=announcement, user=user)
    return row.status, row.reason


@pytest.fixture
def crowd(guidelines, manager) -> dict[str, User]:
    return {handle: make_member(handle, guidelines) for handle in ("ann", "ben", "cid", "dee")}


def test_send_through_the_queue_skips_unsubscribed_and_bouncing(
    crowd, manager, smtp_delivery, django_capture_on_commit_callbacks
):
    notification_actions.unsubscribe(crowd["ben"], "announcements")
    MailboxStatus.objects.create(email="cid@example.com", bouncing_since=timezone.now())
    announcement = write(manager)
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.send_announcement(manager, announcement) == 5
    received = smtp_delivery.wait_for_mail(3)
    assert recipients(received) == ["ann@example.com", "dee@example.com", "maja@example.com"]
    announcement.refresh_from_db()
    assert announcement.status == Status.SENT and announcement.send_finished_at is not None
    assert announcement.recipient_count == 5
    assert queries.delivery_counts(announcement) == {
        "queued": 0, "sent": 3, "failed": 0, "skipped": 2,
    }  # fmt: skip
    assert status_of(announcement, crowd["ben"]) == (DeliveryStatus.SKIPPED, "unsubscribed")
    assert status_of(announcement, crowd["cid"]) == (DeliveryStatus.SKIPPED, "bouncing")
    assert queries.skip_reasons(announcement) == {"bouncing": 1, "unsubscribed": 1}
    message = next(m.parsed() for m in received if m.rcpt_tos == ["ann@example.com"])
    assert message["Subject"] == "Meetup on Friday"
    assert "Hi Ann, see you" in message.get_body(("plain",)).get_content()
    assert "<strong>Friday</strong>" in message.get_body(("html",)).get_content()
    verbs = set(ActivityEvent.objects.values_list("verb", flat=True))
    assert {"announcement.created", "announcement.send_started", "announcement.sent"} <= verbs
    done = ActivityEvent.objects.get(verb="announcement.sent")
    assert done.data == {"queued": 0, "sent": 3, "failed": 0, "skipped": 2}


def test_running_a_batch_twice_mails_each_member_once(
    crowd, manager, smtp_delivery, django_capture_on_commit_callbacks
):
    announcement = write(manager)
    ids = sorted(User.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_announcement(manager, announcement)
    assert len(smtp_delivery.wait_for_mail(5)) == 5
    with django_capture_on_commit_callbacks(execute=True):
        # A redelivered job (its worker died before acknowledging) and a manual resume.
        assert tasks.send_batch.delay(announcement.pk, ids).get() == {
            "sent": 0, "failed": 0, "skipped": 0,
        }  # fmt: skip
        assert actions.resume(announcement) == 0
    assert len(smtp_delivery.wait_for_mail(6, timeout=0.5)) == 5
    assert AnnouncementDelivery.objects.filter(status=DeliveryStatus.SENT).count() == 5


def test_a_delivery_claimed_by_another_run_is_not_mailed_again(crowd, manager):
    announcement = write(manager)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(actions, "_enqueue", lambda announcement, ids: None)  # no jobs yet
        actions.send_announcement(manager, announcement)
    ann = crowd["ann"]
    AnnouncementDelivery.objects.filter(user=ann).update(status=DeliveryStatus.SENT)
    counts = actions.send_batch(announcement.pk, [ann.pk, crowd["ben"].pk])
    assert counts == {"sent": 1, "failed": 0, "skipped": 0}
    assert [m.to for m in mail.outbox] == [["ben@example.com"]]
    assert Announcement.objects.get().status == Status.SENDING  # others still queued
    assert actions.resume(announcement) == 3
    # ``resume`` queues jobs on commit; run the rest directly.
    actions.send_batch(announcement.pk, list(User.objects.values_list("pk", flat=True)))
    assert len(mail.outbox) == 4 and Announcement.objects.get().status == Status.SENT


def test_a_failing_address_fails_alone_with_its_reason(
    crowd, manager, smtp_delivery, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=crowd["ben"].pk).update(email="ben@@example.com")
    announcement = write(manager)
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_announcement(manager, announcement)
    received = smtp_delivery.wait_for_mail(4)
    assert len(recipients(received)) == 4 and "ben@@example.com" not in recipients(received)
    status, reason = status_of(announcement, crowd["ben"])
    assert status == DeliveryStatus.FAILED and "valid email address" in reason
    assert queries.delivery_counts(announcement)["failed"] == 1
    assert [d.user.handle for d in queries.failures(announcement)] == ["ben"]
    assert Announcement.objects.get().status == Status.SENT
    event = ActivityEvent.objects.get(verb="announcement.failed")
    assert event.data["member"] == crowd["ben"].pk


def test_a_mail_that_cannot_be_built_fails_alone(crowd, manager, monkeypatch):
    from townsquare.announcements import rendering

    original = rendering.compose

    def broken(user, announcement, **kwargs):
        if user.handle == "cid":
            raise RuntimeError("template exploded")
        return original(user, announcement, **kwargs)

    monkeypatch.setattr(rendering, "compose", broken)
    announcement = write(manager)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(actions, "_enqueue", lambda announcement, ids: None)
        actions.send_announcement(manager, announcement)
    counts = actions.send_batch(announcement.pk, list(User.objects.values_list("pk", flat=True)))
    assert counts == {"sent": 4, "failed": 1, "skipped": 0}
    assert status_of(announcement, crowd["cid"]) == (
        DeliveryStatus.FAILED,
        "RuntimeError: template exploded",
    )


def test_the_test_mail_goes_only_to_the_sender_marked_test(
    crowd, manager, smtp_delivery, django_capture_on_commit_callbacks
):
    announcement = write(manager)
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_test(manager, announcement)
    (received,) = smtp_delivery.wait_for_mail(1)
    assert received.rcpt_tos == ["maja@example.com"]
    message = received.parsed()
    assert message["Subject"] == "[Test] Meetup on Friday"
    assert "Hi Maja, see you" in message.get_body(("plain",)).get_content()
    assert "only you received it" in message.get_body(("html",)).get_content()
    assert len(smtp_delivery.wait_for_mail(2, timeout=0.5)) == 1
    assert not AnnouncementDelivery.objects.exists()
    assert Announcement.objects.get().status == Status.DRAFT


def test_script_in_the_markdown_is_sanitised_in_the_mail(crowd, manager, settings):
    settings.SITE_URL = "https://community.example"
    announcement = write(
        manager,
        body="Hello <script>alert(1)</script> and [click](javascript:alert(2)) "
        "<img src=x onerror=alert(3)> — see [groups](/groups/).",
    )
    actions.send_test(manager, announcement)
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="https://community.example/groups/"' in html


def test_only_a_draft_is_sent_and_only_once(crowd, manager):
    announcement = write(manager)
    actions.send_announcement(manager, announcement)
    with pytest.raises(ValidationError):
        actions.send_announcement(manager, Announcement.objects.get(pk=announcement.pk))
    stale = Announcement.objects.get(pk=announcement.pk)
    stale.status = Status.DRAFT  # a copy read before the send: the claim still refuses
    with pytest.raises(ValidationError, match="being sent already"):
        actions.send_announcement(manager, stale)
    with pytest.raises(ValidationError, match="can no longer be changed"):
        actions.update_announcement(manager, stale, subject="Changed after sending")
    assert AnnouncementDelivery.objects.count() == 5


def test_a_segment_that_matches_nobody_is_not_sent(guidelines, manager):
    announcement = write(manager, segment="role", segment_role="moderator")
    with pytest.raises(ValidationError, match="No member matches"):
        actions.send_announcement(manager, announcement)
    assert Announcement.objects.get().status == Status.DRAFT


def test_members_may_not_write_or_send(crowd, manager):
    from django.core.exceptions import PermissionDenied

    announcement = write(manager)
    for call in (
        lambda: write(crowd["ann"]),
        lambda: actions.update_announcement(crowd["ann"], announcement, subject="Mine now"),
        lambda: actions.send_test(crowd["ann"], announcement),
        lambda: actions.send_announcement(crowd["ann"], announcement),
        lambda: actions.delete_announcement(crowd["ann"], announcement),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert mail.outbox == [] and not AnnouncementDelivery.objects.exists()


def test_list_unsubscribe_header_and_the_unsubscribe_stops_later_announcements(
    crowd, manager, client, smtp_delivery, django_capture_on_commit_callbacks
):
    first = write(manager, segment="role", segment_role="member")
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_announcement(manager, first)
    received = smtp_delivery.wait_for_mail(4)
    message = next(m.parsed() for m in received if m.rcpt_tos == ["ann@example.com"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip("<>")
    path = link.split("://", 1)[1].split("/", 1)[1]
    client.handler.enforce_csrf_checks = True  # a mail program posts without a session
    assert client.post(f"/{path}", {"List-Unsubscribe": "One-Click"}).status_code == 200

    second = write(manager, subject="Second news", segment="role", segment_role="member")
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_announcement(manager, second)
    later = smtp_delivery.wait_for_mail(8, timeout=1)[4:]
    assert recipients(later) == ["ben@example.com", "cid@example.com", "dee@example.com"]
    assert status_of(second, crowd["ann"]) == (DeliveryStatus.SKIPPED, "unsubscribed")
