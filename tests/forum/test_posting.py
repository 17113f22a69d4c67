"""Starting topics, replying, editing and deleting: the write path and its bad input."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from tests.forum.conftest import client_for, start_topic
from townsquare.core.models import ActivityEvent
from townsquare.forum import actions
from townsquare.forum.models import Category, Post, PostRevision, Topic, TopicReadState


@pytest.mark.django_db
def test_topic_and_reply_update_every_count(member, bob, general):
    topic = start_topic(member, general, tags=["#CSV", "reports"])
    reply = actions.create_post(bob, topic, body="Use **Export** in the menu, @alice.")
    topic.refresh_from_db()
    general.refresh_from_db()
    assert (topic.reply_count, topic.highest_post_number, reply.number) == (1, 2, 2)
    assert topic.last_poster == bob and topic.first_response_at == reply.created_at
    assert sorted(t.name for t in topic.tags.all()) == ["csv", "reports"]
    assert (general.topic_count, general.post_count) == (1, 2)
    assert list(reply.mentions.all()) == [member]
    assert 'class="mention"' in reply.body_html and "<strong>Export</strong>" in reply.body_html
    verbs = set(ActivityEvent.objects.values_list("verb", flat=True))
    assert {"topic.created", "post.created", "topic.first_response"} <= verbs
    first_response = ActivityEvent.objects.get(verb="topic.first_response")
    assert first_response.data["seconds"] >= 0
    # The author watches the topic, who replied tracks it.
    levels = dict(TopicReadState.objects.values_list("user__handle", "notification_level"))
    assert levels == {"alice": 3, "bob": 2}


@pytest.mark.django_db
def test_double_submission_gives_back_the_first_post(member, general):
    first = start_topic(member, general, client_token="form-1")
    again = start_topic(member, general, client_token="form-1")
    assert first.pk == again.pk
    reply = actions.create_post(member, first, body="More detail here.", client_token="r-1")
    assert actions.create_post(member, first, body="More detail here.", client_token="r-1") == reply
    # Without a token, the same text from the same member a moment later is the same post.
    assert actions.create_post(member, first, body="More detail here.") == reply
    assert Topic.objects.count() == 1 and Post.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        ("", "A body", "at least 5 characters"),
        ("Hey", "A body", "at least 5 characters"),
        ("x" * 201, "A body", "the limit is 200"),
        ("A fine title", "", "at least 2 characters"),
        ("A fine title", "y" * 32001, "the limit is 32000 characters"),
        ("Zero\u200bwidth title", "A body", "U+200B"),
        ("A fine title", "nul \x00 byte", "NUL"),
    ],
)
def test_bad_titles_and_bodies_are_refused_with_the_limit(member, general, title, body, message):
    with pytest.raises(ValidationError) as error:
        actions.create_topic(member, general, title=title, body=body)
    assert message in " ".join(error.value.messages)
    assert Topic.objects.count() == 0


@pytest.mark.django_db
def test_bad_tags_are_refused(member, general):
    with pytest.raises(ValidationError, match="at most 5 tags"):
        start_topic(member, general, tags=["a", "b", "c", "d", "e", "f"])
    with pytest.raises(ValidationError, match="not a valid tag"):
        start_topic(member, general, tags=["<script>"])
    start_topic(member, general, tags=["报表", "Raporty"])
    assert set(Topic.objects.get().tags.values_list("name", flat=True)) == {"报表", "raporty"}


@pytest.mark.django_db
def test_reply_to_a_closed_topic_is_refused_but_moderators_may(member, bob, moderator, general):
    topic = start_topic(member, general)
    actions.set_closed(moderator, topic, True)
    with pytest.raises(ValidationError, match="closed"):
        actions.create_post(bob, topic, body="Can I still reply?")
    actions.create_post(moderator, topic, body="Closing note from the team.")
    page = client_for(bob).get(topic.get_absolute_url()).content.decode()
    assert "This topic is closed" in page and 'id="composer"' not in page


@pytest.mark.django_db
def test_editing_someone_elses_post_is_forbidden(member, bob, general):
    topic = start_topic(member, general)
    post = topic.posts.get()
    with pytest.raises(PermissionDenied):
        actions.edit_post(bob, post, body="Vandalised")
    response = client_for(bob).post(f"/posts/{post.pk}/edit/", {"body": "Vandalised"})
    assert response.status_code == 403
    post.refresh_from_db()
    assert post.body == "I need the quarterly numbers as CSV."


@pytest.mark.django_db
def test_edits_keep_history_and_moderators_see_it(member, bob, moderator, general):
    topic = start_topic(member, general)
    post = topic.posts.get()
    actions.edit_post(member, post, body="Version two of the question.", title="Exporting reports")
    actions.edit_post(member, post, body="Version three.", reason="typo")
    post.refresh_from_db()
    topic.refresh_from_db()
    assert post.edit_count == 2 and post.edited_at is not None
    assert topic.title == "Exporting reports" and topic.slug == "exporting-reports"
    revisions = list(PostRevision.objects.filter(post=post).order_by("number"))
    assert [r.body for r in revisions] == [
        "I need the quarterly numbers as CSV.",
        "Version two of the question.",
    ]
    assert revisions[0].title == "How do I export a report?"
    assert client_for(moderator).get(f"/posts/{post.pk}/revisions/").status_code == 200
    assert client_for(member).get(f"/posts/{post.pk}/revisions/").status_code == 200
    assert client_for(bob).get(f"/posts/{post.pk}/revisions/").status_code == 404
    page = client_for(bob).get(topic.get_absolute_url()).content.decode()
    assert "edited" in page


@pytest.mark.django_db
def test_soft_delete_keeps_a_placeholder_and_moderators_recover(member, bob, moderator, general):
    topic = start_topic(member, general)
    reply = actions.create_post(bob, topic, body="A reply that will go.")
    actions.delete_post(bob, reply)
    topic.refresh_from_db()
    assert topic.reply_count == 0 and topic.last_poster == member
    page = client_for(member).get(topic.get_absolute_url()).content.decode()
    assert "This post was deleted." in page and "A reply that will go." not in page
    assert (
        "A reply that will go."
        in client_for(moderator).get(topic.get_absolute_url()).content.decode()
    )
    with pytest.raises(PermissionDenied):
        actions.recover_post(bob, reply)
    actions.recover_post(moderator, reply)
    topic.refresh_from_db()
    assert topic.reply_count == 1


@pytest.mark.django_db
def test_deleting_the_opening_post_deletes_the_topic(member, bob, general):
    topic = start_topic(member, general)
    actions.create_post(bob, topic, body="An answer from Bob.")
    # Not while someone else has replied.
    with pytest.raises(PermissionDenied):
        actions.delete_post(member, topic.posts.get(number=1))
    topic2 = start_topic(member, general, title="Second question here", body="Another one.")
    actions.delete_post(member, topic2.posts.get(number=1))
    topic2.refresh_from_db()
    general.refresh_from_db()
    assert topic2.is_deleted
    assert general.topic_count == 1
    assert client_for(bob).get(topic2.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_announcements_only_staff_start_topics(member, moderator):
    news = actions.create_category(None, name="News", kind="announcements")
    assert news.topic_access == "staff"
    with pytest.raises(PermissionDenied):
        start_topic(member, news)
    topic = start_topic(moderator, news, title="Version 5 is out", body="Read the notes.")
    actions.create_post(member, topic, body="Congratulations!")


@pytest.mark.django_db
def test_the_web_composer_creates_a_topic_and_a_reply(member, bob, general):
    client = client_for(member)
    page = client.get(f"/new-topic/?category={general.slug}").content.decode()
    assert 'name="client_token"' in page
    response = client.post(
        "/new-topic/",
        {"category": general.pk, "title": "Dashboards in Polish?", "body": "Czy da się?",
         "tags": "dashboards, i18n", "client_token": "abc"},
    )  # fmt: skip
    topic = Topic.objects.get()
    assert response.status_code == 302 and response["Location"] == topic.get_absolute_url()
    # Submitting the same form again lands on the same topic.
    again = client.post(
        "/new-topic/",
        {"category": general.pk, "title": "Dashboards in Polish?", "body": "Czy da się?",
         "tags": "dashboards, i18n", "client_token": "abc"},
    )  # fmt: skip
    assert again["Location"] == topic.get_absolute_url() and Topic.objects.count() == 1
    reply = client_for(bob).post(f"/t/{topic.pk}/reply/", {"body": "Tak, w ustawieniach."})
    assert reply.status_code == 302 and reply["Location"] == f"/p/{topic.pk}/2/"
    assert client_for(bob).get(reply["Location"])["Location"].endswith("#post-2")


@pytest.mark.django_db
def test_the_reply_composer_loads_after_the_topic_page(member, bob, general):
    topic = start_topic(member, general)
    client = client_for(bob)
    reply_url = f"/t/{topic.pk}/reply/"
    page = client.get(topic.get_absolute_url()).content.decode()
    # The page asks for the composer with htmx and links to it for browsers without JS.
    assert f'hx-get="{reply_url}"' in page and f'<a href="{reply_url}">' in page
    fragment = client.get(reply_url, HTTP_HX_REQUEST="true").content.decode()
    assert 'name="body"' in fragment and "csrfmiddlewaretoken" in fragment
    assert "<html" not in fragment
    full = client.get(reply_url).content.decode()
    assert "<html" in full and 'name="body"' in full
    visitor_page = Client().get(topic.get_absolute_url()).content.decode()
    assert 'id="composer"' not in visitor_page and "Sign in to reply" in visitor_page


@pytest.mark.django_db
def test_a_bad_form_keeps_what_was_typed(member, general):
    response = client_for(member).post(
        "/new-topic/",
        {"category": general.pk, "title": "Hi", "body": "All my careful words", "tags": ""},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "All my careful words" in page and "at least 5 characters" in page


@pytest.mark.django_db
def test_category_rules_are_validated(member):
    with pytest.raises(ValidationError, match="Choose at least one group"):
        actions.create_category(None, name="Board", read_access="groups")
    parent = actions.create_category(None, name="Parent")
    child = actions.create_category(None, name="Child", parent=parent)
    with pytest.raises(ValidationError, match="cannot have subcategories"):
        actions.create_category(None, name="Grandchild", parent=child)
    with pytest.raises(ValidationError, match="already uses this address"):
        actions.create_category(None, name="parent")
    with pytest.raises(PermissionDenied):
        actions.create_category(member, name="Mine")
    assert Category.objects.count() == 2


@pytest.mark.django_db
def test_quotes_mentions_and_edits_keep_their_links(member, bob, general):
    topic = start_topic(member, general)
    body = f'[quote="alice, post:1, topic:{topic.pk}"]\nThe question\n[/quote]\n\nAnswer @alice'
    reply = actions.create_post(bob, topic, body=body)
    assert list(reply.quotes.all()) == [topic.posts.get(number=1)]
    assert list(reply.mentions.all()) == [member]
    assert '<blockquote class="quote">' in reply.body_html
    actions.edit_post(bob, reply, body="No quote, no mention now.")
    assert not reply.quotes.exists() and not reply.mentions.exists()
