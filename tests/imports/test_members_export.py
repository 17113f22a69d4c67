"""Members export: what the manager may see, in the import's columns, safe in a spreadsheet,
and importable again."""

import csv
import io

import pytest
from django.core import mail

from tests.conftest import make_member
from tests.imports.conftest import upload
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import User
from townsquare.groups import actions as group_actions
from townsquare.imports.models import MemberImport


def export(client) -> list[dict[str, str]]:
    response = client.get("/manage/members/export.csv")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def fill_profile(user: User, **values) -> None:
    user.profile.__dict__.update(values)
    user.profile.save()


@pytest.mark.django_db
def test_export_round_trips_through_import(
    manager_client, manager, guidelines, django_capture_on_commit_callbacks
):
    berlin = group_actions.create_group(None, name="Berlin chapter", slug="berlin")
    warsaw = group_actions.create_group(None, name="Warszawa", slug="warszawa")
    zofia = make_member("zofia", guidelines, display_name="Zofia Łukasiewicz")
    fill_profile(zofia, company="ACME", job_title="CTO", location="Kraków", external_id="C-1",
                 custom_fields={"Plan": "Gold", "Seats": "12"})  # fmt: skip
    group_actions.add_member(None, berlin, zofia)
    group_actions.add_member(None, warsaw, zofia)
    ming = make_member("ming", guidelines, display_name="王小明")
    fill_profile(ming, custom_fields={"Plan": "-5 discount"})
    make_member("unconfirmed", None)  # not a member yet: not visible, not exported

    rows = export(manager_client)
    assert [r["handle"] for r in rows] == ["manager", "zofia", "ming"]
    assert list(rows[0]) == [
        "name", "email", "handle", "company", "title", "location", "groups", "crm_id",
        "Plan", "Seats",
    ]  # fmt: skip
    assert rows[1]["groups"] == "berlin;warszawa"
    assert rows[2]["Plan"] == "'-5 discount"  # neutralised for spreadsheets

    # Exported file, imported again into a community where these people are not members.
    exported = manager_client.get("/manage/members/export.csv")
    data = b"".join(exported.streaming_content)
    for user in (zofia, ming):
        user.delete()
    upload(manager_client, data)
    member_import = MemberImport.objects.get()
    # The manager's own row is refused: the address and handle are taken (by the manager).
    assert [(e["row"], e["column"]) for e in member_import.row_errors] == [
        (2, "email"), (2, "handle"),
    ]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(f"/manage/members/import/{member_import.pk}/run/", {"rows": "good"})
    for user in User.objects.filter(handle__in=["zofia", "ming"]):
        account_actions.accept_guidelines(user, guidelines)  # as at their first sign-in
    assert export(manager_client) == rows
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_export_neutralises_csv_injection(manager_client, guidelines):
    evil = make_member("evil", guidelines, display_name="=cmd|' /C calc'!A0")
    fill_profile(
        evil,
        company="+SUM(1,2)",
        job_title="-2+3",
        location="@SUM(A1)",
        external_id="\tTAB",
        custom_fields={"Note": "\r=1+1", "Safe": "a=b"},
    )
    row = next(r for r in export(manager_client) if r["handle"] == "evil")
    assert row["name"] == "'=cmd|' /C calc'!A0"
    assert (row["company"], row["title"], row["location"], row["crm_id"]) == (
        "'+SUM(1,2)", "'-2+3", "'@SUM(A1)", "'\tTAB",
    )  # fmt: skip
    assert row["Note"] == "'\r=1+1" and row["Safe"] == "a=b"


@pytest.mark.django_db
def test_export_reads_members_in_a_fixed_number_of_queries(
    manager_client, guidelines, django_assert_max_num_queries
):
    board = group_actions.create_group(None, name="Board")
    for n in range(3):
        group_actions.add_member(None, board, make_member(f"few{n}", guidelines))
    with django_assert_max_num_queries(20) as few:
        assert len(export(manager_client)) == 4
    for n in range(30):
        group_actions.add_member(None, board, make_member(f"member{n:02d}", guidelines))
    with django_assert_max_num_queries(len(few)):
        assert len(export(manager_client)) == 34


@pytest.mark.django_db
def test_ten_thousand_rows_are_checked_and_imported_in_batches(
    manager_client, manager, settings, django_capture_on_commit_callbacks
):
    group_actions.create_group(None, name="Newcomers", slug="newcomers")
    lines = ["name,email,company,groups"]
    lines += [f"Member {n},member{n}@example.com,Company {n % 97},newcomers" for n in range(10_000)]
    page = upload(manager_client, "\n".join(lines))
    assert "Import all 10000 members" in page.content.decode()
    member_import = MemberImport.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(f"/manage/members/import/{member_import.pk}/run/", {"rows": "all"})
    member_import.refresh_from_db()
    assert member_import.status == "done" and member_import.imported_count == 10_000
    assert User.objects.filter(email__startswith="member").count() == 10_000
    assert len(mail.outbox) == 10_000
