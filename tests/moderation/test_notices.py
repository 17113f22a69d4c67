"""Notices to members and their answers (appeals) into a conversation with the moderators."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.forum.conftest import client_for, start_topic
from townsquare.core import permissions
from townsquare.core.queries import get_community
from townsquare.forum import actions as forum
from townsquare.messaging import actions as messaging
from townsquare.messaging.models import Participant
from townsquare.moderation import notices
from townsquare.moderation.actions import sanctions
from townsquare.moderation.models import AuditEntry, Notice
from townsquare.notifications import actions as notification_actions
from townsquare.notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db


def days(n: float):
    return timezone.now() + timedelta(days=n)


def test_send_notice_stores_notifies_and_mails_without_an_audit_entry(
    moderator, member, bob, general, django_capture_on_commit_callbacks, mailoutbox
):
    post = start_topic(member, general).posts.get()
    entries_before = AuditEntry.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        notice = notices.send_notice(
            moderator, member, action="post.hidden", reason="Off topic.", guideline="be-kind",
            subject=post,
        )  # fmt: skip
    assert notice.subject_label == post.topic.title
    assert notice.subject_url == post.get_absolute_url()
    assert AuditEntry.objects.count() == entries_before  # the calling action writes it
    row = Notification.objects.get(recipient=member, kind=Kind.NOTICE)
    assert row.data == {"action": "post.hidden", "notice": notice.pk}
    sent = [m for m in mailoutbox if member.email in m.to]
    assert len(sent) == 1
    assert "Off topic." in sent[0].body
    assert "/guidelines/#be-kind" in sent[0].body
    assert "List-Unsubscribe" not in sent[0].extra_headers  # account mail: always sent


def test_members_cannot_switch_notices_off(member):
    with pytest.raises(ValidationError):
        notification_actions.set_preferences(member, {Kind.NOTICE: "off"})
    page = client_for(member).get("/settings/notifications/")
    assert page.status_code == 200
    assert 'name="channel_notice"' not in page.content.decode()
    assert 'name="channel_reply"' in page.content.decode()


def test_suspension_mail_says_how_to_appeal(
    moderator, member, settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.MODERATION_CONTACT_EMAIL = "moderators@example.org"
    with django_capture_on_commit_callbacks(execute=True):
        sanctions.suspend(moderator, member, until=days(30), reason="Repeated insults.")
    sent = [m for m in mailoutbox if member.email in m.to][-1]
    assert "Repeated insults." in sent.body
    assert "moderators@example.org" in sent.body
    assert sent.reply_to == ["moderators@example.org"]


def test_the_notices_page_lists_reason_guideline_and_subject(moderator, member, bob, general):
    topic = start_topic(member, general)
    notices.send_notice(
        moderator, member, action="topic.hidden", reason="Duplicate of another topic.",
        guideline="be-kind", subject=topic,
    )  # fmt: skip
    sanctions.warn(moderator, member, reason="Second time today.")
    page = client_for(member).get("/notices/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Duplicate of another topic." in text and "Second time today." in text
    assert 'href="/guidelines/#be-kind"' in text
    assert f'href="{topic.get_absolute_url()}"' in text
    assert "Answer the moderators" in text
    assert not Notice.objects.filter(member=member, read_at__isnull=True).exists()
    # Someone else's notices are not shown.
    assert "Second time today." not in client_for(bob).get("/notices/").content.decode()


def test_a_subject_no_longer_visible_is_named_but_not_linked(moderator, member, general):
    topic = start_topic(member, general)
    notices.send_notice(moderator, member, action="topic.deleted", reason="Spam.", subject=topic)
    forum.delete_post(moderator, topic.posts.get())
    text = client_for(member).get("/notices/").content.decode()
    assert topic.title in text
    assert f'href="{topic.get_absolute_url()}"' not in text


def test_the_notices_page_has_a_fixed_number_of_queries(
    moderator, member, general, django_assert_max_num_queries
):
    client = client_for(member)
    for number in range(3):
        topic = start_topic(member, general, title=f"Topic number {number}")
        notices.send_notice(moderator, member, action="topic.hidden", reason="x", subject=topic)
    client.get("/notices/")
    with django_assert_max_num_queries(25) as few:
        client.get("/notices/")
    for number in range(3, 10):
        topic = start_topic(member, general, title=f"Topic number {number}")
        notices.send_notice(moderator, member, action="topic.hidden", reason="x", subject=topic)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/notices/")


def test_an_appeal_opens_a_conversation_with_the_sender(moderator, member):
    warning = sanctions.warn(moderator, member, reason="Mind your words.", guideline="be-kind")
    notice = Notice.objects.get(sanction=warning)
    message = notices.appeal(member, notice, body="I was quoting someone else.")
    notice.refresh_from_db()
    assert notice.appeal == message.conversation
    people = set(
        Participant.objects.filter(conversation=message.conversation).values_list(
            "user_id", flat=True
        )
    )
    assert people == {member.pk, moderator.pk}
    assert "Mind your words." in message.body  # the notice, quoted
    assert message.body.rstrip().endswith("I was quoting someone else.")
    assert AuditEntry.objects.filter(action="notice.appealed").count() == 1
    again = notices.appeal(member, notice, body="Any news?")
    assert again.conversation == message.conversation
    assert again.body == "Any news?"
    assert AuditEntry.objects.filter(action="notice.appealed").count() == 2


def test_a_system_notice_goes_to_the_moderators(moderator, manager, member):
    notice = notices.send_notice(None, member, action="post.hidden", reason="Flagged by many.")
    message = notices.appeal(member, notice, body="Why?")
    people = set(
        Participant.objects.filter(conversation=message.conversation).values_list(
            "user_id", flat=True
        )
    )
    assert people == {member.pk, moderator.pk, manager.pk}


def test_a_silenced_member_may_appeal_and_reply_there_only(moderator, member, bob):
    """Silenced members answer notices and write in the appeal; nowhere else."""
    sanctions.silence(moderator, member, until=days(3), reason="Cool down.")
    member.refresh_from_db()
    notice = Notice.objects.get(member=member)
    client = client_for(member)
    answer = client.post(f"/notices/{notice.pk}/answer/", {"body": "Please reconsider."})
    assert answer.status_code == 302
    notice.refresh_from_db()
    assert answer["Location"] == reverse("messaging:conversation", args=[notice.appeal_id])
    assert messaging.send_message(member, notice.appeal, "One more thing.").pk
    page = client.get(answer["Location"]).content.decode()
    assert "Please reconsider." in page
    other = messaging.start_conversation(bob, get_community(), ["alice"], "Hello Alice")
    with pytest.raises(permissions.Silenced):
        messaging.send_message(member, other, "Hello Bob")


def test_only_the_member_may_answer_their_notice(moderator, member, bob):
    warning = sanctions.warn(moderator, member, reason="Careful.")
    notice = Notice.objects.get(sanction=warning)
    with pytest.raises(PermissionDenied):
        notices.appeal(bob, notice, body="Not mine.")
    assert client_for(bob).post(f"/notices/{notice.pk}/answer/", {"body": "x"}).status_code == 404
    with pytest.raises(ValidationError):
        notices.appeal(member, notice, body="   ")
    assert not AuditEntry.objects.filter(action="notice.appealed").exists()
