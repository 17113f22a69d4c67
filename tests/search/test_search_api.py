import pytest
from django.test import Client, override_settings

from townsquare.forum.models import Audience, CategoryKind


@pytest.fixture
def content(forum):
    general = forum.category("General")
    hidden = forum.category("Hidden", read_access=Audience.MEMBERS)
    ann = forum.member("ann")
    opening = forum.topic(
        general, "Kafka <tips>", "Kafka consumers & producers", author=ann, tags=["streams"]
    )
    reply = forum.reply(opening.topic, "More kafka consumers", author=ann)
    confessions = forum.category("Confessions", kind=CategoryKind.ANONYMOUS)
    anonymous = forum.topic(confessions, "Secret", "kafka regrets", author=ann, anonymous=True)
    forum.topic(hidden, "Hidden kafka", "kafka internals")
    return {"opening": opening, "reply": reply, "anonymous": anonymous, "ann": ann}


def test_results_shape(client: Client, content):
    body = client.get("/api/v1/search", {"q": "consumers"}).json()
    assert (body["total"], body["total_is_capped"]) == (2, False)
    first = body["results"][0]
    reply, opening = content["reply"], content["opening"]
    assert first == {
        "post_id": reply.pk,
        "post_number": 2,
        "topic_id": opening.topic_id,
        "topic_title": "Kafka <tips>",
        "topic_url": f"http://testserver/t/t/{opening.topic_id}/",
        "post_url": f"http://testserver/p/{opening.topic_id}/2/",
        "category": {"id": opening.topic.category_id, "slug": "general", "name": "General"},
        "author": "ann",
        "is_anonymous": False,
        "created_at": first["created_at"],
        "snippet_html": "More kafka <mark>consumers</mark>",
        "title_html": "Kafka &lt;tips&gt;",
    }
    assert body["results"][1]["post_id"] == opening.pk


def test_anonymous_posts_show_no_author_and_never_match_one(client: Client, content):
    body = client.get("/api/v1/search", {"q": "regrets"}).json()
    assert [(r["author"], r["is_anonymous"]) for r in body["results"]] == [(None, True)]
    by_ann = client.get("/api/v1/search", {"q": "kafka", "author": "ANN"}).json()
    assert {r["post_id"] for r in by_ann["results"]} == {
        content["opening"].pk,
        content["reply"].pk,
    }
    assert by_ann["total"] == 2


def test_filters_by_slug_tag_and_order(client: Client, content):
    in_general = client.get("/api/v1/search", {"q": "kafka", "category": "general"}).json()
    assert in_general["total"] == 2
    tagged = client.get("/api/v1/search", {"q": "kafka", "tag": "streams"}).json()
    assert tagged["total"] == 2
    latest = client.get("/api/v1/search", {"q": "kafka", "order": "latest", "limit": 1}).json()
    assert latest["results"][0]["post_id"] == content["anonymous"].pk
    assert latest["total"] == 3


@pytest.mark.parametrize(
    "params",
    [
        {"q": "kafka", "category": "no-such-category"},
        {"q": "kafka", "category": "hidden"},  # exists, but visitors may not see it
        {"q": "kafka", "author": "nobody"},
    ],
)
def test_unknown_or_hidden_names_give_empty_results(client: Client, content, params):
    response = client.get("/api/v1/search", params)
    assert response.status_code == 200
    assert response.json() == {"results": [], "total": 0, "total_is_capped": False}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "x" * 201}, "q"),
        ({"q": "x", "after": "2024-13-45"}, "after"),
        ({"q": "x", "before": "yesterday"}, "before"),
        ({"q": "x", "limit": "0"}, "limit"),
        ({"q": "x", "limit": "51"}, "limit"),
        ({"q": "x", "offset": "-1"}, "offset"),
        ({"q": "x", "order": "random"}, "order"),
        ({"q": "x", "solved": "maybe"}, "solved"),
        ({"q": "x", "after": "2025-02-01", "before": "2025-01-01"}, "before"),
    ],
)
def test_bad_input_is_422_with_the_field(client: Client, db, params, field):
    response = client.get("/api/v1/search", params)
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == field and body["detail"]


def test_query_too_long_says_so(client: Client, db):
    body = client.get("/api/v1/search", {"q": "x" * 201}).json()
    assert body == {
        "detail": "Search for at most 200 characters; this search has 201.",
        "field": "q",
    }


def test_punctuation_and_empty_queries_are_empty_results(client: Client, content):
    for q in ("", "!!! ???", '"'):
        body = client.get("/api/v1/search", {"q": q}).json()
        assert body == {"results": [], "total": 0, "total_is_capped": False}


@override_settings(SEARCH_RATE_LIMIT_VISITORS=2)
def test_rate_limit_is_429_with_retry_after(client: Client, content):
    for _ in range(2):
        assert client.get("/api/v1/search", {"q": "kafka"}).status_code == 200
    response = client.get("/api/v1/search", {"q": "kafka"})
    assert response.status_code == 429
    seconds = int(response["Retry-After"])
    assert 1 <= seconds <= 60
    assert response.json() == {
        "detail": f"Too many searches. Try again in {seconds} second{'s' * (seconds != 1)}.",
        "field": None,
    }


def test_private_community_answers_visitors_401(client: Client, content, private_community):
    assert client.get("/api/v1/search", {"q": "kafka"}).status_code == 401


def test_documented_in_openapi(client: Client, db):
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/search"]["get"]
    assert [p["name"] for p in operation["parameters"]] == [
        "q", "category", "tag", "author", "solved", "after", "before", "order", "limit", "offset",
    ]  # fmt: skip
    assert set(operation["responses"]) == {"200", "429"}
