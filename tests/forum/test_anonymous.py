"""Anonymous posting: the author is never shown to others; a moderator's look is recorded."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.forum.conftest import client_for, start_topic
from townsquare.core.models import ActivityEvent
from townsquare.forum import actions

SHY = "Carol Shy"


@pytest.fixture
def carol(guidelines):
    from tests.conftest import make_member

    return make_member("carol_shy", guidelines, display_name=SHY)


@pytest.fixture
def anonymous_topic(carol, newcomers):
    topic = start_topic(carol, newcomers, title="Is it silly to ask about basics?",
                        body="I am new and a bit embarrassed.", anonymous=True)  # fmt: skip
    actions.edit_post(carol, topic.posts.get(), body="I am new and a little embarrassed.")
    return topic


@pytest.mark.django_db
def test_anonymous_only_where_the_category_allows_it(carol, general):
    with pytest.raises(ValidationError, match="not allowed in this category"):
        start_topic(carol, general, anonymous=True)


@pytest.mark.django_db
def test_no_page_or_feed_reveals_the_author(anonymous_topic, member, moderator, carol):
    actions.create_post(carol, anonymous_topic, body="Following up, still me.", anonymous=True)
    for viewer in (None, member, moderator):
        client = client_for(viewer)
        for path in [
            anonymous_topic.get_absolute_url(), "/latest/", "/", "/latest.rss",
            f"/c/{anonymous_topic.category.slug}/", f"/c/{anonymous_topic.category.slug}/feed.atom",
        ]:  # fmt: skip
            page = client.get(path).content.decode()
            if path == "/":  # the home page also welcomes new members, by name
                page = page[page.index('<table class="topics">') : page.index("</table>")]
            assert SHY not in page and "carol_shy" not in page, (viewer, path)
    page = client_for(member).get(anonymous_topic.get_absolute_url()).content.decode()
    assert "Anonymous" in page


@pytest.mark.django_db
def test_quoting_and_history_keep_the_secret(anonymous_topic, member, moderator):
    post = anonymous_topic.posts.get(number=1)
    quote_form = client_for(member).get(f"/t/{anonymous_topic.pk}/reply/?quote={post.pk}")
    body = quote_form.content.decode()
    assert "[quote=&quot;Anonymous, post:1" in body and "carol_shy" not in body
    history = client_for(moderator).get(f"/posts/{post.pk}/revisions/").content.decode()
    assert SHY not in history and "carol_shy" not in history


@pytest.mark.django_db
def test_a_moderator_may_reveal_and_the_look_is_audited(anonymous_topic, member, moderator):
    post = anonymous_topic.posts.get(number=1)
    with pytest.raises(PermissionDenied):
        actions.reveal_anonymous_author(member, post)
    assert client_for(member).post(f"/posts/{post.pk}/reveal/").status_code == 403
    page = client_for(moderator).post(f"/posts/{post.pk}/reveal/").content.decode()
    assert "carol_shy" in page
    look = ActivityEvent.objects.get(verb="post.anonymous_author_revealed")
    assert look.actor == moderator and look.target_id == str(post.pk)
