"""A member's own event answers and tickets are in their data export."""

import io
import json
import zipfile

import pytest

from tests.events.conftest import make_event
from townsquare.accounts import privacy
from townsquare.events import registrations

pytestmark = pytest.mark.django_db


def test_the_export_holds_the_members_registrations_without_calendar_secrets(manager, member):
    event = make_event(manager, questions=[("Company?", False)])
    question = event.questions.get()
    registrations.rsvp(member, event, "going", answers={str(question.pk): "Acme"}, show_me=True)
    out = io.BytesIO()
    privacy.write_export(out, member)
    data = json.loads(zipfile.ZipFile(out).read("data.json"))
    (registration,) = data["event_registrations"]
    assert registration["status"] == "going" and registration["answers"] == {
        str(question.pk): "Acme"
    }
    assert registration["ticket_code"]
    assert "calendar_feed" in data
