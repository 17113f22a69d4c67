"""RSS and Atom feeds: valid for feedparser, public content only, announced by the pages."""

import feedparser
import pytest

from tests.forum.conftest import client_for, start_topic


@pytest.fixture
def forum_content(member, bob, general, lounge, newcomers):
    public = start_topic(member, general, title="Public topic about CSV", tags=["csv"],
                         body="Some **bold** text & an ampersand <b>raw</b>.")  # fmt: skip
    start_topic(member, lounge, title="Members only chat", body="Hidden from feeds")
    start_topic(bob, newcomers, title="Shy question here", body="Who am I?", anonymous=True)
    return public


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/latest.rss", "/latest.atom", "/c/general/feed.rss", "/c/general/feed.atom",
     "/tags/csv/feed.rss", "/tags/csv/feed.atom"],
)  # fmt: skip
def test_feeds_are_valid_and_public_only(path, forum_content, member):
    # Fetched by a member, a feed still shows only what a visitor may read.
    response = client_for(member).get(path)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    titles = [entry.title for entry in feed.entries]
    assert "Public topic about CSV" in titles
    assert "Members only chat" not in titles
    entry = next(e for e in feed.entries if e.title == "Public topic about CSV")
    assert entry.link.endswith(forum_content.get_absolute_url())
    assert "<strong>bold</strong>" in entry.summary and "<b>" not in entry.summary


@pytest.mark.django_db
def test_anonymous_topics_are_by_anonymous_in_feeds(forum_content):
    feed = feedparser.parse(client_for(None).get("/latest.atom").content)
    shy = next(e for e in feed.entries if e.title == "Shy question here")
    assert shy.author == "Anonymous"


@pytest.mark.django_db
def test_pages_announce_their_feeds(forum_content):
    client = client_for(None)
    for path, feed in [("/latest/", "/latest.rss"), ("/c/general/", "/c/general/feed.rss"),
                       ("/tags/csv/", "/tags/csv/feed.rss"),
                       (forum_content.get_absolute_url(), "/c/general/feed.rss")]:  # fmt: skip
        page = client.get(path).content.decode()
        assert 'rel="alternate" type="application/rss+xml"' in page, path
        assert f'href="{feed}"' in page, path


@pytest.mark.django_db
def test_feed_of_a_hidden_category_is_not_found(forum_content):
    assert client_for(None).get("/c/lounge/feed.rss").status_code == 404


@pytest.mark.django_db
def test_topic_pages_have_canonical_and_open_graph(forum_content):
    page = client_for(None).get(forum_content.get_absolute_url()).content.decode()
    assert (
        f'<link rel="canonical" href="http://testserver{forum_content.get_absolute_url()}">' in page
    )
    assert '<meta property="og:title" content="Public topic about CSV">' in page
    assert 'property="og:description" content="Some bold text &amp; an ampersand' in page
    wrong_slug = client_for(None).get(f"/t/wrong-slug/{forum_content.pk}/")
    assert wrong_slug.status_code == 301
    assert wrong_slug["Location"] == forum_content.get_absolute_url()


@pytest.mark.django_db
def test_sitemap_lists_public_topics_and_categories(forum_content):
    from tests.conftest import sitemap_text

    text = sitemap_text(client_for(None))
    assert forum_content.get_absolute_url() in text and "/c/general/" in text
    assert "members-only-chat" not in text and "/c/lounge/" not in text
