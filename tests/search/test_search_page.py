import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from townsquare.core.queries import get_community
from townsquare.forum.models import Audience
from townsquare.search import queries
from townsquare.search.queries import search


@pytest.fixture
def content(forum):
    general = forum.category("General")
    forum.category("Hidden", read_access=Audience.MEMBERS)
    ann = forum.member("ann")
    return {
        "general": general,
        "named": forum.topic(general, "Kafka <b>tips</b>", "Kafka <script>x</script>", author=ann),
        "anonymous": forum.topic(general, "Kafka secret", "kafka regrets", author=ann,
                                 anonymous=True),
        "ann": ann,
    }  # fmt: skip


def test_page_shows_highlighted_results(client: Client, content):
    response = client.get("/search/", {"q": "kafka"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 results" in html
    assert "<mark>Kafka</mark> &lt;b&gt;tips&lt;/b&gt;" in html
    assert "<mark>Kafka</mark> &lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>x</script>" not in html
    named = content["named"]
    assert f'href="/p/{named.topic_id}/1/"' in html
    assert "@ann" in html and "Anonymous" in html
    # The form shows what was typed, and only the categories this visitor may see.
    assert 'value="kafka"' in html
    assert ">General<" in html and "Hidden" not in html


def test_anonymous_post_never_shows_its_author(client: Client, content):
    html = client.get("/search/", {"q": "regrets"}).content.decode()
    assert "Anonymous" in html and "@ann" not in html


def test_empty_form_prompts(client: Client, content):
    html = client.get("/search/").content.decode()
    assert "Type words to search for" in html and 'role="status"' not in html


def test_bad_input_is_explained_and_kept(client: Client, content):
    response = client.get("/search/", {"q": "y" * 201, "tag": "ops"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Search for at most 200 characters; this search has 201." in html
    assert 'value="ops"' in html
    bad_date = client.get("/search/", {"q": "kafka", "after": "31/31/2024"}).content.decode()
    assert "Enter a valid date." in bad_date
    too_far = client.get("/search/", {"q": "kafka", "page": "51"}).content.decode()
    assert "Results are shown up to page 50." in too_far


def test_unknown_author_finds_nothing(client: Client, content):
    html = client.get("/search/", {"q": "kafka", "author": "@nobody"}).content.decode()
    assert "0 results" in html


def test_pagination_links_keep_the_query(client: Client, forum, content, monkeypatch):
    monkeypatch.setattr("townsquare.search.forms.PER_PAGE", 1)
    monkeypatch.setattr("townsquare.search.views.PER_PAGE", 1)
    html = client.get("/search/", {"q": "kafka", "page": "2"}).content.decode()
    assert "?q=kafka&amp;page=1" in html and 'aria-current="page">2<' in html


def test_capped_count_says_about(client: Client, content, monkeypatch):
    monkeypatch.setattr(queries, "MAX_RESULTS", 1)
    monkeypatch.setattr("townsquare.search.views.MAX_RESULTS", 1)
    html = client.get("/search/", {"q": "kafka"}).content.decode()
    assert "About 1+ result" in html


def test_private_community_sends_visitors_to_sign_in(client: Client, content, private_community):
    response = client.get("/search/", {"q": "kafka"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fsearch%2F%3Fq%3Dkafka"


def test_members_search_private_community(content, private_community):
    client = Client()
    client.force_login(content["ann"])
    assert "2 results" in client.get("/search/", {"q": "kafka"}).content.decode()


@override_settings(SEARCH_RATE_LIMIT_VISITORS=1)
def test_rate_limit_message(client: Client, content):
    assert client.get("/search/", {"q": "kafka"}).status_code == 200
    assert client.get("/search/").status_code == 200  # the empty form is not a search
    response = client.get("/search/", {"q": "kafka"})
    assert response.status_code == 429
    assert "Please try again in" in response.content.decode()
    assert 'value="kafka"' in response.content.decode()


def test_number_of_queries_is_fixed(forum, content, django_assert_num_queries):
    """Counted with a fresh user object each time, so the policy's own queries count too."""
    community = get_community()

    def queries_for(query: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            results = search(AnonymousUser(), community, query, limit=50)
        assert results.hits
        return len(captured)

    few = queries_for("kafka")
    for i in range(30):
        forum.topic(content["general"], f"More {i}", f"kafka number {i}", author=content["ann"])
    assert queries_for("kafka") == few
    assert queries_for("kafka number") == few  # two terms, with the phrase: still one query
    with django_assert_num_queries(few):
        assert len(search(AnonymousUser(), community, "kafka", limit=50).hits) == 32


def test_page_query_count(client: Client, forum, content, django_assert_max_num_queries):
    for i in range(25):
        forum.topic(content["general"], f"More {i}", f"kafka number {i}", author=content["ann"])
    with django_assert_max_num_queries(12):
        assert client.get("/search/", {"q": "kafka"}).status_code == 200
