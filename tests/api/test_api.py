import pytest
from django.test import Client

from tests.conftest import make_member
from townsquare.accounts import actions
from townsquare.core.models import ActivityEvent


@pytest.fixture
def token(member) -> str:
    return actions.create_api_token(member, member, "tests")[1]


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.mark.django_db
def test_community(client: Client, guidelines):
    body = client.get("/api/v1/community").json()
    assert body["guidelines_version"] == 1
    assert body["access_mode"] == "public"
    assert body["guidelines_url"].endswith("/guidelines/")


@pytest.mark.django_db
def test_me_by_token_and_by_session(client: Client, member, token):
    assert client.get("/api/v1/me").status_code == 401
    me = client.get("/api/v1/me", **bearer(token)).json()
    assert (me["handle"], me["email"]) == ("alice", "alice@example.com")
    client.force_login(member)
    assert client.get("/api/v1/me").json()["handle"] == "alice"


@pytest.mark.django_db
def test_bad_token_is_401_not_anonymous(client: Client):
    response = client.get("/api/v1/community", **bearer("tsq_nope"))
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid or revoked API token."


@pytest.mark.django_db
def test_users_hide_emails_and_paginate_by_cursor(client: Client, guidelines):
    for i in range(5):
        make_member(f"user{i}", guidelines)
    first = client.get("/api/v1/users?limit=2").json()
    assert [u["handle"] for u in first["results"]] == ["user4", "user3"]
    assert "email" not in first["results"][0]
    second = client.get(f"/api/v1/users?limit=2&cursor={first['next_cursor']}").json()
    assert [u["handle"] for u in second["results"]] == ["user2", "user1"]
    last = client.get(f"/api/v1/users?limit=2&cursor={second['next_cursor']}").json()
    assert [u["handle"] for u in last["results"]] == ["user0"]
    assert last["next_cursor"] is None


@pytest.mark.django_db
def test_unconfirmed_accounts_are_not_listed(client: Client, guidelines):
    make_member("ghost", None)
    assert client.get("/api/v1/users/ghost").status_code == 404
    assert client.get("/api/v1/users").json()["results"] == []


@pytest.mark.django_db
def test_user_by_handle_is_case_insensitive_and_404s_as_json(client: Client, member):
    assert client.get("/api/v1/users/ALICE").json()["handle"] == "alice"
    missing = client.get("/api/v1/users/nobody")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not found.", "field": None}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("limit=500", "limit"),
        ("cursor=-1", "cursor"),
        ("q=" + "x" * 101, "q"),
    ],
)
@pytest.mark.django_db
def test_validation_errors_name_the_field(client: Client, query, field):
    response = client.get(f"/api/v1/users?{query}")
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == field
    assert isinstance(body["detail"], str) and body["detail"]


@pytest.mark.parametrize(
    ("url", "max_queries"), [("/api/v1/users?limit=30", 6), ("/members/", 9), ("/", 8)]
)
@pytest.mark.django_db
def test_member_lists_have_a_fixed_number_of_queries(
    client: Client, guidelines, django_assert_max_num_queries, url, max_queries
):
    for i in range(30):
        make_member(f"member{i}", guidelines)
    with django_assert_max_num_queries(max_queries):
        response = client.get(url)
    assert response.status_code == 200
    assert "member29" in response.content.decode()


@pytest.mark.django_db
def test_openapi_document(client: Client):
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/community", "/api/v1/me", "/api/v1/users", "/api/v1/users/{handle}"} <= set(
        schema["paths"]
    )
    assert client.get("/api/v1/docs").status_code == 200


@pytest.mark.django_db
def test_token_requests_are_recorded_as_api_channel(client: Client, member, token):
    client.post("/settings/tokens/", {"name": "by api"}, **bearer(token))
    event = ActivityEvent.objects.filter(verb="apitoken.created").first()
    assert event.channel == "api"


@pytest.mark.django_db
def test_answers_escape_html_significant_characters(client: Client, guidelines):
    from townsquare.core.actions import update_community

    update_community(None, name="Tea & <Cake>")
    response = client.get("/api/v1/community")
    assert response.json()["name"] == "Tea & <Cake>"
    text = response.content.decode()
    assert "<" not in text and ">" not in text and "&" not in text
    assert "Tea \\u0026 \\u003cCake\\u003e" in text
