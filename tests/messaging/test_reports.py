"""Reports: a participant shows one message to the moderators, and only that message. A
report is a flag on the message in the one review queue (tests/moderation)."""

import pytest
from django.core.exceptions import PermissionDenied

from tests.messaging.conftest import client_for
from townsquare.core import permissions
from townsquare.core.models import ActivityEvent
from townsquare.messaging import actions
from townsquare.moderation.models import AuditEntry, Flag, ReviewItem


@pytest.fixture
def thread(chat, alice, bob):
    """alice: "Hello **Bob**"; bob: "private reply"; alice: "You are awful"."""
    actions.send_message(bob, chat, "private reply")
    bad = actions.send_message(alice, chat, "You are awful")
    return chat, bad


def test_report_shows_only_that_message_to_moderators(thread, alice, bob, moderator, carol):
    chat, bad = thread
    client = client_for(bob)
    form = client.get(f"/messages/{chat.pk}/report/{bad.pk}/")
    assert form.status_code == 200
    response = client.post(
        f"/messages/{chat.pk}/report/{bad.pk}/", {"reason": "inappropriate", "note": "Not ok"}
    )
    assert response.status_code == 302
    report = Flag.objects.get()
    assert (report.flagger, report.note, report.reason) == (bob, "Not ok", "inappropriate")
    item = report.item
    assert (item.target_id, item.author, item.kind) == (str(bad.pk), alice, "flagged")

    # Moderators find the queue from every page; members see no such link.
    assert 'href="/moderation/"' in client_for(moderator).get("/").content.decode()
    assert 'href="/moderation/"' not in client_for(bob).get("/").content.decode()
    # The old address of the reports leads to the queue's messages.
    old = client_for(moderator).get("/messages/reports/")
    assert old.status_code == 301 and old["Location"] == "/moderation/?kind=message"
    listing = client_for(moderator).get("/moderation/?kind=message").content.decode()
    assert "You are awful" in listing and "@alice" in listing
    page = client_for(moderator).get(f"/moderation/review/{item.pk}/").content.decode()
    assert "You are awful" in page
    assert "@bob" in page and "@alice" in page and "Not ok" in page
    assert "Hello" not in page and "private reply" not in page
    assert list(permissions.reported_messages(moderator)) == [bad]
    # still no way into the conversation itself
    assert client_for(moderator).get(f"/messages/{chat.pk}/").status_code == 404
    # members may not see reports
    assert client_for(carol).get(f"/moderation/review/{item.pk}/").status_code == 403
    assert client_for(bob).get("/moderation/?kind=message").status_code == 403
    assert list(permissions.reported_messages(bob)) == []
    entry = AuditEntry.objects.get(action="flag.created")
    event = ActivityEvent.objects.get(verb="flag.created")
    assert "awful" not in str(event.data) and "awful" not in str(entry.after)


def test_no_reporting_of_own_messages_or_twice(thread, alice, bob):
    chat, bad = thread
    assert client_for(alice).get(f"/messages/{chat.pk}/report/{bad.pk}/").status_code == 404
    with pytest.raises(PermissionDenied):
        actions.report_message(alice, bad, "spam")
    first = actions.report_message(bob, bad, "spam")
    assert actions.report_message(bob, bad, "other", "again") == first
    assert Flag.objects.count() == 1 and ReviewItem.objects.get().flag_count == 1


def test_a_message_of_another_conversation_is_not_found(thread, bob, carol, alice):
    from townsquare.core.queries import get_community

    chat, _bad = thread
    other = actions.start_conversation(carol, get_community(), ["alice"], "elsewhere")
    path = f"/messages/{chat.pk}/report/{other.last_message_id}/"
    assert client_for(bob).get(path).status_code == 404


def test_bad_reason_keeps_the_note(thread, bob):
    chat, bad = thread
    response = client_for(bob).post(
        f"/messages/{chat.pk}/report/{bad.pk}/", {"reason": "nonsense", "note": "my note"}
    )
    assert response.status_code == 200
    assert "my note" in response.content.decode()
    assert not Flag.objects.exists()


def test_something_else_needs_a_note(thread, bob):
    chat, bad = thread
    response = client_for(bob).post(f"/messages/{chat.pk}/report/{bad.pk}/", {"reason": "other"})
    assert response.status_code == 200
    assert "Tell the moderators what is wrong." in response.content.decode()
    assert not Flag.objects.exists()
