"""Per-field visibility: each member decides who sees each profile field, and every
channel (directory, profile page, API, feed, filters) asks the same policy."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.test import Client

from tests.conftest import make_member
from townsquare.accounts import actions
from townsquare.accounts.models import FieldAudience, Role, User
from townsquare.core import permissions

SECRET_PLACE = "Zanzibar"


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def with_location(member: User, audience: str) -> User:
    actions.update_profile(
        member, member, bio="I like maps.", company="Acme", job_title="Cartographer",
        location=SECRET_PLACE, expertise=["maps"], field_visibility={"location": audience},
    )  # fmt: skip
    return User.objects.select_related("profile").get(pk=member.pk)


@pytest.fixture
def viewers(guidelines) -> dict[str, User | None]:
    return {
        "visitor": None,
        "member": make_member("viewer", guidelines),
        "manager": make_member("maja", guidelines, role=Role.MANAGER),
    }


# Who sees a location shown to each audience.
EXPECTED = {
    FieldAudience.EVERYONE: {"visitor": True, "member": True, "manager": True},
    FieldAudience.MEMBERS: {"visitor": False, "member": True, "manager": True},
    FieldAudience.NOBODY: {"visitor": False, "member": False, "manager": True},
}
CASES = [(audience, who) for audience in EXPECTED for who in ("visitor", "member", "manager")]


@pytest.mark.parametrize(("audience", "who"), CASES)
@pytest.mark.django_db
def test_policy_answers_per_audience_and_viewer(guidelines, viewers, audience, who):
    owner = with_location(make_member("owner", guidelines), audience)
    viewer = viewers[who] or AnonymousUser()
    assert permissions.profile_field_visible(viewer, owner, "location") is EXPECTED[audience][who]
    assert permissions.profile_field_visible(owner, owner, "location")


@pytest.mark.parametrize(("audience", "who"), CASES)
@pytest.mark.django_db
def test_profile_page_shows_only_what_the_viewer_may_see(guidelines, viewers, audience, who):
    with_location(make_member("owner", guidelines), audience)
    page = client_for(viewers[who]).get("/u/owner/").content.decode()
    assert (SECRET_PLACE in page) is EXPECTED[audience][who]
    assert "Acme" in page  # other fields keep their own (default) audience


@pytest.mark.parametrize(("audience", "who"), CASES)
@pytest.mark.django_db
def test_directory_shows_and_filters_only_what_the_viewer_may_see(
    guidelines, viewers, audience, who
):
    with_location(make_member("owner", guidelines), audience)
    client = client_for(viewers[who])
    listing = client.get("/members/").content.decode()
    assert "@owner" in listing
    assert (SECRET_PLACE in listing) is EXPECTED[audience][who]
    filtered = client.get("/members/", {"location": "zanzi"}).content.decode()
    # A filter on a hidden field must not find the member: it would reveal the value.
    assert ("@owner" in filtered) is EXPECTED[audience][who]


@pytest.mark.parametrize(("audience", "who"), CASES)
@pytest.mark.django_db
def test_api_omits_hidden_fields_and_does_not_filter_on_them(guidelines, viewers, audience, who):
    with_location(make_member("owner", guidelines), audience)
    client = client_for(viewers[who])
    visible = EXPECTED[audience][who]
    one = client.get("/api/v1/users/owner").json()
    assert ("location" in one) is visible
    assert one["company"] == "Acme"
    listed = client.get("/api/v1/members").json()["results"]
    owner = next(m for m in listed if m["handle"] == "owner")
    assert ("location" in owner) is visible
    found = client.get("/api/v1/members", {"location": SECRET_PLACE}).json()["results"]
    assert [m["handle"] for m in found] == (["owner"] if visible else [])


@pytest.mark.django_db
def test_member_always_sees_and_finds_own_hidden_fields(guidelines):
    owner = with_location(make_member("owner", guidelines), FieldAudience.NOBODY)
    client = client_for(owner)
    assert SECRET_PLACE in client.get("/u/owner/").content.decode()
    assert "@owner" in client.get("/members/", {"location": SECRET_PLACE}).content.decode()
    assert client.get("/api/v1/me").json()["location"] == SECRET_PLACE


@pytest.mark.django_db
def test_every_field_can_be_hidden_and_filters_respect_it(guidelines, viewers):
    owner = make_member("owner", guidelines)
    actions.update_profile(
        owner, owner, bio="Secret bio", company="Hidden Corp", job_title="Spy",
        location=SECRET_PLACE, expertise=["lockpicking"],
        field_visibility=dict.fromkeys(
            ["company", "job_title", "location", "bio", "expertise"], FieldAudience.NOBODY
        ),
    )  # fmt: skip
    client = client_for(viewers["member"])
    page = client.get("/u/owner/").content.decode()
    for hidden in ("Secret bio", "Hidden Corp", "Spy", SECRET_PLACE, "lockpicking"):
        assert hidden not in page
    for params in ({"company": "hidden"}, {"expertise": "lockpicking"}):
        assert "@owner" not in client.get("/members/", params).content.decode()
        assert client.get("/api/v1/members", params).json()["results"] == []
    body = client.get("/api/v1/users/owner").json()
    assert not {"bio", "company", "job_title", "location", "expertise"} & set(body)
    manager = client_for(viewers["manager"])
    assert "@owner" in manager.get("/members/", {"expertise": "lockpicking"}).content.decode()


@pytest.mark.django_db
def test_feed_leaves_out_a_bio_hidden_from_the_reader(guidelines):
    owner = make_member("owner", guidelines)
    actions.update_profile(
        owner, owner, bio="Members-only bio", company="", job_title="", location="",
        expertise=[], field_visibility={"bio": FieldAudience.MEMBERS},
    )  # fmt: skip
    assert "Members-only bio" not in Client().get("/feeds/members.atom").content.decode()
    reader = client_for(make_member("reader", guidelines))
    assert "Members-only bio" in reader.get("/feeds/members.atom").content.decode()


@pytest.mark.django_db
def test_settings_form_changes_visibility(member_client: Client, member):
    response = member_client.get("/settings/profile/")
    assert 'name="location_visibility"' in response.content.decode()
    data = {"bio": "", "company": "Acme", "job_title": "", "location": "Kraków", "expertise": ""}
    data |= {"location_visibility": "members", "company_visibility": "nobody"}
    response = member_client.post("/settings/profile/", data)
    assert response.status_code == 302
    member.profile.refresh_from_db()
    assert member.profile.field_visibility["location"] == "members"
    assert member.profile.field_visibility["company"] == "nobody"
    assert member.profile.audience("bio") == FieldAudience.EVERYONE


@pytest.mark.django_db
def test_settings_form_rejects_an_unknown_audience_and_keeps_the_input(member_client, member):
    data = {"bio": "Kept", "company": "", "job_title": "", "location": "", "expertise": ""}
    response = member_client.post("/settings/profile/", data | {"bio_visibility": "aliens"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Kept" in page and 'class="errors"' in page
    member.profile.refresh_from_db()
    assert member.profile.bio == "" and member.profile.field_visibility == {}


@pytest.mark.django_db
def test_action_rejects_unknown_fields_and_audiences(member):
    with pytest.raises(ValidationError):
        actions.set_field_visibility(member, member, {"email": "everyone"})
    with pytest.raises(ValidationError):
        actions.set_field_visibility(member, member, {"bio": "friends"})
    actions.set_field_visibility(member, member, {"bio": "members"})
    member.profile.refresh_from_db()
    assert member.profile.field_visibility == {"bio": "members"}
