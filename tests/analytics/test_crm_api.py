"""PUT /api/v1/crm/accounts (all or nothing, per-row errors, managers only) and the list
of accounts matched to no member, with the link that fixes one."""

import json

import pytest
from django.test import Client

from tests.api.conftest import Api
from tests.conftest import PASSWORD, make_member
from townsquare.accounts.models import Role
from townsquare.analytics import crm, crm_actions
from townsquare.analytics.models import CrmAccount, CrmImport, MatchedBy
from townsquare.moderation.models import AuditEntry

pytestmark = pytest.mark.django_db
UNMATCHED = "/manage/analytics/revenue/unmatched/"


@pytest.fixture
def manager(guidelines):
    return make_member("maja", guidelines, role=Role.MANAGER)


@pytest.fixture
def api(manager) -> Api:
    return Api(manager)


@pytest.fixture
def manager_client(manager) -> Client:
    client = Client()
    client.force_login(manager)
    return client


def test_upsert_answers_the_counts(api, guidelines):
    ann = make_member("ann", guidelines)
    rows = [
        {"crm_id": "A-1", "email": "ann@example.com", "account_value": 1200.5},
        {"email": "new@example.com", "account_value": "10", "renewal_date": "2027-01-01"},
    ]
    response = api.put("/crm/accounts", rows)
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 2, "updated": 0, "errors": []}
    account = CrmAccount.objects.get(crm_id="A-1")
    assert (str(account.account_value), account.member) == ("1200.50", ann)
    rows[0]["account_value"] = 1300
    assert api.put("/crm/accounts", rows).json() == {"created": 0, "updated": 2, "errors": []}
    assert str(CrmAccount.objects.get(crm_id="A-1").account_value) == "1300.00"
    imports = CrmImport.objects.filter(source="api")
    assert imports.count() == 2
    entries = AuditEntry.objects.filter(action="crm.imported").order_by("pk")
    assert [(e.after["created"], e.after["updated"]) for e in entries] == [(2, 0), (0, 2)]


def test_any_bad_row_writes_nothing_and_every_error_is_listed(api):
    rows = [
        {"crm_id": "A-1", "account_value": 10},
        {"crm_id": "A-2", "account_value": "ten"},
        {"crm_id": "A-3", "account_value": True},
        {"account_value": 5},
        "not an object",
        {"crm_id": "A-1", "account_value": 11},
        {"crm_id": "A-7", "account_value": 1, "colour": "red"},
    ]
    response = api.put("/crm/accounts", rows)
    assert response.status_code == 422
    body = response.json()
    assert (body["created"], body["updated"]) == (0, 0)
    assert body["detail"] == "Some rows have problems."
    assert [(e["row"], e["column"]) for e in body["errors"]] == [
        (1, "account_value"),
        (2, "account_value"),
        (3, ""),
        (4, ""),
        (5, "crm_id"),
        (6, "colour"),
    ]
    assert body["errors"][3]["message"] == "Each account is a JSON object."
    assert CrmAccount.objects.count() == 0
    assert not AuditEntry.objects.filter(action="crm.imported").exists()


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"crm_id": "A"}, "Send a JSON list of accounts."),
        ([], "The list is empty."),
    ],
)
def test_the_body_must_be_a_list(api, body, detail):
    response = api.client.put(
        "/api/v1/crm/accounts", data=json.dumps(body), content_type="application/json",
        **api.headers,
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["detail"] == detail


def test_not_json_and_too_large(api, monkeypatch):
    response = api.client.put(
        "/api/v1/crm/accounts", data=b"\xff{", content_type="application/json", **api.headers
    )
    assert (response.status_code, response.json()["detail"]) == (422, "The body is not valid JSON.")
    monkeypatch.setattr(crm, "MAX_BYTES", 50)
    response = api.put(
        "/crm/accounts", [{"crm_id": f"A-{n}", "account_value": 1} for n in range(9)]
    )
    assert response.status_code == 413
    assert CrmAccount.objects.count() == 0


def test_managers_only(guidelines):
    rows = [{"crm_id": "A-1", "account_value": 1}]
    assert Api(make_member("alice", guidelines)).put("/crm/accounts", rows).status_code == 403
    assert Api().put("/crm/accounts", rows).status_code == 401
    admin = make_member("root", guidelines, role=Role.ADMIN)
    assert Api(admin).put("/crm/accounts", rows).status_code == 200
    assert CrmAccount.objects.count() == 1


def test_a_session_needs_a_csrf_token(manager):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(manager)
    response = strict.put(
        "/api/v1/crm/accounts", data='[{"crm_id": "A", "account_value": 1}]',
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code in (401, 403)
    assert CrmAccount.objects.count() == 0


# --- Accounts without a member --------------------------------------------------------------


@pytest.fixture
def unmatched(manager):
    crm_actions.import_items(
        manager,
        [
            {"crm_id": "U-1", "email": "old-address@example.com", "account_value": 70},
            {"crm_id": "U-2", "account_value": 30},
        ],
    )
    return CrmAccount.objects.get(crm_id="U-1")


def test_the_list_and_who_sees_it(manager_client, member_client, client, unmatched):
    assert client.get(UNMATCHED).status_code == 302
    assert member_client.get(UNMATCHED).status_code == 403
    assert member_client.get(UNMATCHED, {"format": "csv"}).status_code == 403
    assert (
        member_client.post(f"{UNMATCHED}{unmatched.pk}/link/", {"member": "x"}).status_code == 403
    )
    html = manager_client.get(UNMATCHED).content.decode()
    assert "2 accounts without a member" in html and "old-address@example.com" in html
    lines = manager_client.get(UNMATCHED, {"format": "csv"}).content.decode("utf-8-sig")
    assert lines.splitlines() == [
        "crm_id,email,account_value,currency,status",
        "U-1,old-address@example.com,70.00,USD,active",
        "U-2,,30.00,USD,active",
    ]


def test_linking_by_hand_is_audited_and_kept_by_imports(
    manager_client, manager, unmatched, guidelines
):
    ann = make_member("ann", guidelines)
    response = manager_client.post(f"{UNMATCHED}{unmatched.pk}/link/", {"member": "@Ann"})
    assert response.status_code == 302
    unmatched.refresh_from_db()
    assert (unmatched.member, unmatched.matched_by) == (ann, MatchedBy.MANUAL)
    entry = AuditEntry.objects.get(action="crm.linked")
    assert entry.after == {f"account {unmatched.pk}": ann.pk}
    crm_actions.import_items(
        manager, [{"crm_id": "U-1", "email": "old-address@example.com", "account_value": 80}]
    )
    unmatched.refresh_from_db()
    assert unmatched.member == ann  # a manager's link outlives imports
    html = manager_client.get(UNMATCHED).content.decode()
    assert "1 account without a member" in html


def test_an_unknown_member_is_explained_and_what_was_typed_kept(manager_client, unmatched):
    response = manager_client.post(f"{UNMATCHED}{unmatched.pk}/link/", {"member": "nobody-here"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "No member has this handle or email address." in html
    assert 'value="nobody-here"' in html
    unmatched.refresh_from_db()
    assert unmatched.member is None


def test_an_account_that_does_not_exist(manager_client):
    assert manager_client.post(f"{UNMATCHED}999999/link/", {"member": "maja"}).status_code == 404


def test_matching_again_finds_members_who_confirmed_their_address(
    manager_client, unmatched, guidelines
):
    from allauth.account.models import EmailAddress

    ben = make_member("ben", guidelines)
    EmailAddress.objects.create(user=ben, email="Old-Address@example.com", verified=True)
    response = manager_client.post(f"{UNMATCHED}rematch/", follow=True)
    assert "Matched again: 1 account changed its member." in response.content.decode()
    unmatched.refresh_from_db()
    assert (unmatched.member, unmatched.matched_by) == (ben, MatchedBy.EMAIL)
    assert AuditEntry.objects.filter(action="crm.rematched").count() == 1


def test_an_unconfirmed_address_matches_no_one(manager, guidelines):
    from allauth.account.models import EmailAddress

    dan = make_member("dan", guidelines)
    EmailAddress.objects.create(user=dan, email="dan-unconfirmed@example.com", verified=False)
    crm_actions.import_items(
        manager,
        [
            {"email": "dan-unconfirmed@example.com", "account_value": 1},
        ],
    )
    assert not CrmAccount.objects.filter(member__isnull=False).exists()


def test_a_deleted_member_leaves_the_account_unmatched(manager, guidelines):
    from townsquare.accounts import privacy

    eve = make_member("eve", guidelines)
    crm_actions.import_items(manager, [{"email": "eve@example.com", "account_value": 5}])
    assert CrmAccount.objects.get().member == eve
    privacy.delete_account(eve, eve, posts=privacy.PostsChoice.KEEP, password=PASSWORD)
    assert CrmAccount.objects.get().member is None


def test_the_demo_loads_accounts_once(guidelines):
    from townsquare.analytics import revenue_demo

    make_member("root", guidelines, role=Role.ADMIN)
    members = [make_member(f"demo{n}", guidelines) for n in range(8)]
    loaded = revenue_demo.load()
    # Every member but the 4th of each 7 (index 3), and 5 CRM rows that match no one.
    assert loaded == {"accounts": 7 + 5, "linked": 7, "unmatched": 5}
    assert CrmAccount.objects.filter(member=members[3]).count() == 0
    values = [float(v) for v in CrmAccount.objects.values_list("account_value", flat=True)]
    assert all(500 < v < 100_000 for v in values)
    assert revenue_demo.load() == {}
    assert CrmAccount.objects.count() == 12
