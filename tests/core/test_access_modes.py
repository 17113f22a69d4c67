"""Private, hybrid and public communities: what an anonymous visitor can reach, per channel."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import make_member, set_access_mode, sitemap_text
from townsquare.core.models import AccessMode

# Every page, API endpoint, feed and sitemap a visitor could try.
CONTENT_URLS = [
    "/",
    "/members/",
    "/u/alice/",
    "/feeds/members.atom",
    "/sitemap.xml",
    "/settings/",
    "/manage/",
    "/manage/roles/",
]
API_URLS = [
    "/api/v1/community",
    "/api/v1/users",
    "/api/v1/users/alice",
    "/api/v1/me",
    "/api/v1/openapi.json",
    "/api/v1/docs",
]
OPEN_URLS = ["/accounts/login/", "/accounts/signup/", "/guidelines/", "/guidelines/history/"]


@pytest.fixture
def alice(guidelines):
    return make_member("alice", guidelines, display_name="Alice Secret")


@pytest.mark.django_db
class TestPrivateMode:
    @pytest.fixture(autouse=True)
    def _private(self, alice):
        set_access_mode(AccessMode.PRIVATE)

    @pytest.mark.parametrize("url", CONTENT_URLS)
    def test_pages_feeds_and_sitemap_send_visitors_to_sign_in(self, client: Client, url):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        assert b"Alice Secret" not in response.content

    @pytest.mark.parametrize("url", API_URLS)
    def test_api_answers_401(self, client: Client, url):
        response = client.get(url)
        assert response.status_code == 401
        assert response.json() == {"detail": "Authentication required."}

    @pytest.mark.parametrize("url", OPEN_URLS)
    def test_sign_in_sign_up_and_guidelines_stay_open(self, client: Client, url):
        response = client.get(url)
        assert response.status_code == 200
        assert b"Alice Secret" not in response.content
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert b'<meta name="robots" content="noindex, nofollow">' in response.content

    def test_guideline_text_is_readable(self, client: Client):
        assert b"Be kind" in client.get("/guidelines/").content

    def test_robots_txt_disallows_everything(self, client: Client):
        response = client.get("/robots.txt")
        assert response.status_code == 200
        assert "Disallow: /\n" in response.content.decode()

    def test_avatars_are_for_members(self, client: Client, alice):
        assert client.get("/media/avatars/1/x.webp").status_code == 404

    def test_members_see_everything(self, client: Client, alice):
        client.force_login(alice)
        assert client.get("/members/").status_code == 200
        assert b"Alice Secret" in client.get("/u/alice/").content
        assert client.get("/api/v1/users").json()["results"][0]["handle"] == "alice"


@pytest.mark.django_db
class TestHybridMode:
    def test_only_chosen_areas_are_public(self, client: Client, alice):
        set_access_mode(AccessMode.HYBRID, ["home"])
        assert client.get("/").status_code == 200
        assert client.get("/api/v1/community").status_code == 200
        assert client.get("/members/").status_code == 302
        assert client.get("/feeds/members.atom").status_code == 302
        assert client.get("/api/v1/users").status_code == 401
        assert client.get("/api/v1/users/alice").status_code == 401
        # The home page lists no members to visitors when the directory is closed.
        assert b"Alice Secret" not in client.get("/").content

    def test_sitemap_lists_only_public_areas(self, client: Client, alice):
        set_access_mode(AccessMode.HYBRID, ["home"])
        body = sitemap_text(client)
        assert "/guidelines/" in body
        assert "/u/alice/" not in body and "/members/" not in body
        set_access_mode(AccessMode.HYBRID, ["home", "members"])
        assert "/u/alice/" in sitemap_text(client)

    def test_members_area_open_without_home(self, client: Client, alice):
        set_access_mode(AccessMode.HYBRID, ["members"])
        assert client.get("/").status_code == 302
        assert client.get("/members/").status_code == 200
        assert client.get("/api/v1/users/alice").status_code == 200


@pytest.mark.django_db
class TestPublicMode:
    def test_public_content_is_readable_and_indexable(self, client: Client, alice):
        response = client.get("/u/alice/")
        assert response.status_code == 200
        assert "X-Robots-Tag" not in response
        assert b"Alice Secret" in client.get("/feeds/members.atom").content
        assert "/u/alice/" in sitemap_text(client)
        assert "Sitemap:" in client.get("/robots.txt").content.decode()

    def test_management_needs_a_role(self, client: Client, alice):
        assert client.get("/manage/").status_code == 302
        client.force_login(alice)
        assert client.get("/manage/").status_code == 403
        assert client.get("/manage/roles/").status_code == 403


@pytest.mark.django_db
def test_feed_keeps_no_reader_state_between_requests(alice):
    """One feed object serves all threads: a reader's permissions must never stay on it."""
    from townsquare.core.feeds import new_members_feed

    set_access_mode(AccessMode.HYBRID, ["home"])
    member = Client()
    member.force_login(alice)
    assert b"Alice Secret" in member.get("/feeds/members.atom").content
    assert not hasattr(new_members_feed, "request")
    assert not {"request", "user", "members"} & set(vars(new_members_feed))
