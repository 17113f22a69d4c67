"""The audit log: append-only at the database too, read by staff on a page, as CSV and
through the API, with links only to what the reader may still see."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from tests.api.conftest import Api
from tests.conftest import make_member
from tests.forum.conftest import client_for, start_topic
from townsquare.accounts.models import Role, User
from townsquare.forum import actions as forum_actions
from townsquare.groups import actions as group_actions
from townsquare.groups.models import JoinPolicy
from townsquare.moderation import audit, audit_log
from townsquare.moderation.models import AuditEntry

pytestmark = pytest.mark.django_db


def _raw(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- Append-only at the database ----------------------------------------------------------


def test_the_database_refuses_changing_or_deleting_an_entry(moderator, bob):
    entry = audit.record(moderator, "member.warned", bob, reason="Spam", after={"n": 1})
    for sql in (
        "UPDATE moderation_auditentry SET reason = 'nothing happened' WHERE id = %s",
        "UPDATE moderation_auditentry SET action = 'x' WHERE id = %s",
        "UPDATE moderation_auditentry SET \"after\" = '{}' WHERE id = %s",
        "UPDATE moderation_auditentry SET target_id = '0' WHERE id = %s",
        "DELETE FROM moderation_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            _raw(sql, [entry.pk])
    # Pointing an entry at someone else is a change too; only NULL is allowed.
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE moderation_auditentry SET actor_id = %s WHERE id = %s", [bob.pk, entry.pk])
    kept = AuditEntry.objects.get(pk=entry.pk)
    assert (kept.reason, kept.action, kept.after, kept.actor_id) == (
        "Spam",
        "member.warned",
        {"n": 1},
        moderator.pk,
    )


def test_the_orm_refuses_too(moderator):
    entry = audit.record(moderator, "topic.closed")
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="x")
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(TypeError):
        entry.delete()


def test_deleting_a_member_keeps_their_entries_and_label(guidelines, bob):
    gone = make_member("gone", guidelines, role=Role.MODERATOR)
    entry = audit.record(gone, "member.warned", bob, reason="Rude")
    User.objects.filter(pk=gone.pk).first().delete()
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.actor_id, entry.actor_label, entry.reason) == (None, "@gone", "Rude")
    # Their entries still answer to their handle.
    assert audit_log.filtered(audit_log.clean_filters(actor="gone")).get() == entry


def test_deleting_a_content_type_keeps_the_entry(moderator):
    kind = ContentType.objects.create(app_label="gone_app", model="thing")
    entry = AuditEntry.objects.create(
        actor=moderator, actor_label="@mod", action="thing.done", target_type=kind,
        target_id="7", target_label="A thing",
    )  # fmt: skip
    kind.delete()
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.target_type_id, entry.target_id, entry.target_label) == (None, "7", "A thing")


# --- The page ------------------------------------------------------------------------------


def test_only_staff_read_the_log(member_client, moderator, manager):
    assert member_client.get("/moderation/audit/").status_code == 403
    assert member_client.get("/moderation/audit/export.csv").status_code == 403
    assert client_for(None).get("/moderation/audit/").status_code == 302  # to sign in
    assert client_for(moderator).get("/moderation/audit/").status_code == 200


def test_newest_first_with_who_what_why_and_the_changes(moderator, bob, general):
    topic = start_topic(bob, general)
    forum_actions.pin_topic(moderator, topic, scope="global")
    audit.record(moderator, "member.warned", bob, reason="Rude words 粗鲁")
    page = client_for(moderator).get("/moderation/audit/").content.decode()
    assert page.index("member.warned") < page.index("topic.pinned")
    assert "Rude words 粗鲁" in page and "@mod" in page
    assert "pin_scope" in page and "global" in page  # before → after
    assert f'href="{topic.get_absolute_url()}"' in page


def test_filters(moderator, manager, bob, general):
    topic = start_topic(bob, general)
    forum_actions.set_closed(moderator, topic, True)
    audit.record(manager, "member.warned", bob, reason="Spam links")
    audit.record(moderator, "member.warned", bob, reason="Earlier")
    _raw(  # an entry from long ago: written as it was then

        "INSERT INTO moderation_auditentry (created_at, actor_label, action, target_id, "
        'target_label, reason, "before", "after") VALUES (%s, %s, %s, %s, %s, %s, %s, %s)',
        [timezone.now() - timedelta(days=40), "@mod", "topic.closed", "", "", "Long ago",
         "{}", "{}"],
    )  # fmt: skip

    def actions(**filters) -> list[str]:
        found = audit_log.filtered(audit_log.clean_filters(**filters))
        return sorted(entry.reason or entry.action for entry in found)

    assert actions(actor="@maja") == ["Spam links"]
    assert actions(actor="MOD", action="topic.closed") == ["Long ago", "topic.closed"]
    assert actions(target_type="forum.topic") == ["topic.closed"]
    assert actions(q="spam") == ["Spam links"]
    assert actions(q=topic.title[:10]) == ["topic.closed"]
    today = timezone.localdate()
    assert "Long ago" not in actions(since=today - timedelta(days=7), until=today)
    assert actions(until=today - timedelta(days=30)) == ["Long ago"]
    response = client_for(moderator).get(
        "/moderation/audit/", {"actor": "maja", "action": "member.warned"}
    )
    assert "Spam links" in response.content.decode()
    assert "Earlier" not in response.content.decode()


def test_bad_filters_get_a_clear_error(moderator):
    client = client_for(moderator)
    response = client.get("/moderation/audit/", {"since": "2026-05-02", "until": "2026-05-01"})
    assert response.status_code == 400
    assert "This date is before the start date." in response.content.decode()
    response = client.get("/moderation/audit/", {"since": "yesterday"})
    assert response.status_code == 400


def test_keyset_pages_and_a_fixed_number_of_queries(
    moderator, bob, general, django_assert_max_num_queries
):
    topics = [start_topic(bob, general, title=f"Topic number {n}") for n in range(60)]
    for topic in topics:
        forum_actions.set_closed(moderator, topic, True)
    audit.record(moderator, "member.warned", bob, reason="Rude")
    client = client_for(moderator)
    client.get("/moderation/audit/")  # sessions, the community: cached from here on
    with django_assert_max_num_queries(16):
        first = client.get("/moderation/audit/", {"action": "topic.closed"})
    page = first.content.decode()
    assert page.count("<code>topic.closed</code>") == audit_log.PAGE_SIZE
    cursor = first.context["next_cursor"]
    second = client.get("/moderation/audit/", {"action": "topic.closed", "cursor": cursor})
    assert second.content.decode().count("<code>topic.closed</code>") == 10
    assert second.context["next_cursor"] is None
    seen = {e.pk for e in first.context["entries"]} | {e.pk for e in second.context["entries"]}
    assert len(seen) == 60


def test_links_only_to_what_the_reader_may_see(guidelines, moderator, manager):
    secret = group_actions.create_group(manager, name="Hidden circle", policy=JoinPolicy.SECRET)
    group_actions.update_group(manager, secret, description="Only for us")
    url = secret.get_absolute_url()
    # Community managers see every group; a moderator outside it does not.
    assert f'href="{url}"' in client_for(manager).get("/moderation/audit/").content.decode()
    assert f'href="{url}"' not in client_for(moderator).get("/moderation/audit/").content.decode()
    api = Api(moderator).get("/audit-log", action="group.updated").json()["results"]
    assert api[0]["target_url"] is None


# --- CSV -----------------------------------------------------------------------------------


def test_csv_export_is_filtered_utf8_with_bom_and_formula_safe(moderator, bob):
    audit.record(moderator, "member.warned", bob, reason='=HYPERLINK("http://evil")')
    audit.record(moderator, "member.warned", bob, reason="+1 粗鲁 żółw")
    audit.record(moderator, "topic.closed", reason="not in the export")
    response = client_for(moderator).get(
        "/moderation/audit/export.csv", {"action": "member.warned"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == audit_log.CSV_HEADER
    assert [row[6] for row in rows[1:]] == ["'+1 粗鲁 żółw", '\'=HYPERLINK("http://evil")']
    assert {row[1] for row in rows[1:]} == {"'@mod"}  # a handle starts with "@"
    assert {row[2] for row in rows[1:]} == {"member.warned"}


def test_safe_cell():
    assert [audit_log.safe_cell(v) for v in ("=1", "-2", "@a", "\tx", "plain", "")] == [
        "'=1",
        "'-2",
        "'@a",
        "'\tx",
        "plain",
        "",
    ]


# --- API -----------------------------------------------------------------------------------


def test_api_staff_only_with_filters_and_cursor(moderator, member, bob):
    for n in range(3):
        audit.record(moderator, "member.warned", bob, reason=f"Warning {n}", after={"n": n})
    audit.record(None, "topic.closed")
    assert Api(member).get("/audit-log").status_code == 403
    assert Api(None).get("/audit-log").status_code == 401
    api = Api(moderator)
    first = api.get("/audit-log", action="member.warned", limit=2).json()
    assert [e["reason"] for e in first["results"]] == ["Warning 2", "Warning 1"]
    entry = first["results"][0]
    assert (entry["actor"], entry["target_type"], entry["after"]) == (
        "@mod",
        "accounts.user",
        {"n": 2},
    )
    assert entry["target_url"].endswith(f"/u/{bob.handle}/")
    rest = api.get("/audit-log", action="member.warned", cursor=first["next_cursor"]).json()
    assert [e["reason"] for e in rest["results"]] == ["Warning 0"]
    assert rest["next_cursor"] is None
    system = api.get("/audit-log", actor="system", action="topic.closed").json()["results"]
    assert [e["actor"] for e in system] == ["system"]
    bad = api.get("/audit-log", target_type="no.such")
    assert (bad.status_code, bad.json()["field"]) == (422, "target_type")


def test_no_change_or_delete_in_the_database_admin(admin_member_client, moderator):
    entry = audit.record(moderator, "topic.closed")
    client = admin_member_client
    assert client.get("/django-admin/moderation/auditentry/").status_code == 200
    url = f"/django-admin/moderation/auditentry/{entry.pk}/delete/"
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
