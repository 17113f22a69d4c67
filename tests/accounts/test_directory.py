"""The member directory: search, filters, pagination, bad input and its query count."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import make_member, set_access_mode
from townsquare.accounts import actions
from townsquare.accounts.models import User
from townsquare.core.models import AccessMode
from townsquare.forum import actions as forum_actions
from townsquare.forum.models import CategoryKind
from townsquare.groups import actions as group_actions
from townsquare.groups.models import JoinPolicy


def handles(response) -> set[str]:
    found = re.findall(r'class="meta">@([\w.-]+)<', response.content.decode())
    return {SHORT.get(handle, handle) for handle in found}


SHORT = {"ada1": "ada", "bob": "bo", "cyd": "cy"}


def profiled(handle: str, guidelines, display_name: str = "", **fields) -> User:
    member = make_member(handle, guidelines, display_name=display_name or handle.title())
    values = {"bio": "", "company": "", "job_title": "", "location": "", "expertise": []}
    actions.update_profile(member, member, **(values | fields))
    return member


@pytest.fixture
def people(guidelines) -> dict[str, User]:
    return {
        "ada": profiled("ada1", guidelines, company="Acme Analytics", location="Kraków",
                        expertise=["python", "sql"], display_name="Ada Lovelace"),
        "bo": profiled("bob", guidelines, company="Globex", location="Berlin",
                       expertise=["python"]),
        "cy": profiled("cyd", guidelines, company="Acme Analytics", location="Berlin",
                       expertise=["design"]),
    }  # fmt: skip


@pytest.mark.django_db
def test_search_by_name_and_handle(client: Client, people):
    assert handles(client.get("/members/", {"q": "lovelace"})) == {"ada"}
    assert handles(client.get("/members/", {"q": "@bob"})) == {"bo"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"company": "acme"}, {"ada", "cy"}),
        ({"location": "berlin"}, {"bo", "cy"}),
        ({"expertise": "Python"}, {"ada", "bo"}),
        ({"company": "acme", "location": "berlin"}, {"cy"}),
        ({"company": "acme", "expertise": "python", "location": "kra"}, {"ada"}),
    ],
)
@pytest.mark.django_db
def test_filters_combine(client: Client, people, params, expected):
    assert handles(client.get("/members/", params)) == expected
    api = client.get("/api/v1/members", params).json()["results"]
    assert {SHORT.get(m["handle"], m["handle"]) for m in api} == expected


@pytest.mark.django_db
def test_group_filter_offers_and_accepts_only_visible_groups(client: Client, people, guidelines):
    chapter = group_actions.create_group(None, name="Berlin chapter")
    secret = group_actions.create_group(None, name="Inner circle", policy=JoinPolicy.SECRET)
    group_actions.add_member(None, chapter, people["bo"])
    group_actions.add_member(None, secret, people["cy"])
    page = client.get("/members/")
    assert "berlin-chapter" in page.content.decode()
    assert "inner-circle" not in page.content.decode()
    assert handles(client.get("/members/", {"group": "berlin-chapter"})) == {"bo"}
    # A secret group answers like one that does not exist.
    hidden = client.get("/members/", {"group": "inner-circle"})
    missing = client.get("/members/", {"group": "no-such-group"})
    assert handles(hidden) == handles(missing) == set()
    assert "There is no group" in hidden.content.decode()
    api_hidden = client.get("/api/v1/members", {"group": "inner-circle"})
    api_missing = client.get("/api/v1/members", {"group": "no-such-group"})
    assert api_hidden.status_code == api_missing.status_code == 422
    assert api_hidden.json()["field"] == "group"
    # Its members see it.
    insider = Client()
    insider.force_login(people["cy"])
    assert handles(insider.get("/members/", {"group": "inner-circle"})) == {"cy"}


@pytest.mark.django_db
def test_join_date_range_and_activity(client: Client, people, guidelines):
    long_ago = timezone.now() - timedelta(days=400)
    User.objects.filter(pk=people["ada"].pk).update(date_joined=long_ago)
    day = (timezone.now() - timedelta(days=500)).date().isoformat()
    before = (timezone.now() - timedelta(days=100)).date().isoformat()
    assert handles(client.get("/members/", {"joined_after": day, "joined_before": before})) == {
        "ada"
    }
    assert handles(client.get("/members/", {"joined_after": before})) == {"bo", "cy"}

    actions.touch_visit(people["bo"])
    assert handles(client.get("/members/", {"activity": "active"})) == {"bo"}

    general = forum_actions.create_category(None, name="General", kind=CategoryKind.DISCUSSION)
    forum_actions.create_topic(people["cy"], general, title="Hello there", body="First post!")
    assert handles(client.get("/members/", {"activity": "posted"})) == {"cy"}


@pytest.mark.django_db
def test_has_posted_counts_only_posts_the_viewer_may_see(
    client: Client, guidelines, insider, boardroom
):
    forum_actions.create_topic(insider, boardroom, title="Board only", body="Quarterly plans")
    assert "insider" not in handles(client.get("/members/", {"activity": "posted"}))
    inside = Client()
    inside.force_login(insider)
    assert "insider" in handles(inside.get("/members/", {"activity": "posted"}))


@pytest.mark.parametrize(
    "params",
    [
        {"joined_after": "yesterday"},
        {"joined_before": "2024-13-45"},
        {"joined_after": "2025-02-01", "joined_before": "2025-01-01"},
        {"q": "x" * 5000},
        {"activity": "sleeping"},
    ],
)
@pytest.mark.django_db
def test_bad_input_gets_a_clear_error_and_keeps_what_was_typed(client: Client, people, params):
    response = client.get("/members/", params)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="errors"' in page
    assert handles(response) == set()
    for value in params.values():
        if len(value) < 100:
            assert value in page
    api = client.get("/api/v1/members", params)
    assert api.status_code == 422 and api.json()["detail"]


@pytest.mark.django_db
def test_pagination_keeps_the_filters(client: Client, guidelines):
    for i in range(35):
        profiled(f"dev{i:02d}", guidelines, location="Warsaw")
    first = client.get("/members/", {"location": "warsaw"})
    assert len(handles(first)) == 30
    assert "location=warsaw&amp;page=2" in first.content.decode()
    second = client.get("/members/", {"location": "warsaw", "page": 2})
    assert len(handles(second)) == 5


@pytest.mark.django_db
def test_directory_follows_the_access_mode(client: Client, people):
    set_access_mode(AccessMode.PRIVATE)
    assert client.get("/members/").status_code in {302, 401, 403}
    assert client.get("/api/v1/members").status_code == 401
    set_access_mode(AccessMode.HYBRID, ["members"])
    assert handles(client.get("/members/")) == {"ada", "bo", "cy"}


def _fill(guidelines, count: int, start: int = 0) -> None:
    group = group_actions.create_group(None, name=f"Group {start}")
    for i in range(start, start + count):
        member = profiled(f"mem{i}", guidelines, company="Acme", location="Berlin",
                          expertise=["python", "go"])  # fmt: skip
        group_actions.add_member(None, group, member)


@pytest.mark.parametrize(
    "params",
    [{}, {"q": "mem"}, {"company": "acme", "location": "berlin", "expertise": "python"},
     {"group": "group-0", "activity": "posted"}],
)  # fmt: skip
@pytest.mark.django_db
def test_directory_has_a_fixed_number_of_queries(guidelines, django_assert_num_queries, params):
    viewer = make_member("viewer", guidelines)
    client = Client()
    client.force_login(viewer)
    _fill(guidelines, 3)
    client.get("/members/", params)  # warm up the per-request caches of the test client
    with CaptureQueriesContext(connection) as few:
        client.get("/members/", params)
    _fill(guidelines, 27, start=3)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get("/members/", params)
    assert response.status_code == 200
    api_url = "/api/v1/members"
    with CaptureQueriesContext(connection) as api_many:
        client.get(api_url, params | {"limit": 30})
    assert len(api_many.captured_queries) <= len(few.captured_queries)
