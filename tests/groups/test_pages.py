"""Group pages and API: a secret group stays invisible to outsiders through every channel,
lists cost a fixed number of queries, and bad input gets a clear answer."""

import pytest
from django.test import Client

from tests.conftest import make_member, sitemap_text
from townsquare.accounts.models import Role
from townsquare.forum import actions as forum_actions
from townsquare.groups import actions
from townsquare.groups.models import GroupKind, GroupMembership, JoinRequest


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager(guidelines):
    return make_member("boss", guidelines, role=Role.MANAGER)


@pytest.fixture
def secret_board(manager, guidelines):
    board = actions.create_group(
        manager, name="Secret board", kind=GroupKind.ADVISORY_BOARD, description="Roadmap talk"
    )
    insider = make_member("insider", guidelines)
    actions.add_member(manager, board, insider)
    forum_actions.create_topic(
        insider,
        board.category,
        title="Quarterly roadmap zeppelin",
        body="Nobody else sees zeppelin.",
    )
    return board


@pytest.mark.django_db(transaction=True)
def test_a_secret_group_is_invisible_to_outsiders_everywhere(secret_board, guidelines):
    outsider = make_member("outsider", guidelines)
    insider_client = client_for(secret_board.memberships.get(user__handle="insider").user)
    for client in (Client(), client_for(outsider)):
        assert "Secret board" not in client.get("/groups/").content.decode()
        assert client.get("/g/secret-board/").status_code == 404
        assert client.get("/g/secret-board/edit/").status_code in (302, 404)
        assert client.post("/g/secret-board/join/").status_code in (302, 404)
        api_list = client.get("/api/v1/groups").json()["results"]
        assert "secret-board" not in [group["slug"] for group in api_list]
        detail = client.get("/api/v1/groups/secret-board")
        assert detail.status_code == 404
        assert detail.json() == client.get("/api/v1/groups/no-such-group").json()
        assert "zeppelin" not in client.get("/latest/").content.decode().lower()
        assert "Quarterly roadmap" not in client.get("/search/?q=zeppelin").content.decode()
        assert "zeppelin" not in sitemap_text(client).lower()
        assert "secret-board" not in sitemap_text(client)
        profile = client.get("/u/insider/").content.decode()
        assert "Secret board" not in profile
    # The member sees all of it.
    assert "Secret board" in insider_client.get("/groups/").content.decode()
    page = insider_client.get("/g/secret-board/").content.decode()
    assert "Quarterly roadmap zeppelin" in page
    assert "Quarterly roadmap" in insider_client.get("/search/?q=zeppelin").content.decode()
    assert insider_client.get("/api/v1/groups/secret-board").json()["my_role"] == "member"


@pytest.mark.django_db
def test_group_list_costs_a_fixed_number_of_queries(
    manager, guidelines, django_assert_max_num_queries
):
    member = make_member("reader", guidelines)
    client = client_for(member)

    def add_groups(start: int, count: int) -> None:
        for number in range(start, start + count):
            group = actions.create_group(manager, name=f"Group {number}")
            actions.join_group(member, group)

    add_groups(0, 2)
    with django_assert_max_num_queries(20) as few:
        client.get("/groups/")
    add_groups(2, 12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/groups/")
    assert response.content.decode().count('class="card"') == 14
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/groups").json()["results"]) == 14


@pytest.mark.django_db
def test_kind_filter_and_member_counts(manager, guidelines):
    actions.create_group(manager, name="Kraków", kind=GroupKind.CHAPTER, location="Kraków")
    actions.create_group(manager, name="Makers")
    page = Client().get("/groups/?kind=chapter").content.decode()
    assert "Kraków" in page and "Makers" not in page
    assert "1 member" in page
    assert Client().get("/groups/?kind=bogus").status_code == 200


@pytest.mark.django_db
def test_create_and_edit_pages(manager, guidelines):
    client = client_for(manager)
    response = client.post(
        "/groups/new/", {"name": "Early birds", "kind": "early_adopters", "description": "Hi"}
    )
    assert response.status_code == 302 and response["Location"] == "/g/early-birds/"
    # A duplicate address is refused with what was typed kept.
    again = client.post("/groups/new/", {"name": "Early birds", "kind": "interest"})
    assert again.status_code == 200
    assert "already exists" in again.content.decode()
    assert 'value="Early birds"' in again.content.decode()
    overlong = client.post("/groups/new/", {"name": "x" * 81, "kind": "interest"})
    assert overlong.status_code == 200 and "at most 80" in overlong.content.decode()
    chapter = client.post("/groups/new/", {"name": "Oslo", "kind": "chapter"})
    assert "needs a location" in chapter.content.decode()
    # A plain member may neither create nor edit someone else's group.
    member = client_for(make_member("plain", guidelines))
    assert member.get("/groups/new/").status_code == 403
    assert (
        member.post("/g/early-birds/edit/", {"name": "Mine", "kind": "interest"}).status_code == 403
    )
    edited = client.post(
        "/g/early-birds/edit/",
        {"name": "Early adopters", "slug": "early-birds", "kind": "early_adopters"},
    )
    assert edited.status_code == 302
    assert "Early adopters" in Client().get("/g/early-birds/").content.decode()


@pytest.mark.django_db
def test_request_flow_on_the_pages(manager, guidelines):
    group = actions.create_group(manager, name="Beta", kind=GroupKind.EARLY_ADOPTERS)
    asker = make_member("asker", guidelines)
    asking = client_for(asker)
    asking.post("/g/beta/request/", {"note": "I test everything"})
    assert "You have asked to join" in asking.get("/g/beta/").content.decode()
    join_request = JoinRequest.objects.get(group=group, user=asker)
    # Someone else's request id in another group answers 404.
    other = actions.create_group(manager, name="Other")
    managing = client_for(manager)
    assert managing.post(f"/g/{other.slug}/requests/{join_request.pk}/").status_code == 404
    stranger = client_for(make_member("stranger", guidelines))
    assert (
        stranger.post(f"/g/beta/requests/{join_request.pk}/", {"decision": "approve"}).status_code
        == 403
    )
    page = managing.get("/g/beta/").content.decode()
    assert "I test everything" in page
    managing.post(f"/g/beta/requests/{join_request.pk}/", {"decision": "approve"})
    assert GroupMembership.objects.filter(group=group, user=asker).exists()
    assert "You are a member" in asking.get("/g/beta/").content.decode()


@pytest.mark.django_db
def test_api_create_join_request_and_leave(manager, guidelines):
    api = client_for(manager)
    created = api.post(
        "/api/v1/groups", {"name": "Ops", "kind": "chapter", "location": "Berlin"},
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 201
    assert created.json()["policy"] == "request" and created.json()["my_role"] == "owner"
    duplicate = api.post("/api/v1/groups", {"name": "Ops"}, content_type="application/json")
    assert duplicate.status_code == 422 and duplicate.json()["field"] == "slug"
    overlong = api.post("/api/v1/groups", {"name": "x" * 81}, content_type="application/json")
    assert overlong.status_code == 422 and overlong.json()["field"] == "name"
    member = client_for(make_member("joiner", guidelines))
    assert (
        member.post("/api/v1/groups", {"name": "Nope"}, content_type="application/json").status_code
        == 403
    )
    asked = member.post(
        "/api/v1/groups/ops/members", {"note": "hello"}, content_type="application/json"
    )
    assert asked.status_code == 201 and asked.json()["state"] == "requested"
    again = member.post("/api/v1/groups/ops/members", {}, content_type="application/json")
    assert again.json()["state"] == "requested"
    actions.create_group(manager, name="Open house")
    joined = member.post("/api/v1/groups/open-house/members", content_type="application/json")
    assert joined.status_code == 201 and joined.json() == {"state": "member", "role": "member"}
    assert member.delete("/api/v1/groups/open-house/members/boss").status_code == 404
    assert api.delete("/api/v1/groups/open-house/members/joiner").status_code == 204
    committee = actions.create_group(manager, name="Committee", kind=GroupKind.COMMITTEE)
    refused = member.post(
        f"/api/v1/groups/{committee.slug}/members", content_type="application/json"
    )
    assert refused.status_code == 403
    assert member.delete("/api/v1/groups/ops/members/joiner").status_code == 422
    assert Client().post("/api/v1/groups/open-house/members").status_code == 401
