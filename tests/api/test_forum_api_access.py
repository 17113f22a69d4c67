"""Who may read and write through the forum's API, and what it never tells: private
categories answer like nothing exists, anonymous authors stay anonymous everywhere, hostile
text comes back inert, and every list costs a fixed number of queries."""

import json
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import Api
from tests.conftest import make_member, set_access_mode
from tests.forum.conftest import start_topic
from tests.forum.test_cooking import XSS, active_html
from townsquare.forum import actions, tracking
from townsquare.forum.models import CategoryKind, Poll, Topic
from townsquare.groups import actions as group_actions

NOT_FOUND = {"detail": "Not found.", "field": None}
SECRET_TITLE = "Board minutes: acquisition of Contoso"


@pytest.fixture
def secret_topic(insider, boardroom):
    topic = start_topic(insider, boardroom, title=SECRET_TITLE, body="Confidential numbers.",
                        tags=["acquisition"])  # fmt: skip
    actions.create_post(insider, topic, body="Secret\n\n[poll]\n* yes\n* no\n[/poll]")
    return topic


# --- Visitors and roles -------------------------------------------------------------------


def _writes(topic: Topic) -> list[tuple[str, str, dict | None]]:
    post = topic.posts.get(number=1)
    reply = topic.posts.get(number=2)
    poll = Poll.objects.get()
    return [
        ("post", "/categories", {"name": "New"}),
        ("post", "/topics", {"category_id": topic.category_id, "title": "Hello there",
                             "body": "Hello"}),
        ("post", f"/topics/{topic.pk}/posts", {"body": "A reply"}),
        ("patch", f"/posts/{post.pk}", {"body": "Edited"}),
        ("delete", f"/posts/{reply.pk}", None),
        ("post", f"/posts/{reply.pk}/recover", None),
        ("post", f"/posts/{reply.pk}/reactions", {"kind": "like"}),
        ("delete", f"/posts/{reply.pk}/reactions/like", None),
        ("post", f"/posts/{reply.pk}/accept", None),
        ("delete", f"/posts/{reply.pk}/accept", None),
        ("post", f"/posts/{reply.pk}/bookmark", None),
        ("delete", f"/posts/{reply.pk}/bookmark", None),
        ("post", f"/polls/{poll.pk}/vote", {"options": [poll.options.first().pk]}),
        ("delete", f"/polls/{poll.pk}/vote", None),
        ("post", f"/polls/{poll.pk}/close", None),
        ("put", f"/topics/{topic.pk}/notification-level", {"level": "watching"}),
        ("post", f"/topics/{topic.pk}/moderation", {"action": "close"}),
    ]  # fmt: skip


def _send(api: Api, method: str, path: str, data):
    if method == "delete":
        return api.delete(path)
    return getattr(api, method)(path, data)


@pytest.fixture
def open_topic(member, bob, questions):
    topic = start_topic(member, questions, title="A public question")
    actions.create_post(bob, topic, body="An answer\n\n[poll]\n* yes\n* no\n[/poll]")
    return topic


@pytest.mark.django_db
def test_visitors_may_not_write(open_topic):
    before = Topic.objects.count()
    for method, path, data in _writes(open_topic):
        response = _send(Api(), method, path, data)
        assert response.status_code == 401, (method, path)
        assert response.json() == {"detail": "Authentication required.", "field": None}
    assert Topic.objects.count() == before


@pytest.mark.django_db
def test_writes_by_session_need_the_csrf_token(member, open_topic):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(
        f"/api/v1/topics/{open_topic.pk}/posts", json.dumps({"body": "By cookie"}),
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code in {401, 403}
    client.get("/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/api/v1/topics/{open_topic.pk}/posts", json.dumps({"body": "By cookie"}),
        content_type="application/json", HTTP_X_CSRFTOKEN=token,
    )  # fmt: skip
    assert response.status_code == 201


@pytest.mark.django_db
def test_wrong_roles_get_403(open_topic, guidelines):
    stranger = make_member("stranger", guidelines)
    api = Api(stranger)
    reply = open_topic.posts.get(number=2)
    for method, path, data in [
        ("post", "/categories", {"name": "New"}),
        ("patch", f"/posts/{reply.pk}", {"body": "Edited"}),
        ("delete", f"/posts/{reply.pk}", None),
        ("post", f"/posts/{reply.pk}/recover", None),
        ("post", f"/posts/{reply.pk}/accept", None),
        ("delete", f"/posts/{reply.pk}/accept", None),
        ("post", f"/polls/{Poll.objects.get().pk}/close", None),
        ("post", f"/topics/{open_topic.pk}/moderation", {"action": "pin", "scope": "global"}),
    ]:
        response = _send(api, method, path, data)
        assert response.status_code == 403, (method, path, response.content)
        assert response.json() == {"detail": "You may not do this.", "field": None}


@pytest.mark.django_db
def test_a_private_community_answers_visitors_401(member, general):
    topic = start_topic(member, general)
    set_access_mode("private")
    for path in ["/categories", f"/categories/{general.pk}", "/topics", f"/topics/{topic.pk}"]:
        response = Api().get(path)
        assert response.status_code == 401, path
        assert response.json()["detail"] == "Authentication required."
        assert Api(member).get(path).status_code == 200, path


@pytest.mark.django_db
def test_a_hybrid_community_opens_the_forum_api_with_the_forum(member, general):
    topic = start_topic(member, general)
    set_access_mode("hybrid", ["home"])
    for path in ["/categories", f"/categories/{general.pk}", "/topics", f"/topics/{topic.pk}"]:
        response = Api().get(path)
        assert response.status_code == 401, path
        assert response.json() == {"detail": "Authentication required.", "field": None}
    set_access_mode("hybrid", ["home", "forum"])
    assert Api().get(f"/topics/{topic.pk}").status_code == 200


# --- What one may not see does not exist --------------------------------------------------


def _reads_and_writes(topic: Topic) -> list[tuple[str, str, dict | None]]:
    return [("get", f"/topics/{topic.pk}", None), ("get", f"/categories/{topic.category_id}",
            None), ("get", f"/posts/{topic.posts.get(number=1).pk}/revisions", None)] + [
        write for write in _writes(topic) if write[1] not in {"/categories", "/topics"}
    ]  # fmt: skip


def _same_paths_for_nothing(paths: list[tuple[str, str, dict | None]], topic: Topic) -> list:
    ids = {
        str(topic.pk): "987654",
        str(topic.category_id): "987655",
    }
    out = []
    for method, path, data in paths:
        parts = path.split("/")
        parts[2] = ids.get(parts[2], "987656")
        out.append((method, "/".join(parts), data))
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["visitor", "member"])
def test_a_group_only_topic_answers_like_nothing(who, member, secret_topic):
    api = Api(member if who == "member" else None)
    secret = _reads_and_writes(secret_topic)
    missing = _same_paths_for_nothing(secret, secret_topic)
    for (method, path, data), (_m, nothing, _d) in zip(secret, missing, strict=True):
        hidden = _send(api, method, path, data) if method != "get" else api.get(path)
        absent = _send(api, method, nothing, data) if method != "get" else api.get(nothing)
        if who == "visitor" and (method != "get" or "revisions" in path):
            assert hidden.status_code == absent.status_code == 401, path
            continue
        assert hidden.status_code == absent.status_code == 404, (path, hidden.content)
        assert hidden.json() == absent.json() == NOT_FOUND
    # And lists never mention it.
    lists = [
        ("/topics", {}), ("/categories", {}), ("/topics", {"status": "unsolved"}),
        ("/topics", {"solved": "false"}), ("/topics", {"order": "top"}),
    ]  # fmt: skip
    for path, query in lists:
        text = api.get(path, **query).content.decode()
        assert "Contoso" not in text and "Boardroom" not in text and "acquisition" not in text
    for query in [{"category": "boardroom"}, {"category": str(secret_topic.category_id)},
                  {"tag": "acquisition"}]:  # fmt: skip
        hidden = api.get("/topics", **query)
        assert hidden.status_code == 404 and hidden.json() == NOT_FOUND
    assert api.get("/topics", category="nothing-here").json() == NOT_FOUND


@pytest.mark.django_db
def test_a_member_cannot_post_into_a_hidden_category(member, secret_topic):
    payload = {"category_id": secret_topic.category_id, "title": "Let me in", "body": "Please"}
    hidden = Api(member).post("/topics", payload)
    absent = Api(member).post("/topics", payload | {"category_id": 987654})
    assert hidden.status_code == absent.status_code == 422
    assert (
        hidden.json()
        == absent.json()
        == {
            "detail": "Choose a category you can see.",
            "field": "category_id",
        }
    )


@pytest.mark.django_db
def test_insiders_and_staff_see_the_group_topic(insider, moderator, secret_topic):
    for user in (insider, moderator):
        api = Api(user)
        assert SECRET_TITLE in api.get("/topics").content.decode()
        assert api.get(f"/topics/{secret_topic.pk}").json()["title"] == SECRET_TITLE
        assert "Boardroom" in api.get("/categories").content.decode()


@pytest.mark.django_db
def test_bookmarks_of_posts_no_longer_visible_disappear(member, insider, board, secret_topic):
    group_actions.add_member(None, board, member)
    Api(member).post(f"/posts/{secret_topic.posts.get(number=1).pk}/bookmark")
    assert len(Api(member).get("/bookmarks").json()["results"]) == 1
    group_actions.remove_member(None, board, member)
    assert Api(member).get("/bookmarks").json()["results"] == []


# --- Anonymous posts ----------------------------------------------------------------------

SHY = "Carol Shy"


@pytest.mark.django_db
def test_no_endpoint_reveals_an_anonymous_author(guidelines, member, moderator, newcomers):
    carol = make_member("carol_shy", guidelines, display_name=SHY)
    api_carol = Api(carol)
    created = api_carol.post(
        "/topics",
        {"category_id": newcomers.pk, "title": "Is it silly to ask about basics?",
         "body": "I am new.\n\n[poll]\n* yes\n* no\n[/poll]", "anonymous": True},
    )  # fmt: skip
    assert created.status_code == 201
    topic_id = created.json()["id"]
    topic = Topic.objects.get(pk=topic_id)
    opening = topic.posts.get(number=1)
    reply = api_carol.post(
        f"/topics/{topic_id}/posts", {"body": "Still me.", "reply_to": 1, "anonymous": True}
    ).json()
    edited = "I am quite new.\n\n[poll]\n* yes\n* no\n[/poll]"
    api_carol.patch(f"/posts/{opening.pk}", {"body": edited, "reason": "typo"})
    api_carol.patch(f"/posts/{opening.pk}", {"title": "Is it silly to ask basic things?"})
    answer = Api(member).post(
        f"/topics/{topic_id}/posts",
        {"body": f'[quote="Anonymous, post:1, topic:{topic_id}"]\nI am quite new.\n[/quote]\n\n'
                 "Not silly at all!", "reply_to": 2},
    ).json()  # fmt: skip
    api_carol.post(f"/topics/{topic_id}/posts", {"body": "Thank you!", "anonymous": True,
                                                 "reply_to": answer["number"]})  # fmt: skip
    Api(member).post(f"/posts/{reply['id']}/reactions", {"kind": "thanks"})
    poll = Poll.objects.get()
    Api(member).post(f"/polls/{poll.pk}/vote", {"options": [poll.options.first().pk]})
    for user in (member, carol, moderator):
        Api(user).post(f"/posts/{opening.pk}/bookmark")
        Api(user).post(f"/posts/{reply['id']}/bookmark")
    moderated = Api(moderator).post(
        f"/topics/{topic_id}/moderation", {"action": "pin", "scope": "category"}
    )
    texts = [created.content.decode(), json.dumps(reply), moderated.content.decode()]
    for viewer in (None, member, moderator, carol):
        api = Api(viewer)
        paths = [
            "/topics", f"/topics?category={newcomers.slug}", f"/topics/{topic_id}",
            f"/topics/{topic_id}?page=last", "/topics?status=unanswered", "/topics?order=new",
            "/categories",
        ]  # fmt: skip
        if viewer is not None:
            paths += ["/bookmarks", f"/posts/{opening.pk}/revisions"]
        for path in paths:
            response = api.client.get(f"/api/v1{path}", **api.headers)
            assert response.status_code in {200, 404}, (viewer, path)
            texts.append(response.content.decode())
        if viewer is not None:
            ballot = {"options": [poll.options.last().pk]}
            texts.append(api.post(f"/polls/{poll.pk}/vote", ballot).content.decode())
    texts.append(Api(member).post(f"/posts/{opening.pk}/bookmark").content.decode())
    for text in texts:
        assert "carol_shy" not in text.lower() and SHY.lower() not in text.lower()
        assert "Carol" not in text
    detail = Api(member).get(f"/topics/{topic_id}").json()
    assert detail["author"] is None and detail["last_poster"] is None
    assert [p["author"] for p in detail["posts"]][:2] == [None, None]
    assert detail["posts"][2]["reply_to_author"] is None and detail["posts"][2]["author"]
    assert all(p["is_anonymous"] for p in detail["posts"] if p["author"] is None)
    # The author may see that a post is theirs; nobody else learns anything.
    mine = Api(carol).get(f"/topics/{topic_id}").json()["posts"]
    assert [p["yours"] for p in mine] == [True, True, False, True]
    assert not any(p["yours"] for p in detail["posts"] if p["is_anonymous"])
    revisions = Api(moderator).get(f"/posts/{opening.pk}/revisions").json()
    assert len(revisions) == 2 and all(r["editor"] is None for r in revisions)


# --- Hostile text -------------------------------------------------------------------------


def _attributes(html: str) -> list[tuple[str, str | None]]:
    """Every attribute of every element, as a browser's parser sees them."""
    found: list[tuple[str, str | None]] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend(attrs)

    Parser().feed(html)
    return found


@pytest.mark.django_db
def test_hostile_text_comes_back_inert(guidelines, general, member, manager):
    villain = make_member("villain", guidelines, display_name='Eve <img src=x onerror="alert(1)">')
    api = Api(villain)
    ids = []
    for n, payload in enumerate(XSS):
        title = f"T{n} {payload}"[:200]
        response = api.post(
            "/topics", {"category_id": general.pk, "title": title, "body": f"B {payload}"}
        )
        assert response.status_code == 201, (payload, response.content)
        assert response.json()["title"] == " ".join(title.split())  # data, exactly
        ids.append(response.json()["id"])
        reply = api.post(f"/topics/{ids[-1]}/posts", {"body": f"{payload} again"})
        assert reply.status_code == 201
        assert active_html(reply.json()["body_html"]) == []
    for tag in ["<script>alert(1)</script>", '"><svg onload=alert(1)>', "javascript:alert(1)"]:
        refused = api.post(
            "/topics",
            {"category_id": general.pk, "title": "Tagged topic", "body": "Body", "tags": [tag]},
        )
        assert (refused.status_code, refused.json()["field"]) == (422, "tags")
        assert "<" not in refused.content.decode()
    odd = Api(manager).post("/categories", {"name": "<script>alert(1)</script>", "slug": "odd"})
    assert odd.status_code == 201 and odd.json()["name"] == "<script>alert(1)</script>"
    responses = [Api(member).get("/topics", limit=100), Api(member).get("/categories")]
    responses += [Api(member).get(f"/topics/{topic_id}") for topic_id in ids]
    for response in responses:
        assert response["Content-Type"] == "application/json; charset=utf-8"
        text = response.content.decode()
        # HTML-significant characters travel as JSON escapes.
        assert "<" not in text and ">" not in text
        for post in response.json().get("posts", []):
            assert active_html(post["body_html"]) == []
            assert "<script" not in post["body_html"].lower()
            for name, value in _attributes(post["body_html"]):
                assert not name.startswith("on"), name
                assert not (value or "").strip().lower().startswith("javascript:"), value
    titles = [t["title"] for t in Api(member).get("/topics", limit=100).json()["results"]]
    assert any("<script>alert(1)</script>" in title for title in titles)


# --- A fixed number of queries ------------------------------------------------------------


def _count(api: Api, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.client.get(f"/api/v1{path}", **api.headers)
    assert response.status_code == 200, response.content
    return len(queries)


def _fill_categories(start: int, stop: int) -> None:
    for i in range(start, stop):
        parent = actions.create_category(None, name=f"Category {i}")
        if i % 3 == 0:
            actions.create_category(None, name=f"Sub {i}", parent=parent)


def _fill_topics(start: int, stop: int, asker, others, category) -> None:
    for i in range(start, stop):
        topic = start_topic(asker, category, title=f"Topic number {i}", tags=[f"t{i}", "common"])
        reply = actions.create_post(others[i % len(others)], topic, body=f"Reply {i}")
        if i % 2:
            actions.accept_answer(asker, reply)
            actions.add_reaction(asker, reply, "like")


def _fill_posts(start: int, stop: int, topic, people, reader) -> None:
    opening = topic.posts.get(number=1)
    for i in range(start, stop):
        body = f"Post {i}" + ("\n\n[poll]\n* a\n* b\n[/poll]" if i % 5 == 0 else "")
        author = people[i % len(people)]
        post = actions.create_post(author, topic, body=body, anonymous=i % 4 == 0,
                                   reply_to=opening)  # fmt: skip
        actions.add_reaction(people[(i + 1) % len(people)], post, "like")
        actions.add_bookmark(reader, post)
        if i % 5 == 0:
            poll = post.polls.get()
            actions.vote(people[0], poll, [poll.options.first().pk])
        if i % 7 == 3:
            actions.delete_post(author, post)


# Queries for a member's request, all included: the token, the session and the policy's
# view of the categories (about 7), and for a topic, marking the page read (about 4).
BUDGET = {"categories": 12, "latest": 15, "category": 17, "tag and solved": 16, "topic": 25,
          "bookmarks": 12, "unread": 12}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", ["visitor", "member", "moderator"])
def test_lists_cost_a_fixed_number_of_queries(
    viewer,
    guidelines,
    member,
    bob,
    moderator,
    newcomers,
    django_assert_max_num_queries,
    settings,
    monkeypatch,
):
    """Each list is measured with 3 and with 30 items: the same number of queries."""
    # Topic views are written in batches now and then; not during these measurements.
    monkeypatch.setattr(tracking, "FLUSH_SECONDS", 10**6)
    monkeypatch.setattr(tracking, "FLUSH_SIZE", 10**6)
    settings.FORUM_POSTS_PER_PAGE = 50
    user = {"visitor": None, "member": member, "moderator": moderator}[viewer]
    api = Api(user)
    api.get("/categories")  # the token's first use is recorded once; not part of a list
    carol = make_member("carol", guidelines)
    people = [member, bob, carol]
    questions = actions.create_category(None, name="Questions", kind=CategoryKind.QA)
    long_topic = start_topic(bob, newcomers, title="A long thread")
    api.get(f"/topics/{long_topic.pk}")  # a member's first visit creates their read state
    paths = {
        "categories": "/categories",
        "latest": "/topics?limit=100",
        "category": f"/topics?category={questions.slug}&limit=100",
        "tag and solved": "/topics?tag=common&solved=true&limit=100",
        "topic": f"/topics/{long_topic.pk}",
    }
    if user is not None:
        paths |= {"bookmarks": "/bookmarks?limit=100", "unread": "/topics?status=unread"}
    counts: dict[str, list[int]] = {name: [] for name in paths}
    done = 0
    for size in (3, 30):
        _fill_categories(done, size)
        _fill_topics(done, size, bob, [member, carol], questions)
        _fill_posts(done, size, long_topic, people, user or member)
        done = size
        for name, path in paths.items():
            with django_assert_max_num_queries(BUDGET[name]):
                counts[name].append(_count(api, path))
        assert len(api.get(f"/topics/{long_topic.pk}").json()["posts"]) == size + 1
        assert len(api.get("/topics", limit=100).json()["results"]) == size + 1
        if user is not None:
            assert len(api.get("/bookmarks", limit=100).json()["results"]) > size // 2
    for name, (small, large) in counts.items():
        assert small == large, (name, small, large)
