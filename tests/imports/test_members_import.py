"""Members import: the dry run reports every bad row and writes nothing; the import creates
members, adds them to groups and invites them by email."""

import re

import pytest
from django.core import mail
from django.test import Client

from tests.conftest import make_member
from tests.imports.conftest import upload
from townsquare.accounts.models import User
from townsquare.core.models import ActivityEvent
from townsquare.groups import actions as group_actions
from townsquare.imports.models import MemberImport


def errors_of(member_import: MemberImport) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["message"]) for e in member_import.row_errors]


def run(client: Client, member_import: MemberImport, rows: str, capture):
    with capture(execute=True):
        response = client.post(f"/manage/members/import/{member_import.pk}/run/", {"rows": rows})
    assert response.status_code == 302
    member_import.refresh_from_db()
    return client.get(response["Location"])


@pytest.mark.django_db
def test_dry_run_reports_the_exact_bad_rows_and_writes_nothing(manager_client, manager, member):
    group_actions.create_group(None, name="Berlin chapter", slug="berlin")
    users_before = User.objects.count()
    events_before = set(ActivityEvent.objects.values_list("pk", flat=True))
    text = (
        "Name,EMAIL,handle,company,groups,crm_id,Shirt size\r\n"
        "Anna Nowak,anna@example.com,anna,ACME,berlin,C-1,M\r\n"  # row 2: good
        "Bob,not-an-email,,,,,\r\n"  # row 3: invalid email
        "Anna Again,ANNA@example.com,anna2,,,,\r\n"  # row 4: duplicate email in the file
        "Alice,alice@example.com,,,,,\r\n"  # row 5: an existing member's email
        "Carl,carl@example.com,anna,,,,\r\n"  # row 6: duplicate handle in the file
        "Dora,dora@example.com,no spaces!,,,,\r\n"  # row 7: handle not allowed
        "Emil,emil@example.com,,,Nowhere;berlin,,\r\n"  # row 8: unknown group
        f"Finn,finn@example.com,,{'x' * 101},,,\r\n"  # row 9: overlong company
        ",gus@example.com,,,,,\r\n"  # row 10: missing name
        "\r\n"  # row 11: blank, ignored
        "Hela,hela@example.com,,,Berlin Chapter,,L\r\n"  # row 12: good (group by name)
    )
    page = upload(manager_client, text)
    member_import = MemberImport.objects.get()
    assert [(row, column) for row, column, _m in errors_of(member_import)] == [
        (3, "email"), (4, "email"), (5, "email"), (6, "handle"), (7, "handle"),
        (8, "groups"), (9, "company"), (10, "name"),
    ]  # fmt: skip
    messages = dict(((r, c), m) for r, c, m in errors_of(member_import))
    assert messages[(4, "email")] == "The same email address is on row 2."
    assert messages[(5, "email")] == "A member with this email address already exists."
    assert messages[(8, "groups")] == "There is no group “Nowhere”."
    assert messages[(9, "company")] == "At most 100 characters; this has 101."
    assert (member_import.rows_total, member_import.rows_bad) == (10, 8)
    body = page.content.decode()
    assert "Import the 2 good rows" in body and "Import all" not in body
    assert "The same email address is on row 2." in body
    # Nothing but the import's own record and its event is written.
    assert User.objects.count() == users_before
    new_events = ActivityEvent.objects.exclude(pk__in=events_before)
    assert set(new_events.values_list("verb", flat=True)) <= {
        "members_import.checked",
        "member.visited",
        "page.viewed",
    }
    assert len(mail.outbox) == 0


@pytest.mark.django_db
def test_a_file_that_is_not_utf8_is_refused_with_its_lines(manager_client):
    text = "name,email\nAnna,anna@example.com\nJózef,jozef@example.com\nZoë,zoe@example.com\n"
    upload(manager_client, text.encode("cp1250", errors="replace"))
    member_import = MemberImport.objects.get()
    assert member_import.file_errors == [
        "The file is not in UTF-8 encoding: characters on line(s) 3, 4 cannot be read. "
        "Save it as “CSV UTF-8” and upload it again."
    ]
    assert member_import.content == b"" and not User.objects.filter(handle="anna").exists()


@pytest.mark.django_db
def test_utf8_with_bom_and_semicolons_from_a_spreadsheet_are_read(manager_client):
    text = (
        "\ufeffName;Email;Location\n"
        "Józef Wybicki;jozef@example.com;Kraków\n王小明;xiaoming@example.com;北京\n"
    )
    upload(manager_client, text)
    member_import = MemberImport.objects.get()
    assert member_import.is_clean and member_import.rows_total == 2


@pytest.mark.django_db
def test_a_missing_required_column_is_a_file_error(manager_client):
    page = upload(manager_client, "email,company\nanna@example.com,ACME\nanna@example.com,X\n")
    member_import = MemberImport.objects.get()
    assert member_import.file_errors == [
        "The required column “name” is missing. The first row must name the columns; "
        "“name” and “email” are required."
    ]
    # The other problems are still reported, but no row may be imported.
    assert errors_of(member_import) == [(3, "email", "The same email address is on row 2.")]
    body = page.content.decode()
    assert (
        "This file cannot be imported" in body and '<button type="submit" name="rows"' not in body
    )
    assert MemberImport.objects.get().status == "checked"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf  \n", "The file is empty."),
        (b"PK\x03\x04\x14\x00\x00\x00", "This is not a CSV file"),
        (b'name,email\n"Anna,anna@example.com\n', "This is not a readable CSV file: line"),
    ],
)
@pytest.mark.django_db
def test_files_that_are_not_usable_csv_are_refused_clearly(manager_client, data, message):
    upload(manager_client, data)
    assert MemberImport.objects.get().file_errors[0].startswith(message)


@pytest.mark.django_db
def test_too_many_rows_and_too_large_files_are_refused(manager_client, settings):
    settings.MEMBERS_IMPORT_MAX_ROWS = 3
    upload(manager_client, "name,email\n" + "".join(f"M{i},m{i}@example.com\n" for i in range(4)))
    assert MemberImport.objects.get().file_errors == [
        "The file has 4 rows; at most 3 can be imported at once. Split it into smaller files."
    ]
    settings.MEMBERS_IMPORT_MAX_BYTES = 100
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = manager_client.post(
        "/manage/members/import/",
        {"file": SimpleUploadedFile("big.csv", b"name,email\n" + b"x" * 200)},
    )
    assert response.status_code == 200 and "at most 100" in response.content.decode()
    assert MemberImport.objects.count() == 1


@pytest.mark.django_db
def test_importing_only_the_good_rows_creates_members_groups_and_invitations(
    manager_client, manager, member, client, django_capture_on_commit_callbacks
):
    berlin = group_actions.create_group(None, name="Berlin chapter", slug="berlin")
    text = (
        "name,email,handle,company,title,location,groups,crm_id,Plan\n"
        'Anna Nowak,anna@example.com,,ACME,CTO,Kraków,berlin,CRM-7,=HYPERLINK("x")\n'
        "Bad,alice@example.com,,,,,,,\n"
        "Anna N,anna@other.example,,,,,,,Gold\n"
    )
    upload(manager_client, text)
    member_import = MemberImport.objects.get()
    assert member_import.rows_bad == 1
    page = run(manager_client, member_import, "good", django_capture_on_commit_callbacks)
    assert member_import.status == "done" and member_import.imported_count == 2
    assert member_import.skipped_count == 1 and member_import.content == b""
    assert "2 members were imported and invited by email." in page.content.decode()

    anna = User.objects.select_related("profile").get(email="anna@example.com")
    assert anna.handle == "anna" and not anna.has_usable_password()
    profile = anna.profile
    assert (profile.company, profile.job_title, profile.location, profile.external_id) == (
        "ACME", "CTO", "Kraków", "CRM-7",
    )  # fmt: skip
    assert profile.custom_fields == {"Plan": '=HYPERLINK("x")'}
    assert list(berlin.members.all()) == [anna]
    assert User.objects.get(email="anna@other.example").handle == "anna2"  # derived, numbered
    assert ActivityEvent.objects.filter(verb="member.imported", actor=manager).count() == 2
    assert ActivityEvent.objects.filter(verb="group.member_added", actor=manager).count() == 1

    # Each new member is invited; the link lets them choose a password and sign in.
    assert sorted(m.to[0] for m in mail.outbox) == ["anna@example.com", "anna@other.example"]
    invitation = next(m for m in mail.outbox if m.to == ["anna@example.com"])
    assert "You are invited to" in invitation.subject and "@anna" in invitation.body
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", invitation.body)
    form_page = client.get(link.group(1), follow=True)
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"password1": "a new passphrase", "password2": "a new passphrase"},
    )
    assert done.status_code == 302
    anna.refresh_from_db()
    assert anna.check_password("a new passphrase")
    assert (
        client.post(
            "/accounts/login/", {"login": "anna@example.com", "password": "a new passphrase"}
        ).status_code
        == 302
    )
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_import_all_is_refused_while_rows_are_bad(
    manager_client, django_capture_on_commit_callbacks
):
    upload(manager_client, "name,email\nAnna,anna@example.com\nBob,bad\n")
    member_import = MemberImport.objects.get()
    page = run(manager_client, member_import, "all", django_capture_on_commit_callbacks)
    assert "Some rows have problems" in page.content.decode()
    assert member_import.status == "checked" and not User.objects.filter(handle="anna").exists()


@pytest.mark.django_db
def test_rows_that_became_bad_since_the_check_stop_an_import_of_all_rows(
    manager_client, guidelines, django_capture_on_commit_callbacks
):
    upload(manager_client, "name,email\nAnna,anna@example.com\nBob,bob@example.com\n")
    member_import = MemberImport.objects.get()
    make_member("anna", guidelines)  # signed up meanwhile with the same address
    page = run(manager_client, member_import, "all", django_capture_on_commit_callbacks)
    assert member_import.status == "failed" and "Nothing was imported" in page.content.decode()
    assert not User.objects.filter(email="bob@example.com").exists()


@pytest.mark.django_db
def test_non_managers_are_refused(client, member_client, guidelines):
    from townsquare.accounts.models import Role

    moderator = make_member("moder", guidelines, role=Role.MODERATOR)
    moderator_client = Client()
    moderator_client.force_login(moderator)
    for who in (member_client, moderator_client):
        assert who.get("/manage/members/import/").status_code == 403
        assert who.post("/manage/members/import/", {}).status_code == 403
        assert who.get("/manage/members/export.csv").status_code == 403
        assert who.post("/manage/members/import/1/run/", {"rows": "all"}).status_code == 403
        assert who.get("/manage/members/import/1/").status_code == 403
    assert client.get("/manage/members/export.csv").status_code == 302  # to sign in
    assert MemberImport.objects.count() == 0


@pytest.mark.django_db
def test_the_upload_needs_a_csrf_token(manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.post("/manage/members/import/", {}).status_code == 403


@pytest.mark.django_db
def test_hostile_cells_are_shown_as_text_in_the_report(manager_client):
    page = upload(
        manager_client,
        "name,email,groups\n<script>alert(1)</script>,x@example.com,<img src=x onerror=alert(1)>\n",
    )
    body = page.content.decode()
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
