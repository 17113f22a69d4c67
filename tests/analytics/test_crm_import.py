"""CRM import by CSV: a check that lists every problem, then all of the file or nothing;
upserts by crm_id or email; matching to members; one audit entry per import."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from tests.conftest import make_member
from townsquare.accounts.models import Profile, Role
from townsquare.analytics import crm, crm_actions
from townsquare.analytics.models import CrmAccount, CrmImport, MatchedBy
from townsquare.moderation.models import AuditEntry

pytestmark = pytest.mark.django_db
URL = "/manage/analytics/revenue/import/"
GOOD = (
    "crm_id,email,account_value,currency,customer_since,renewal_date,status,churned_on\n"
    "A-1,ann@example.com,1200.50,USD,2024-01-15,2026-12-31,active,\n"
    "A-2,,300,,,,churned,2026-02-01\n"
    ",cat@example.com,99.90,,,,,\n"
)


@pytest.fixture
def manager(guidelines):
    return make_member("maja", guidelines, role=Role.MANAGER)


@pytest.fixture
def manager_client(manager) -> Client:
    client = Client()
    client.force_login(manager)
    return client


def check(manager, text: str | bytes) -> CrmImport:
    data = text.encode() if isinstance(text, str) else text
    return crm_actions.check_upload(manager, "crm.csv", data)


def problems(crm_import: CrmImport) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["message"]) for e in crm_import.row_errors]


def test_a_clean_file_is_checked_then_imported_and_matched(manager, guidelines):
    ann = make_member("ann", guidelines)  # confirmed address ann@example.com
    bob = make_member("bob", guidelines)
    Profile.objects.filter(user=bob).update(external_id="A-2")  # as a members import sets it
    checked = check(manager, GOOD)
    assert checked.is_clean and checked.rows_total == 3
    assert (checked.created_count, checked.updated_count) == (3, 0)
    assert CrmAccount.objects.count() == 0  # the check writes nothing
    assert [row["crm_id"] for row in checked.preview] == ["A-1", "A-2", ""]
    crm_actions.run_import(manager, checked)
    accounts = {a.crm_id or a.email: a for a in CrmAccount.objects.all()}
    assert str(accounts["A-1"].account_value) == "1200.50"
    assert (accounts["A-1"].member, accounts["A-1"].matched_by) == (ann, MatchedBy.EMAIL)
    assert (accounts["A-2"].member, accounts["A-2"].matched_by) == (bob, MatchedBy.CRM_ID)
    assert accounts["A-2"].status == "churned" and str(accounts["A-2"].churned_on) == "2026-02-01"
    assert accounts["cat@example.com"].member is None  # no such member
    assert accounts["cat@example.com"].currency == "USD"  # the settings' currency
    entry = AuditEntry.objects.get(action="crm.imported")
    assert entry.after["created"] == 3 and entry.after["updated"] == 0
    checked.refresh_from_db()
    assert checked.status == "done" and bytes(checked.content) == b""


def test_importing_again_updates_and_changes_nothing_else(manager):
    crm_actions.run_import(manager, check(manager, GOOD))
    first = list(CrmAccount.objects.order_by("pk").values_list("pk", "account_value"))
    again = check(manager, GOOD.replace("1200.50", "1500"))
    assert (again.created_count, again.updated_count) == (0, 3)
    crm_actions.run_import(manager, again)
    after = list(CrmAccount.objects.order_by("pk").values_list("pk", "account_value"))
    assert [pk for pk, _v in after] == [pk for pk, _v in first]
    assert str(after[0][1]) == "1500.00"
    assert AuditEntry.objects.filter(action="crm.imported").count() == 2


def test_a_row_with_a_crm_id_adopts_the_account_known_by_its_email(manager):
    crm_actions.run_import(manager, check(manager, "email,account_value\ncat@example.com,10\n"))
    checked = check(manager, "crm_id,email,account_value\nC-9,CAT@example.com,20\n")
    assert checked.updated_count == 1
    crm_actions.run_import(manager, checked)
    account = CrmAccount.objects.get()
    assert (account.crm_id, str(account.account_value)) == ("C-9", "20.00")


def test_a_file_with_a_bad_row_imports_nothing(manager, client):
    checked = check(manager, GOOD + "A-4,dan@example.com,lots,,,,,\n")
    assert not checked.is_clean and checked.rows_bad == 1
    with pytest.raises(ValidationError, match="nothing was imported"):
        crm_actions.run_import(manager, checked)
    assert CrmAccount.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty."),
        ("   \n\n", "The file is empty."),
        ("crm_id,email,account_value\n", "The file has a header but no rows."),
        ("crm_id,email\nA-1,a@example.com\n", "The required column “account_value” is missing."),
        ("name,account_value\nAnn,10\n", "A column “crm_id” or “email” is required"),
        ("crm_id,crm_id,account_value\nA,B,1\n", "The column “crm_id” appears twice."),
        (b"PK\x03\x04xlsx", "This is not a CSV file"),
        ('crm_id,account_value\n"A-1,10\n', "This is not a readable CSV file"),
    ],
)
def test_file_problems_are_explained(manager, text, message):
    checked = check(manager, text)
    assert any(message in error for error in checked.file_errors), checked.file_errors
    assert bytes(checked.content) == b""  # a file that cannot be imported is not kept


def test_a_file_in_another_encoding_says_which_line(manager):
    data = "crm_id,email,account_value\nA-1,a@example.com,1\nŁ-2,b@example.com,2\n"
    checked = check(manager, data.encode("cp1250"))
    assert checked.file_errors == [
        "The file is not in UTF-8 encoding: characters on line(s) 3 cannot be read. Save it as "
        "“CSV UTF-8” and upload it again."
    ]


def test_a_huge_file_is_refused_before_reading(manager, monkeypatch):
    monkeypatch.setattr(crm, "MAX_BYTES", 100)
    checked = check(manager, GOOD * 3)
    assert "at most 100\xa0bytes can be imported" in checked.file_errors[0]
    monkeypatch.setattr(crm, "MAX_ROWS", 2)
    monkeypatch.setattr(crm, "MAX_BYTES", 10_000)
    checked = check(manager, GOOD)
    assert checked.file_errors[0].startswith("There are 3 rows; at most 2 can be imported")


def test_every_row_problem_is_listed_with_its_row_and_column(manager):
    text = (
        "crm_id,email,account_value,currency,customer_since,status,churned_on,notes\n"
        'A-1,ann@example.com,"12,345.00",,,,,ignored\n'  # 2: thousands separator
        "A-2,not-an-email,10,,,,,\n"  # 3
        ",,10,,,,,\n"  # 4: no id, no email
        "A-4,,=SUM(A1:A9),,,,,\n"  # 5: a formula is not an amount
        "A-5,,-10,,,,,\n"  # 6: negative
        "A-6,,10,EUR,,,,\n"  # 7: another currency
        "A-7,,10,,31/12/2025,,,\n"  # 8: not ISO
        "A-8,,10,,,maybe,,\n"  # 9
        "A-9,,10,,,active,2026-01-01\n"  # 10: active yet churned
        "A-1,,10,,,,,\n"  # 11: same CRM id as row 2
        "A-11,,10,,,,,,extra\n"  # 12: more cells than columns
        "A-12,,1e5,,,,,\n"  # 13
        "A-13,,,,,,,\n"  # 14: no value
        ",dup@example.com,1,,,,,\n"  # 15
        ",DUP@example.com,2,,,,,\n"  # 16: same email as row 15
    )
    found = problems(check(manager, text))
    columns = {(row, column) for row, column, _m in found}
    assert columns == {
        (2, "account_value"), (3, "email"), (4, ""), (5, "account_value"), (6, "account_value"),
        (7, "currency"), (8, "customer_since"), (9, "status"), (10, "churned_on"),
        (11, "crm_id"), (12, ""), (13, "account_value"), (14, "account_value"), (16, "email"),
    }  # fmt: skip
    messages = {(row, column): message for row, column, message in found}
    assert messages[(2, "account_value")] == (
        "“12,345.00” is not an amount: write it like 1234.50, without thousands separators."
    )
    assert messages[(11, "crm_id")] == "The same account is on row 2."
    assert messages[(16, "email")] == "The same account is on row 15."
    assert "in USD, the currency in the analytics settings" in messages[(7, "currency")]
    assert messages[(8, "customer_since")] == "“31/12/2025” is not a date: write it as YYYY-MM-DD."


def test_semicolons_comma_decimals_and_a_byte_order_mark(manager):
    text = "\ufeffCRM ID;E-mail;Account value\nP-1;ola@example.pl;1234,5\n"
    checked = check(manager, text)
    assert checked.is_clean, (checked.file_errors, checked.row_errors)
    crm_actions.run_import(manager, checked)
    assert str(CrmAccount.objects.get().account_value) == "1234.50"


def test_a_neutralised_formula_round_trips_and_is_neutralised_again(manager, manager_client):
    checked = check(manager, 'crm_id,account_value\n\'=HYPERLINK("x"),10\n')
    crm_actions.run_import(manager, checked)
    assert CrmAccount.objects.get().crm_id == '=HYPERLINK("x")'
    response = manager_client.get("/manage/analytics/revenue/unmatched/", {"format": "csv"})
    assert "'=HYPERLINK" in response.content.decode("utf-8-sig")


def test_rows_that_became_bad_since_the_check_stop_the_import(manager):
    """Between check and import, the API gave two accounts with ids the same address:
    the file's row without an id no longer says which account it means."""
    checked = check(manager, "email,account_value\nshared@example.com,10\n")
    assert checked.is_clean
    crm_actions.import_items(
        manager,
        [
            {"crm_id": "X-1", "email": "shared@example.com", "account_value": 1},
            {"crm_id": "X-2", "email": "shared@example.com", "account_value": 2},
        ],
    )
    with pytest.raises(ValidationError, match="became bad"):
        crm_actions.run_import(manager, checked)
    checked.refresh_from_db()
    assert checked.status == "checked" and checked.rows_bad == 1
    assert "Several CRM accounts have this email address" in checked.row_errors[0]["message"]
    assert CrmAccount.objects.count() == 2


def test_members_may_not_import(guidelines):
    member = make_member("alice", guidelines)
    with pytest.raises(PermissionDenied):
        crm_actions.check_upload(member, "crm.csv", GOOD.encode())
    assert CrmImport.objects.count() == 0


def test_the_pages_upload_check_and_import(manager_client, member_client, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    assert client.get(URL).status_code == 302
    assert member_client.get(URL).status_code == 403
    page = manager_client.get(URL)
    assert page.status_code == 200 and "account_value" in page.content.decode()
    upload = SimpleUploadedFile("crm.csv", GOOD.encode(), content_type="text/csv")
    response = manager_client.post(URL, {"file": upload})
    checked = CrmImport.objects.get()
    assert response["Location"] == f"{URL}{checked.pk}/"
    report = manager_client.get(response["Location"]).content.decode()
    assert "The file is clean. Accounts to add: 3; to update: 0." in report
    assert member_client.post(f"{URL}{checked.pk}/run/").status_code == 403
    assert manager_client.get(f"{URL}{checked.pk}/run/").status_code == 405
    manager_client.post(f"{URL}{checked.pk}/run/")
    assert CrmAccount.objects.count() == 3
    done = manager_client.get(f"{URL}{checked.pk}/").content.decode()
    assert "Imported. Accounts added: 3; updated: 0." in done
    # A second click imports nothing twice.
    again = manager_client.post(f"{URL}{checked.pk}/run/", follow=True).content.decode()
    assert "This file has already been imported." in again
    assert CrmAccount.objects.count() == 3
    assert manager_client.get(f"{URL}999999/").status_code == 404


def test_the_report_lists_problems(manager_client, manager):
    checked = check(manager, "crm_id,account_value\nA-1,ten\n")
    html = manager_client.get(f"{URL}{checked.pk}/").content.decode()
    assert "1 of 1 rows has problems" in html
    assert "“ten” is not an amount" in html


def test_the_upload_form_needs_a_csrf_token(manager):
    from django.core.files.uploadedfile import SimpleUploadedFile

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(manager)
    upload = SimpleUploadedFile("crm.csv", GOOD.encode(), content_type="text/csv")
    assert strict.post(URL, {"file": upload}).status_code == 403
    assert CrmImport.objects.count() == 0
