import pytest
from django.test import Client

from tests.conftest import make_member
from townsquare.accounts.models import GuidelinesAcceptance
from townsquare.core import actions
from townsquare.core.models import ActivityEvent


@pytest.mark.django_db
def test_new_version_asks_members_to_accept_again(member_client: Client, member, guidelines):
    assert member_client.get("/members/").status_code == 200
    actions.publish_guidelines(None, "## Be kind\n\nNo spam. No ads.", "No ads")
    response = member_client.get("/members/")
    assert response.status_code == 302
    assert response["Location"] == "/guidelines/accept/?next=%2Fmembers%2F"
    # A fragment the page loads (the notifications badge) gets nothing, not the
    # guidelines page swapped into the header.
    badge = member_client.get("/notifications/badge/", HTTP_HX_REQUEST="true")
    assert badge.status_code == 204 and not badge.content
    page = member_client.get(response["Location"])
    assert b"No ads" in page.content
    refused = member_client.post("/guidelines/accept/", {"next": "/members/"})
    assert refused.status_code == 200
    assert "Please tick the box" in refused.content.decode()
    accepted = member_client.post("/guidelines/accept/", {"accept": "2", "next": "/members/"})
    assert accepted["Location"] == "/members/"
    member.refresh_from_db()
    assert member.guidelines_version == 2
    assert list(
        GuidelinesAcceptance.objects.filter(user=member).values_list("version", flat=True)
    ) == [1, 2]
    assert ActivityEvent.objects.filter(verb="guidelines.accepted", actor=member).count() == 2


@pytest.mark.django_db
def test_accept_refuses_offsite_next(member_client: Client, guidelines):
    actions.publish_guidelines(None, "v2 text")
    response = member_client.post(
        "/guidelines/accept/", {"accept": "2", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_versions_have_stable_links(client: Client, guidelines):
    actions.publish_guidelines(None, "Second <script>alert(1)</script> text", "Second")
    assert b"Second" in client.get("/guidelines/").content
    old = client.get("/guidelines/v1/")
    assert b"Be kind" in old.content
    assert b"<script>" not in client.get("/guidelines/").content
    assert client.get("/guidelines/v9/").status_code == 404


@pytest.mark.django_db
def test_manager_publishes_guidelines_from_the_product(guidelines):
    manager = make_member("mia", guidelines, role="manager")
    client = Client()
    client.force_login(manager)
    response = client.post("/manage/guidelines/", {"body": "  ", "change_summary": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    response = client.post(
        "/manage/guidelines/", {"body": "## New rules", "change_summary": "Rewritten"}
    )
    assert response.status_code == 302
    event = ActivityEvent.objects.get(verb="guidelines.published", actor=manager)
    assert event.data == {"version": 2, "reason": "Rewritten"}
