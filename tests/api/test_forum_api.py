"""The forum's JSON API: every endpoint's happy path, shape and bad input."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.conftest import Api
from tests.forum.conftest import start_topic
from townsquare.forum import actions
from townsquare.forum.models import Category, Poll, Post, Topic

POLL = """Where shall we meet?

[poll type=single]
# Where shall we meet?
* Kraków
* Warszawa
[/poll]
"""


def _ids(results: list[dict]) -> list[int]:
    return [item["id"] for item in results]


# --- Categories ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_categories_are_a_flat_list_with_parents_and_the_callers_rights(member, general, questions):
    child = actions.create_category(None, name="Exports", kind="qa", parent=questions)
    visitor = Api().get("/categories")
    assert visitor.status_code == 200
    results = visitor.json()["results"]
    # Top-level categories in order, each followed by its subcategories.
    assert [c["slug"] for c in results] == ["general", "questions", "exports"]
    exports = results[2]
    assert exports == {
        "id": child.pk,
        "name": "Exports",
        "slug": "exports",
        "description": "",
        "color": "#1f5fbf",
        "position": 0,
        "kind": "qa",
        "parent_id": questions.pk,
        "topic_count": 0,
        "post_count": 0,
        "url": "http://testserver/c/exports/",
        "permissions": {"can_start_topic": False},
    }
    mine = Api(member).get("/categories").json()["results"]
    assert all(c["permissions"]["can_start_topic"] for c in mine)
    one = Api(member).get(f"/categories/{questions.pk}").json()
    assert (one["name"], one["kind"], one["parent_id"]) == ("Questions", "qa", None)


@pytest.mark.django_db
def test_announcements_are_started_by_staff_only(member, moderator):
    news = actions.create_category(None, name="News", kind="announcements")
    assert not Api(member).get(f"/categories/{news.pk}").json()["permissions"]["can_start_topic"]
    assert Api(moderator).get(f"/categories/{news.pk}").json()["permissions"]["can_start_topic"]
    response = Api(member).post(
        "/topics", {"category_id": news.pk, "title": "Big news here", "body": "Hello all"}
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "You may not do this.", "field": None}


@pytest.mark.django_db
def test_a_manager_creates_categories(manager, general):
    response = Api(manager).post(
        "/categories",
        {"name": "Help desk", "kind": "qa", "parent_id": general.pk, "color": "#aa0000",
         "description": "Ask here."},
    )  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert (body["slug"], body["kind"], body["parent_id"]) == ("help-desk", "qa", general.pk)
    assert body["permissions"]["can_start_topic"] is True
    created = Category.objects.get(slug="help-desk")
    assert (created.color, created.description) == ("#aa0000", "Ask here.")


@pytest.mark.django_db
def test_a_category_readable_by_groups(manager):
    from townsquare.groups import actions as group_actions

    board = group_actions.create_group(None, name="Board")
    api = Api(manager)
    missing = api.post("/categories", {"name": "Boardroom", "read_access": "groups"})
    assert (missing.status_code, missing.json()["field"]) == (422, "read_group_ids")
    unknown = api.post(
        "/categories", {"name": "Boardroom", "read_access": "groups", "read_group_ids": [999]}
    )
    assert (unknown.status_code, unknown.json()["field"]) == (422, "read_group_ids")
    made = api.post(
        "/categories", {"name": "Boardroom", "read_access": "groups", "read_group_ids": [board.pk]}
    )
    assert made.status_code == 201
    assert list(Category.objects.get(slug="boardroom").read_groups.all()) == [board]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "Odd", "kind": "wiki"}, "kind"),
        ({"name": "Odd", "parent_id": 999999}, "parent_id"),
        ({"name": "General"}, "slug"),
        ({"name": "Other", "slug": "general"}, "slug"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"name": "Odd", "color": "red"}, "color"),
        ({"name": "Odd", "read_access": "staff"}, "read_access"),
    ],
)
@pytest.mark.django_db
def test_category_input_errors_name_the_field(manager, general, payload, field):
    response = Api(manager).post("/categories", payload)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["field"] == field
    assert isinstance(body["detail"], str) and body["detail"]


@pytest.mark.django_db
def test_subcategories_have_no_subcategories(manager, general):
    child = actions.create_category(None, name="Child", parent=general)
    response = Api(manager).post("/categories", {"name": "Grandchild", "parent_id": child.pk})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "Subcategories cannot have subcategories of their own.",
        "field": "parent_id",
    }


@pytest.mark.django_db
def test_only_managers_create_categories(member, moderator):
    for user, status in ((None, 401), (member, 403), (moderator, 403)):
        response = Api(user).post("/categories", {"name": "Nope"})
        assert response.status_code == status
    assert not Category.objects.filter(name="Nope").exists()


# --- Topic lists --------------------------------------------------------------------------


@pytest.mark.django_db
def test_topic_list_shape(member, bob, general):
    topic = start_topic(member, general, title="Exporting reports", tags=["reports", "csv"])
    actions.create_post(bob, topic, body="Use the export button.")
    response = Api(member).get("/topics")
    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None and body["pinned"] == []
    (item,) = body["results"]
    assert item == {
        "id": topic.pk,
        "title": "Exporting reports",
        "slug": "exporting-reports",
        "url": f"http://testserver/t/exporting-reports/{topic.pk}/",
        "category": {"id": general.pk, "slug": "general", "name": "General"},
        "tags": ["csv", "reports"],
        "author": {"handle": "alice", "display_name": "Alice",
                   "url": "http://testserver/u/alice/"},
        "host_name": "",
        "is_anonymous": False,
        "created_at": item["created_at"],
        "last_posted_at": item["last_posted_at"],
        "last_poster": {"handle": "bob", "display_name": "Bob", "url": "http://testserver/u/bob/"},
        "reply_count": 1,
        "view_count": 0,
        "reaction_count": 0,
        "is_solved": False,
        "accepted_post_number": None,
        "pinned": False,
        "closed": False,
        "archived": False,
        "listed": True,
        "unread_count": 1,
    }  # fmt: skip
    assert Api(bob).get("/topics").json()["results"][0]["unread_count"] == 0
    assert Api().get("/topics").json()["results"][0]["unread_count"] is None


@pytest.mark.django_db
def test_scheduled_prompts_show_their_host(manager, general):
    actions.create_topic(None, general, title="Weekly: what are you building?",
                         body="Tell us!", host_name="Jan, CTO", author=manager)  # fmt: skip
    (item,) = Api().get("/topics").json()["results"]
    assert item["host_name"] == "Jan, CTO"


@pytest.mark.django_db
def test_members_see_unread_counts(member, bob, general):
    topic = start_topic(member, general)
    actions.create_post(bob, topic, body="First answer")
    actions.create_post(bob, topic, body="Second answer")
    assert Api(member).get("/topics").json()["results"][0]["unread_count"] == 2


@pytest.mark.django_db
def test_topics_page_by_cursor(member, general):
    start = timezone.now() - timedelta(hours=1)
    for i in range(5):
        actions.create_topic(None, general, title=f"Topic number {i}", body="Body text",
                             author=member, created_at=start + timedelta(minutes=i))  # fmt: skip
    api = Api()
    first = api.get("/topics", limit=2).json()
    assert [t["title"] for t in first["results"]] == ["Topic number 4", "Topic number 3"]
    second = api.get("/topics", limit=2, cursor=first["next_cursor"]).json()
    assert [t["title"] for t in second["results"]] == ["Topic number 2", "Topic number 1"]
    last = api.get("/topics", limit=2, cursor=second["next_cursor"]).json()
    assert [t["title"] for t in last["results"]] == ["Topic number 0"]
    assert last["next_cursor"] is None


@pytest.mark.django_db
def test_topic_filters(member, bob, general, questions):
    child = actions.create_category(None, name="Exports", parent=questions)
    chat = start_topic(member, general, title="Just chatting", tags=["social"])
    solved = start_topic(member, questions, title="Solved question")
    answer = actions.create_post(bob, solved, body="Here is how.")
    actions.accept_answer(member, answer)
    open_question = start_topic(member, questions, title="Open question")
    nested = start_topic(member, child, title="Nested question")
    api = Api(member)

    def ids(**query) -> set[int]:
        response = api.get("/topics", **query)
        assert response.status_code == 200, response.content
        return set(_ids(response.json()["results"]))

    assert ids(category=str(questions.pk)) == {solved.pk, open_question.pk, nested.pk}
    assert ids(category="questions") == {solved.pk, open_question.pk, nested.pk}
    assert ids(category="exports") == {nested.pk}
    assert ids(tag="social") == {chat.pk}
    assert ids(solved="true") == {solved.pk}
    assert ids(solved="false") == {open_question.pk}
    assert ids(status="unsolved") == {open_question.pk}
    assert ids(status="unanswered") == {chat.pk, open_question.pk, nested.pk}
    assert ids(status="unanswered", solved="false") == {open_question.pk}
    assert ids(order="new")
    assert ids(order="top", period="week") == {chat.pk, solved.pk, open_question.pk, nested.pk}
    assert api.get("/topics", solved="true").json()["results"][0]["accepted_post_number"] == 2
    assert api.get("/topics", category="nowhere").status_code == 404
    assert api.get("/topics", category="²").status_code == 404
    assert api.get("/topics", category="9" * 40).status_code == 404
    assert api.get("/topics/99999999999999999999").status_code == 404
    assert api.get("/topics", tag="nowhere").status_code == 404


@pytest.mark.django_db
def test_pinned_topics_come_separately_on_the_first_page(member, moderator, general):
    pinned = start_topic(member, general, title="Read this first")
    other = start_topic(member, general, title="A later topic")
    actions.pin_topic(moderator, pinned, scope="global")
    body = Api().get("/topics").json()
    assert _ids(body["pinned"]) == [pinned.pk] and body["pinned"][0]["pinned"] is True
    assert _ids(body["results"]) == [other.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "bm90IGpzb24"}, "cursor"),
        ({"cursor": "x" * 201}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"order": "oldest"}, "order"),
        ({"period": "decade"}, "period"),
        ({"status": "hot"}, "status"),
        ({"solved": "perhaps"}, "solved"),
    ],
)
@pytest.mark.django_db
def test_topic_list_errors_name_the_field(general, query, field):
    response = Api().get("/topics", **query)
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == field
    assert isinstance(body["detail"], str) and body["detail"]


@pytest.mark.django_db
def test_malformed_cursor_message(general):
    response = Api().get("/topics", cursor="garbage!")
    assert response.json() == {
        "detail": "This page link is not valid; start from the first page.",
        "field": "cursor",
    }


# --- Starting topics ----------------------------------------------------------------------


@pytest.mark.django_db
def test_start_a_topic(member, general):
    response = Api(member).post(
        "/topics",
        {"category_id": general.pk, "title": "How do I export?", "body": "Need **CSV**.",
         "tags": ["#Reports", "csv"]},
    )  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    topic = Topic.objects.get()
    assert body["id"] == topic.pk
    assert body["author"]["handle"] == "alice"
    assert body["tags"] == ["csv", "reports"]
    assert body["category"]["slug"] == "general"
    post = topic.posts.get()
    assert post.body_html == "<p>Need <strong>CSV</strong>.</p>\n"


@pytest.mark.django_db
def test_idempotency_key_returns_the_same_topic(member, general):
    api = Api(member)
    payload = {"category_id": general.pk, "title": "Only once please", "body": "Hello there"}
    key = {"Idempotency-Key": "7d4c1e0a-retry-me"}
    first = api.post("/topics", payload, headers=key)
    again = api.post("/topics", payload, headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Topic.objects.count() == 1 and Post.objects.count() == 1
    # Even with other text: the key names the request.
    changed = api.post("/topics", payload | {"body": "Hello again"}, headers=key)
    assert changed.json()["id"] == first.json()["id"] and Topic.objects.count() == 1
    # The same key for a reply is a different request.
    reply = api.post(f"/topics/{first.json()['id']}/posts", {"body": "More"}, headers=key)
    assert reply.status_code == 422
    assert reply.json()["field"] == "Idempotency-Key"
    too_long = api.post("/topics", payload, headers={"Idempotency-Key": "k" * 65})
    assert (too_long.status_code, too_long.json()["field"]) == (422, "Idempotency-Key")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": ""}, "title", "at least 5 characters"),
        ({"title": "    "}, "title", "at least 5 characters"),
        ({"title": "t" * 201}, "title", "the limit is 200"),
        ({"title": "t" * 1001}, "title", None),
        ({"body": ""}, "body", "at least 2 characters"),
        ({"body": "b" * 32001}, "body", "the limit is 32000 characters"),
        ({"tags": ["<script>"]}, "tags", "not a valid tag"),
        ({"tags": ["a", "b", "c", "d", "e", "f"]}, "tags", "at most 5 tags"),
        ({"anonymous": True}, "anonymous", "not allowed in this category"),
        ({"category_id": 999999}, "category_id", "Choose a category you can see."),
        ({"category_id": "general"}, "category_id", None),
        ({"title": None}, "title", None),
    ],
)
@pytest.mark.django_db
def test_bad_topics_are_refused_with_the_field(member, general, change, field, message):
    payload = {"category_id": general.pk, "title": "A good title", "body": "A good body"}
    response = Api(member).post("/topics", payload | change)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["field"] == field
    if message:
        assert message in body["detail"]
    assert not Topic.objects.exists()


@pytest.mark.django_db
def test_post_length_limit_follows_the_setting(member, general, settings):
    settings.FORUM_POST_MAX_LENGTH = 50
    payload = {"category_id": general.pk, "title": "A good title", "body": "b" * 51}
    response = Api(member).post("/topics", payload)
    assert response.json() == {
        "detail": "The text is 51 characters long; the limit is 50 characters.",
        "field": "body",
    }


@pytest.mark.django_db
def test_malformed_json_is_a_clear_error(member, general):
    response = Api(member).client.post(
        "/api/v1/topics", "{not json", content_type="application/json",
        **Api(member).headers,
    )  # fmt: skip
    assert response.status_code in {400, 422}
    assert "detail" in response.json()


# --- A topic and its posts ----------------------------------------------------------------


@pytest.mark.django_db
def test_topic_detail_shape(member, bob, general):
    topic = start_topic(member, general, title="Exporting reports", body="How do I *export*?")
    first = topic.posts.get()
    reply = actions.create_post(bob, topic, body="Like this.", reply_to=first)
    actions.add_reaction(member, reply, "thanks")
    actions.add_bookmark(member, reply)
    response = Api(member).get(f"/topics/{topic.pk}")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["page"], body["page_count"], body["total_posts"]) == (
        topic.pk, 1, 1, 2,
    )  # fmt: skip
    assert body["notification_level"] == "watching"
    assert body["permissions"] == {
        "can_reply": True,
        "can_accept_answer": False,
        "can_moderate": False,
    }
    assert body["deleted"] is False and body["merged_into_id"] is None
    opening, answer = body["posts"]
    assert opening["body"] == "How do I *export*?"
    assert opening["body_html"] == "<p>How do I <em>export</em>?</p>\n"
    assert opening["permissions"] == {"can_edit": True, "can_delete": False, "can_react": False}
    assert opening["yours"] is True
    assert answer == {
        "id": reply.pk,
        "topic_id": topic.pk,
        "number": 2,
        "url": f"http://testserver/p/{topic.pk}/2/",
        "kind": "regular",
        "action": None,
        "author": {"handle": "bob", "display_name": "Bob", "url": "http://testserver/u/bob/"},
        "is_anonymous": False,
        "yours": False,
        "body": "Like this.",
        "body_html": "<p>Like this.</p>\n",
        "created_at": answer["created_at"],
        "edited_at": None,
        "edit_count": 0,
        "reply_to_number": 1,
        "reply_to_author": {"handle": "alice", "display_name": "Alice",
                            "url": "http://testserver/u/alice/"},
        "reactions": {"thanks": 1},
        "my_reactions": ["thanks"],
        "bookmarked": True,
        "is_accepted": False,
        "deleted": False,
        "hidden": False,
        "polls": [],
        "permissions": {"can_edit": False, "can_delete": False, "can_react": True},
    }  # fmt: skip


@pytest.mark.django_db
def test_topic_pages_and_the_last_page(member, general, settings):
    settings.FORUM_POSTS_PER_PAGE = 2
    topic = start_topic(member, general)
    for n in range(4):
        actions.create_post(None, topic, body=f"Reply {n}", author=member)
    api = Api()
    first = api.get(f"/topics/{topic.pk}").json()
    assert [p["number"] for p in first["posts"]] == [1, 2]
    assert (first["page"], first["page_count"], first["total_posts"]) == (1, 3, 5)
    last = api.get(f"/topics/{topic.pk}", page="last").json()
    assert [p["number"] for p in last["posts"]] == [5] and last["page"] == 3
    assert api.get(f"/topics/{topic.pk}", page=2).json()["posts"][0]["number"] == 3
    assert api.get(f"/topics/{topic.pk}", page=99).json()["page"] == 3
    bad = api.get(f"/topics/{topic.pk}", page="first")
    assert (bad.status_code, bad.json()["field"]) == (422, "page")


@pytest.mark.django_db
def test_reading_a_topic_marks_it_read(member, bob, general):
    topic = start_topic(member, general)
    actions.create_post(bob, topic, body="An answer")
    api = Api(member)
    assert api.get("/topics").json()["results"][0]["unread_count"] == 1
    assert api.get(f"/topics/{topic.pk}").json()["unread_count"] == 0
    assert api.get("/topics").json()["results"][0]["unread_count"] == 0


@pytest.mark.django_db
def test_merged_topic_points_to_where_its_posts_went(member, moderator, general):
    source = start_topic(member, general, title="Duplicate question")
    target = start_topic(member, general, title="Original question", body="The original body")
    actions.merge_topics(moderator, source, target)
    body = Api(member).get(f"/topics/{source.pk}").json()
    assert body["merged_into_id"] == target.pk and body["posts"] == []
    merged = Api(member).get(f"/topics/{target.pk}").json()
    assert merged["posts"][-1]["kind"] == "action"
    assert merged["posts"][-1]["action"] == {"code": "merged_from", "count": 1,
                                             "topic_id": source.pk}  # fmt: skip


@pytest.mark.django_db
def test_deleted_posts_show_content_to_moderators_only(member, bob, moderator, general):
    topic = start_topic(member, general)
    reply = actions.create_post(bob, topic, body="Something regrettable")
    assert Api(bob).delete(f"/posts/{reply.pk}").status_code == 204
    for viewer in (None, member, bob):
        post = Api(viewer).get(f"/topics/{topic.pk}").json()["posts"][1]
        assert post["deleted"] is True
        assert post["body"] is None and post["body_html"] is None
        assert "regrettable" not in Api(viewer).get(f"/topics/{topic.pk}").content.decode()
    seen = Api(moderator).get(f"/topics/{topic.pk}").json()["posts"][1]
    assert seen["deleted"] is True and seen["body"] == "Something regrettable"
    recovered = Api(moderator).post(f"/posts/{reply.pk}/recover")
    assert recovered.status_code == 200 and recovered.json()["deleted"] is False
    assert Api(member).post(f"/posts/{reply.pk}/recover").status_code == 403


@pytest.mark.django_db
def test_deleting_the_opening_post_deletes_the_topic(member, general):
    topic = start_topic(member, general)
    assert Api(member).delete(f"/posts/{topic.posts.get().pk}").status_code == 204
    assert Api(member).get(f"/topics/{topic.pk}").status_code == 404
    assert Api(member).get("/topics").json()["results"] == []


@pytest.mark.django_db
def test_members_delete_only_their_own_posts(member, bob, general):
    topic = start_topic(member, general)
    reply = actions.create_post(bob, topic, body="Bob's reply")
    assert Api(member).delete(f"/posts/{reply.pk}").status_code == 403
    assert Api().delete(f"/posts/{reply.pk}").status_code == 401
    assert not Post.objects.get(pk=reply.pk).is_deleted


# --- Replies ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reply_with_idempotency_key(member, bob, general):
    topic = start_topic(member, general)
    api = Api(bob)
    key = {"Idempotency-Key": "reply-1"}
    first = api.post(f"/topics/{topic.pk}/posts", {"body": "Try this.", "reply_to": 1}, key)
    assert first.status_code == 201
    body = first.json()
    assert (body["number"], body["reply_to_number"], body["author"]["handle"]) == (2, 1, "bob")
    again = api.post(f"/topics/{topic.pk}/posts", {"body": "Try this.", "reply_to": 1}, key)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert topic.posts.count() == 2
    other = start_topic(member, general, title="Another topic")
    elsewhere = api.post(f"/topics/{other.pk}/posts", {"body": "Try this."}, key)
    assert (elsewhere.status_code, elsewhere.json()["field"]) == (422, "Idempotency-Key")


@pytest.mark.django_db
def test_reply_errors(member, bob, moderator, general):
    topic = start_topic(member, general)
    api = Api(bob)
    missing = api.post(f"/topics/{topic.pk}/posts", {"body": "To whom?", "reply_to": 7})
    assert missing.json() == {
        "detail": "You can only reply to a post in this topic.",
        "field": "reply_to",
    }
    short = api.post(f"/topics/{topic.pk}/posts", {"body": "x"})
    assert (short.status_code, short.json()["field"]) == (422, "body")
    assert api.post(f"/topics/{topic.pk}/posts", {}).json()["field"] == "body"
    actions.set_closed(moderator, topic, True)
    closed = api.post(f"/topics/{topic.pk}/posts", {"body": "Too late?"})
    assert closed.status_code == 422
    assert closed.json() == {
        "detail": "This topic is closed; it takes no new replies.",
        "field": None,
    }
    staff = Api(moderator).post(f"/topics/{topic.pk}/posts", {"body": "Staff may"})
    assert staff.status_code == 201
    assert api.post("/topics/999999/posts", {"body": "Hello?"}).status_code == 404


# --- Editing ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_edit_an_opening_post_with_title_and_tags(member, general):
    topic = start_topic(member, general, tags=["old"])
    opening = topic.posts.get()
    response = Api(member).patch(
        f"/posts/{opening.pk}",
        {"body": "Now with **more** detail.", "title": "A better title", "tags": ["new"],
         "reason": "clarity"},
    )  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert body["body_html"] == "<p>Now with <strong>more</strong> detail.</p>\n"
    assert body["edit_count"] == 1 and body["edited_at"]
    topic.refresh_from_db()
    assert topic.title == "A better title"
    assert list(topic.tags.values_list("name", flat=True)) == ["new"]
    revisions = Api(member).get(f"/posts/{opening.pk}/revisions").json()
    assert revisions[0]["body"] == "I need the quarterly numbers as CSV."
    assert revisions[0]["reason"] == "clarity"
    assert revisions[0]["editor"]["handle"] == "alice"


@pytest.mark.django_db
def test_edit_errors(member, bob, moderator, general):
    topic = start_topic(member, general)
    reply = actions.create_post(bob, topic, body="Bob's reply")
    opening = topic.posts.get(number=1)
    foreign = Api(bob).patch(f"/posts/{opening.pk}", {"body": "Hijacked"})
    assert foreign.status_code == 403
    assert foreign.json() == {"detail": "You may not do this.", "field": None}
    titled = Api(bob).patch(f"/posts/{reply.pk}", {"title": "A new title"})
    assert (titled.status_code, titled.json()["field"]) == (422, "title")
    long = Api(member).patch(f"/posts/{opening.pk}", {"body": "b" * 32001})
    assert long.status_code == 422 and "the limit is 32000" in long.json()["detail"]
    assert Api(moderator).patch(f"/posts/{reply.pk}", {"body": "Moderated"}).status_code == 200
    assert Api(member).get(f"/posts/{reply.pk}/revisions").status_code == 404
    assert Api(bob).get(f"/posts/{reply.pk}/revisions").status_code == 200
    assert Api().patch(f"/posts/{reply.pk}", {"body": "Visitor"}).status_code == 401


# --- Reactions, answers, bookmarks --------------------------------------------------------


@pytest.mark.django_db
def test_reactions(member, bob, general):
    topic = start_topic(member, general)
    reply = actions.create_post(bob, topic, body="A helpful reply")
    api = Api(member)
    added = api.post(f"/posts/{reply.pk}/reactions", {"kind": "insightful"})
    assert added.status_code == 200
    assert added.json() == {"post_id": reply.pk, "reactions": {"insightful": 1},
                            "my_reactions": ["insightful"]}  # fmt: skip
    api.post(f"/posts/{reply.pk}/reactions", {"kind": "insightful"})  # once is enough
    assert api.post(f"/posts/{reply.pk}/reactions", {"kind": "eyes"}).json()["reactions"] == {
        "insightful": 1,
        "eyes": 1,
    }
    removed = api.delete(f"/posts/{reply.pk}/reactions/insightful")
    assert removed.json() == {"post_id": reply.pk, "reactions": {"eyes": 1},
                              "my_reactions": ["eyes"]}  # fmt: skip
    unknown = api.post(f"/posts/{reply.pk}/reactions", {"kind": "angry"})
    assert (unknown.status_code, unknown.json()["field"]) == (422, "kind")
    assert api.delete(f"/posts/{reply.pk}/reactions/angry").status_code == 422
    own = Api(bob).post(f"/posts/{reply.pk}/reactions", {"kind": "like"})
    assert own.json() == {"detail": "You cannot react to your own post.", "field": None}
    assert Topic.objects.get().reaction_count == 1


@pytest.mark.django_db
def test_accepting_answers(member, bob, moderator, questions, general):
    question = start_topic(member, questions, title="How to export?")
    answer = actions.create_post(bob, question, body="Use the button.")
    assert Api(bob).post(f"/posts/{answer.pk}/accept").status_code == 403
    accepted = Api(member).post(f"/posts/{answer.pk}/accept")
    assert accepted.status_code == 200
    assert (accepted.json()["is_solved"], accepted.json()["accepted_post_number"]) == (True, 2)
    detail = Api().get(f"/topics/{question.pk}").json()
    assert [p["is_accepted"] for p in detail["posts"]] == [False, True]
    assert Api(bob).delete(f"/posts/{answer.pk}/accept").status_code == 403
    unaccepted = Api(moderator).delete(f"/posts/{answer.pk}/accept")
    assert unaccepted.status_code == 200 and unaccepted.json()["is_solved"] is False
    opening = Api(member).post(f"/posts/{question.posts.get(number=1).pk}/accept")
    assert opening.status_code == 422
    chat = start_topic(member, general, title="Not a question")
    reply = actions.create_post(bob, chat, body="A reply")
    outside = Api(member).post(f"/posts/{reply.pk}/accept")
    assert outside.json() == {
        "detail": "Only questions in Q&A categories have accepted answers.",
        "field": None,
    }
    assert outside.status_code == 422


@pytest.mark.django_db
def test_bookmarks(member, bob, general, settings):
    topic = start_topic(bob, general)
    posts = [actions.create_post(bob, topic, body=f"Reply number {n}") for n in range(3)]
    api = Api(member)
    for post in posts:
        response = api.post(f"/posts/{post.pk}/bookmark")
        assert response.status_code == 200
    assert response.json()["post"]["excerpt"] == "Reply number 2"
    assert response.json()["post"]["topic"]["id"] == topic.pk
    first = api.get("/bookmarks", limit=2).json()
    assert [b["post"]["id"] for b in first["results"]] == [posts[2].pk, posts[1].pk]
    rest = api.get("/bookmarks", limit=2, cursor=first["next_cursor"]).json()
    assert [b["post"]["id"] for b in rest["results"]] == [posts[0].pk]
    assert rest["next_cursor"] is None
    assert api.delete(f"/posts/{posts[0].pk}/bookmark").status_code == 204
    assert len(api.get("/bookmarks").json()["results"]) == 2
    assert Api().get("/bookmarks").status_code == 401
    assert Api(bob).get("/bookmarks").json()["results"] == []


# --- Polls --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_poll_results_show_after_voting_or_closing(member, bob, general):
    topic = start_topic(member, general, title="Meetup city poll", body=POLL)
    poll = Poll.objects.get()
    krakow, warszawa = poll.options.all()
    before = Api(bob).get(f"/topics/{topic.pk}").json()["posts"][0]["polls"][0]
    assert before["results_visible"] is False and before["can_vote"] is True
    assert [o["votes"] for o in before["options"]] == [None, None]
    voted = Api(bob).post(f"/polls/{poll.pk}/vote", {"options": [krakow.pk]})
    assert voted.status_code == 200
    assert voted.json()["my_choices"] == [krakow.pk]
    assert [o["votes"] for o in voted.json()["options"]] == [1, 0]
    hidden = Api().get(f"/topics/{topic.pk}").json()["posts"][0]["polls"][0]
    assert [o["votes"] for o in hidden["options"]] == [None, None] and hidden["voter_count"] == 1
    both = Api(bob).post(f"/polls/{poll.pk}/vote", {"options": [krakow.pk, warszawa.pk]})
    assert (both.status_code, both.json()["field"]) == (422, "options")
    retracted = Api(bob).delete(f"/polls/{poll.pk}/vote")
    assert retracted.json()["my_choices"] == [] and retracted.json()["voter_count"] == 0
    assert Api(bob).post(f"/polls/{poll.pk}/close").status_code == 403
    closed = Api(member).post(f"/polls/{poll.pk}/close").json()
    assert closed["closed"] is True and closed["results_visible"] is True
    late = Api(bob).post(f"/polls/{poll.pk}/vote", {"options": [warszawa.pk]})
    assert late.json() == {"detail": "This poll is closed.", "field": None}
    assert Api(bob).post("/polls/999999/vote", {"options": [1]}).status_code == 404


# --- Notification levels and moderation ---------------------------------------------------


@pytest.mark.django_db
def test_notification_level(member, bob, general):
    topic = start_topic(member, general)
    api = Api(bob)
    response = api.put(f"/topics/{topic.pk}/notification-level", {"level": "watching"})
    assert response.json() == {"topic_id": topic.pk, "level": "watching"}
    assert api.get(f"/topics/{topic.pk}").json()["notification_level"] == "watching"
    api.put(f"/topics/{topic.pk}/notification-level", {"level": "muted"})
    assert api.get("/topics").json()["results"] == []  # muted topics leave the latest list
    bad = api.put(f"/topics/{topic.pk}/notification-level", {"level": "loud"})
    assert (bad.status_code, bad.json()["field"]) == (422, "level")


@pytest.mark.django_db
def test_moderation(member, moderator, general, questions):
    topic = start_topic(member, general)
    api = Api(moderator)
    refused = Api(member).post(f"/topics/{topic.pk}/moderation", {"action": "close"})
    assert refused.status_code == 403
    assert api.post(f"/topics/{topic.pk}/moderation", {"action": "close"}).json()["closed"] is True
    assert api.post(f"/topics/{topic.pk}/moderation", {"action": "open"}).json()["closed"] is False
    pinned = api.post(f"/topics/{topic.pk}/moderation", {"action": "pin", "scope": "global"})
    assert pinned.json()["pinned"] is True
    assert api.post(f"/topics/{topic.pk}/moderation", {"action": "unpin"}).json()["pinned"] is False
    no_scope = api.post(f"/topics/{topic.pk}/moderation", {"action": "pin"})
    assert (no_scope.status_code, no_scope.json()["field"]) == (422, "scope")
    past = api.post(
        f"/topics/{topic.pk}/moderation",
        {"action": "pin", "scope": "category", "until": "2001-01-01T00:00:00Z"},
    )
    assert (past.status_code, past.json()["field"]) == (422, "until")
    unlisted = api.post(f"/topics/{topic.pk}/moderation", {"action": "unlist"})
    assert unlisted.json()["listed"] is False
    assert Api().get("/topics").json()["results"] == []
    assert Api().get(f"/topics/{topic.pk}").status_code == 200  # the address still works
    api.post(f"/topics/{topic.pk}/moderation", {"action": "list"})
    archived = api.post(f"/topics/{topic.pk}/moderation", {"action": "archive"})
    assert archived.json()["archived"] is True
    assert Api(member).post(f"/topics/{topic.pk}/posts", {"body": "Frozen?"}).status_code == 403
    api.post(f"/topics/{topic.pk}/moderation", {"action": "unarchive"})
    moved = api.post(
        f"/topics/{topic.pk}/moderation", {"action": "move", "category_id": questions.pk}
    )
    assert moved.json()["category"]["id"] == questions.pk
    nowhere = api.post(f"/topics/{topic.pk}/moderation", {"action": "move", "category_id": 0})
    assert (nowhere.status_code, nowhere.json()["field"]) == (422, "category_id")
    unknown = api.post(f"/topics/{topic.pk}/moderation", {"action": "explode"})
    assert (unknown.status_code, unknown.json()["field"]) == (422, "action")


# --- The schema ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_openapi_lists_every_forum_endpoint(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    expected = {
        "/api/v1/categories": {"get", "post"},
        "/api/v1/categories/{category_id}": {"get"},
        "/api/v1/topics": {"get", "post"},
        "/api/v1/topics/{topic_id}": {"get"},
        "/api/v1/topics/{topic_id}/posts": {"post"},
        "/api/v1/topics/{topic_id}/notification-level": {"put"},
        "/api/v1/topics/{topic_id}/moderation": {"post"},
        "/api/v1/posts/{post_id}": {"patch", "delete"},
        "/api/v1/posts/{post_id}/recover": {"post"},
        "/api/v1/posts/{post_id}/revisions": {"get"},
        "/api/v1/posts/{post_id}/reactions": {"post"},
        "/api/v1/posts/{post_id}/reactions/{kind}": {"delete"},
        "/api/v1/posts/{post_id}/accept": {"post", "delete"},
        "/api/v1/posts/{post_id}/bookmark": {"post", "delete"},
        "/api/v1/bookmarks": {"get"},
        "/api/v1/polls/{poll_id}/vote": {"post", "delete"},
        "/api/v1/polls/{poll_id}/close": {"post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
        for method in methods:
            assert paths[path][method]["tags"] == ["forum"]
    create = paths["/api/v1/topics"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert {"200", "201"} <= set(create["responses"])
