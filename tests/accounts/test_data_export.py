"""Data export: a member asks for everything the platform holds about them; a job builds
a zip (data.json and their files), mails them, and the zip is theirs alone until it
expires."""

import json
import tracemalloc
import zipfile
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from tests.accounts.conftest import BIO, EMAIL, HANDLE, NAME
from tests.conftest import make_member
from townsquare.accounts import actions as account_actions
from townsquare.accounts import privacy
from townsquare.accounts.models import DataExport
from townsquare.accounts.tasks import build_data_export, delete_expired_data_exports
from townsquare.core import activity, permissions
from townsquare.core.models import FailedJob
from townsquare.moderation.models import AuditEntry


@pytest.fixture
def quinn_client(quinn) -> Client:
    client = Client()
    client.force_login(quinn.member)
    return client


def ask(client: Client, django_capture_on_commit_callbacks) -> object:
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/settings/data/", follow=True)


def opened(export: DataExport) -> zipfile.ZipFile:
    with export.file.open("rb") as stored:
        return zipfile.ZipFile(BytesIO(stored.read()))


def test_every_relation_to_a_member_is_exported_or_left_out_for_a_reason(db):
    relations = {(label, field) for label, field, _model in privacy.user_relations()}
    placed = set(privacy.EXPORTED) | set(privacy.NOT_EXPORTED)
    assert relations - placed == set(), "a model points at members: export it or say why not"
    assert set(privacy.EXPORTED) & set(privacy.NOT_EXPORTED) == set()
    assert placed - relations == set(), "these relations no longer exist"


def test_a_member_downloads_everything_about_them(
    quinn, quinn_client, smtp_delivery, django_capture_on_commit_callbacks
):
    page = ask(quinn_client, django_capture_on_commit_callbacks).content.decode()
    assert "We are preparing your data" in page
    export = DataExport.objects.get(member=quinn.member)
    assert export.status == DataExport.Status.READY
    assert export.expires_at > timezone.now() + timedelta(days=6)
    assert export.file.name.startswith("exports/") and len(Path(export.file.name).stem) >= 32
    zipped = opened(export)
    data = json.loads(zipped.read("data.json"))
    assert data["account"]["email"] == EMAIL and data["account"]["handle"] == HANDLE
    assert data["account"]["display_name"] == NAME and "password" not in data["account"]
    assert data["account"]["expertise"] == ["citrus"]
    assert data["profile"][0]["bio"] == BIO
    assert data["profile"][0]["custom_fields"] == {"nickname": "Q-kumquat"}
    assert [t["name"] for t in data["api_tokens"]] == ["my script"]
    assert "key_hash" not in data["api_tokens"][0] and "hint" not in data["api_tokens"][0]
    assert quinn.token.key_hash not in zipped.read("data.json").decode()
    assert {t["title"] for t in data["topics"]} == {"Balcony citrus care", "Winter covers"}
    assert "Twice a week in summer." in {p["body"] for p in data["posts"]}
    assert data["posts_mentioning_you"][0]["id"] == quinn.bobs_mention.pk
    assert [m["body"] for m in data["messages_sent"]] == ["Hi Bob, about the fleece."]
    assert "Sure, ask away." not in zipped.read("data.json").decode()  # Bob's words
    assert data["conversations"][0]["conversation_id"] == quinn.conversation.pk
    assert len(data["following"]) == len(data["followers"]) == 1
    for section in ("reactions", "bookmarks", "read_state", "flags", "activity"):
        assert data[section], section
    assert data["guidelines_acceptances"] and data["email_addresses"]
    names = zipped.namelist()
    assert any(name.startswith("avatar/") for name in names)
    assert any(name.startswith("uploads/") and name.endswith("garden.png") for name in names)
    # The member is told, by mail, over SMTP.
    mail = smtp_delivery.wait_for_mail(count=1)[0]
    assert mail.rcpt_tos == [EMAIL]
    assert "/settings/data/" in mail.parsed().get_body(("plain",)).get_content()
    # One audit entry for the export.
    entry = AuditEntry.objects.get(action="member.data_exported")
    assert entry.actor_id == quinn.member.pk
    # The page offers the download, which is the zip.
    page = quinn_client.get("/settings/data/").content.decode()
    assert f"/settings/data/export/{export.pk}/" in page
    response = quinn_client.get(f"/settings/data/export/{export.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert zipfile.ZipFile(BytesIO(b"".join(response.streaming_content))).namelist() == names


def test_one_request_a_day_with_the_time_to_wait(
    quinn, quinn_client, django_capture_on_commit_callbacks
):
    ask(quinn_client, django_capture_on_commit_callbacks)
    page = ask(quinn_client, django_capture_on_commit_callbacks).content.decode()
    assert "less than a day ago; try again in 23 hours" in page
    assert DataExport.objects.filter(member=quinn.member).count() == 1
    # A day later the member may ask again.
    DataExport.objects.update(requested_at=timezone.now() - timedelta(days=1, minutes=1))
    ask(quinn_client, django_capture_on_commit_callbacks)
    assert DataExport.objects.filter(member=quinn.member).count() == 2
    assert AuditEntry.objects.filter(action="member.data_exported").count() == 2


def test_the_export_is_for_its_owner_only(
    quinn, quinn_client, django_capture_on_commit_callbacks, admin_member
):
    ask(quinn_client, django_capture_on_commit_callbacks)
    export = DataExport.objects.get()
    url = f"/settings/data/export/{export.pk}/"
    for someone in (quinn.bob, admin_member):
        other = Client()
        other.force_login(someone)
        assert other.get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the sign-in page
    # The file itself is never served from /media/, however its name was learnt.
    assert quinn_client.get(f"/media/{export.file.name}").status_code == 404
    assert not permissions.may_export_data(quinn.bob, quinn.member)
    with pytest.raises(PermissionDenied):
        privacy.request_export(quinn.bob, quinn.member)
    DataExport.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert quinn_client.get(url).status_code == 404
    assert "has expired" in quinn_client.get("/settings/data/").content.decode()


def test_expired_exports_are_deleted_by_the_daily_job(
    quinn, quinn_client, django_capture_on_commit_callbacks
):
    ask(quinn_client, django_capture_on_commit_callbacks)
    export = DataExport.objects.get()
    path = Path(export.file.path)
    assert path.exists()
    assert delete_expired_data_exports.apply().get() == 0
    DataExport.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert delete_expired_data_exports.apply().get() == 1
    assert not path.exists() and not DataExport.objects.exists()
    schedule = django_settings.CELERY_BEAT_SCHEDULE["delete-expired-data-exports"]
    assert schedule["task"] == delete_expired_data_exports.name
    assert schedule["schedule"] == 86400.0


def test_a_failing_export_is_recorded_and_the_member_may_ask_again(
    quinn, quinn_client, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(out, member):
        raise ValueError("the disk is full of kumquats")

    # The zip writer breaks (a fault injected below the job): the job and page handle it.
    monkeypatch.setattr(privacy, "write_export", broken)
    ask(quinn_client, django_capture_on_commit_callbacks)
    export = DataExport.objects.get()
    assert export.status == DataExport.Status.FAILED
    assert FailedJob.objects.filter(task_name=build_data_export.name).exists()
    assert "failed. Please ask again" in quinn_client.get("/settings/data/").content.decode()
    assert not AuditEntry.objects.filter(action="member.data_exported").exists()
    monkeypatch.undo()
    ask(quinn_client, django_capture_on_commit_callbacks)
    assert DataExport.objects.filter(status=DataExport.Status.READY).count() == 1


def test_a_job_delivered_twice_builds_and_mails_once(
    quinn, smtp_delivery, django_capture_on_commit_callbacks
):
    export = privacy.request_export(quinn.member, quinn.member)
    with django_capture_on_commit_callbacks(execute=True):  # the mail leaves on commit
        build_data_export.apply(args=[export.pk])
    first = DataExport.objects.get().file.name
    with django_capture_on_commit_callbacks(execute=True):
        build_data_export.apply(args=[export.pk])  # a redelivery
    assert DataExport.objects.get().file.name == first
    assert len(smtp_delivery.wait_for_mail(count=2, timeout=1)) == 1
    assert AuditEntry.objects.filter(action="member.data_exported").count() == 1


def test_a_long_history_is_written_with_bounded_memory(quinn):
    """data.json is streamed row by row: 20,000 activity events do not sit in memory."""
    member = quinn.member
    for number in range(20_000):
        activity.record(member, "member.visited", member, note="x" * 100, n=number)
    export = DataExport.objects.create(member=member)
    tracemalloc.start()
    try:
        privacy.build_export(export.pk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    export.refresh_from_db()
    data = json.loads(opened(export).read("data.json"))
    assert len(data["activity"]) > 20_000
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


# --- API -------------------------------------------------------------------------------


def bearer(member) -> dict[str, str]:
    _token, raw = account_actions.create_api_token(member, member, "export script")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_the_api_asks_for_an_export_reports_it_and_downloads_it(
    quinn, django_capture_on_commit_callbacks
):
    client, auth = Client(), bearer(quinn.member)
    assert client.get("/api/v1/me/export", **auth).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/me/export", **auth)
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    status = client.get("/api/v1/me/export", **auth).json()
    assert status["status"] == "ready" and status["size"] > 0
    assert status["download_url"].endswith("/api/v1/me/export/download")
    download = client.get("/api/v1/me/export/download", **auth)
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert "data.json" in zipfile.ZipFile(BytesIO(content)).namelist()
    again = client.post("/api/v1/me/export", **auth)
    assert again.status_code == 429
    assert "try again in" in again.json()["detail"]
    bob = bearer(quinn.bob)
    assert client.get("/api/v1/me/export/download", **bob).status_code == 404
    assert client.post("/api/v1/me/export").status_code == 401


def test_a_member_without_an_export_sees_the_offer(guidelines):
    member = make_member("newbie", guidelines)
    client = Client()
    client.force_login(member)
    page = client.get("/settings/data/").content.decode()
    assert "Ask for a copy of my data" in page and "Delete my account" in page
    assert 'name="csrfmiddlewaretoken"' in page
