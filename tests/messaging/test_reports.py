"""Reports: a participant shows one message to the moderators, and only that message."""

import pytest
from django.core.exceptions import PermissionDenied

from tests.messaging.conftest import client_for
from townsquare.core import permissions
from townsquare.core.models import ActivityEvent
from townsquare.messaging import actions
from townsquare.messaging.models import MessageReport


@pytest.fixture
def thread(chat, alice, bob):
    """alice: "Hello **Bob**"; bob: "private reply"; alice: "You are awful"."""
    actions.send_message(bob, chat, "private reply")
    bad = actions.send_message(alice, chat, "You are awful")
    return chat, bad


def test_report_shows_only_that_message_to_moderators(thread, bob, moderator, carol):
    chat, bad = thread
    client = client_for(bob)
    form = client.get(f"/messages/{chat.pk}/report/{bad.pk}/")
    assert form.status_code == 200
    response = client.post(
        f"/messages/{chat.pk}/report/{bad.pk}/", {"reason": "harassment", "note": "Not ok"}
    )
    assert response.status_code == 302
    report = MessageReport.objects.get()
    assert (report.reporter, report.message, report.note) == (bob, bad, "Not ok")

    # Moderators find the reports from every page; members see no such link.
    assert 'href="/messages/reports/"' in client_for(moderator).get("/").content.decode()
    assert 'href="/messages/reports/"' not in client_for(bob).get("/").content.decode()
    page = client_for(moderator).get("/messages/reports/").content.decode()
    assert "You are awful" in page
    assert "@bob" in page and "@alice" in page and "Not ok" in page
    assert "Hello" not in page and "private reply" not in page
    assert list(permissions.reported_messages(moderator)) == [bad]
    # still no way into the conversation itself
    assert client_for(moderator).get(f"/messages/{chat.pk}/").status_code == 404
    # members may not see reports
    assert client_for(carol).get("/messages/reports/").status_code == 403
    assert client_for(bob).get("/messages/reports/").status_code == 403
    event = ActivityEvent.objects.get(verb="message.reported")
    assert "awful" not in str(event.data)


def test_no_reporting_of_own_messages_or_twice(thread, alice, bob):
    chat, bad = thread
    assert client_for(alice).get(f"/messages/{chat.pk}/report/{bad.pk}/").status_code == 404
    with pytest.raises(PermissionDenied):
        actions.report_message(alice, bad, "spam")
    first = actions.report_message(bob, bad, "spam")
    assert actions.report_message(bob, bad, "other") == first
    assert MessageReport.objects.count() == 1


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
    assert not MessageReport.objects.exists()
