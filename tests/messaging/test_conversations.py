"""Starting conversations, replying, read state, the inbox and the header's count."""

import pytest
from django.test import Client

from tests.conftest import make_member
from tests.messaging.conftest import client_for, old_member
from townsquare.core.models import ActivityEvent
from townsquare.core.queries import get_community
from townsquare.messaging import actions, queries
from townsquare.messaging.models import Conversation, Message
from townsquare.moderation.models import ModerationSettings


def test_start_from_the_form(alice, bob, carol):
    client = client_for(alice)
    form = client.get("/messages/new/?to=bob").content.decode()
    assert 'value="bob"' in form
    response = client.post("/messages/new/", {"participants": "@bob, Carol", "body": "Hi *all*"})
    conversation = Conversation.objects.get()
    assert response["Location"] == f"/messages/{conversation.pk}/"
    people = {seat.user for seat in conversation.participants.all()}
    assert people == {alice, bob, carol}
    assert conversation.last_message.body_html == "<p>Hi <em>all</em></p>\n"


def test_reply_without_js_and_with_htmx(chat, alice, bob):
    client = client_for(bob)
    response = client.post(f"/messages/{chat.pk}/reply/", {"body": "Hi Alice"})
    assert response.status_code == 302
    response = client.post(
        f"/messages/{chat.pk}/reply/", {"body": "And again"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-swap-oob="beforeend:#messages"' in html
    assert "And again" in html and 'id="reply-form"' in html
    assert list(chat.messages.values_list("body", flat=True).order_by("pk")) == [
        "Hello **Bob**",
        "Hi Alice",
        "And again",
    ]


def test_read_state_and_header_count(chat, alice, bob):
    assert queries.unread_count(bob) == 1
    assert queries.unread_count(alice) == 0  # one has read what one wrote
    bob_client = client_for(bob)
    inbox = bob_client.get("/messages/").content.decode()
    assert 'class="unread"' in inbox
    header = bob_client.get("/").content.decode()
    assert 'href="/messages/">Messages <span class="badge"' in header
    bob_client.get(f"/messages/{chat.pk}/")
    assert queries.unread_count(bob) == 0
    assert 'class="unread"' not in bob_client.get("/messages/").content.decode()
    actions.send_message(bob, chat, "Thanks")
    assert queries.unread_count(alice) == 1


def test_header_count_costs_one_query(chat, bob, django_assert_num_queries):
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = bob
    template = Template("{% load messaging %}{% unread_conversations as n %}{{ n }}")
    with django_assert_num_queries(1):
        assert template.render(Context({"request": request})) == "1"
    request = RequestFactory().get("/")
    request.user = bob
    with django_assert_num_queries(0):  # the next page reads it from the cache
        assert template.render(Context({"request": request})) == "1"
    actions.send_message(bob, chat, "read by writing")
    actions.send_message(chat.started_by, chat, "new for bob")
    assert queries.unread_count(bob) == 1
    actions.mark_read(bob, chat)
    assert queries.unread_count(bob) == 0


def test_inbox_query_count_is_fixed(alice, guidelines, django_assert_max_num_queries):
    community = get_community()
    client = client_for(alice)

    def queries_for_inbox() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get("/messages/").status_code == 200
        return len(captured)

    friends = [old_member(f"friend{n}", guidelines) for n in range(6)]
    actions.start_conversation(alice, community, [friends[0].handle], "one")
    queries_for_inbox()  # warm the per-process caches (community, guidelines)
    few = queries_for_inbox()
    for friend in friends[1:]:
        conversation = actions.start_conversation(
            alice, community, [friend.handle, friends[0].handle], "group"
        )
        actions.send_message(friend, conversation, "reply")
    queries_for_inbox()  # the header's unread count was dropped from the cache: read it again
    assert queries_for_inbox() == few
    api_client = client_for(alice)
    with django_assert_max_num_queries(few):
        results = api_client.get("/api/v1/conversations").json()["results"]
    assert len(results) == 6
    assert sum(result["unread"] for result in results) == 5


def test_api_start_read_and_reply(alice, bob):
    client = client_for(alice)
    response = client.post(
        "/api/v1/conversations",
        {"participants": ["bob"], "body": "Hi <script>alert(1)</script> **Bob**"},
        "application/json",
    )
    assert response.status_code == 201
    data = response.json()
    assert [person["handle"] for person in data["participants"]] == ["alice", "bob"]
    assert "<script" not in data["last_message"]["body_html"]
    detail = client_for(bob).get(f"/api/v1/conversations/{data['id']}").json()
    assert detail["unread"] is True and detail["can_send"] is True
    assert detail["total_messages"] == 1
    sent = client_for(bob).post(
        f"/api/v1/conversations/{data['id']}/messages", {"body": "Hi"}, "application/json"
    )
    assert sent.status_code == 201
    assert sent.json()["author"]["handle"] == "bob"
    assert client_for(bob).get(f"/api/v1/conversations/{data['id']}").json()["unread"] is False


def test_api_pages_messages(chat, alice, bob, settings):
    settings.MESSAGING_MESSAGES_PER_PAGE = 2
    for n in range(4):
        actions.send_message(bob if n % 2 else alice, chat, f"message {n}")
    client = client_for(alice)
    last = client.get(f"/api/v1/conversations/{chat.pk}").json()
    assert last["page"] == 3 and last["pages"] == 3
    assert [m["body"] for m in last["messages"]] == ["message 3"]
    first = client.get(f"/api/v1/conversations/{chat.pk}?page=1").json()
    assert [m["body"] for m in first["messages"]] == ["Hello **Bob**", "message 0"]


def test_messages_are_recorded_without_their_text(chat, alice, bob):
    actions.send_message(bob, chat, "a secret")
    events = ActivityEvent.objects.filter(verb="message.sent").order_by("pk")
    assert [event.actor_id for event in events] == [alice.pk, bob.pk]
    for event in events:
        assert "secret" not in str(event.data) and "Bob" not in str(event.data)
        assert "secret" not in event.target_label
        assert event.data["conversation"] == chat.pk
    assert ActivityEvent.objects.filter(verb="conversation.started").count() == 1


# --- Bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("participants", "body", "error"),
    [
        ("bob", "   ", "Write a message first."),
        ("nobody", "Hi", "There is no member @nobody."),
        ("", "Hi", "This field is required."),
        ("alice", "Hi", "You cannot send a message to yourself."),
    ],
)
def test_bad_input_on_the_form_keeps_what_was_typed(alice, bob, participants, body, error):
    response = client_for(alice).post(
        "/messages/new/", {"participants": participants, "body": body or "   "}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert error in html
    if body.strip():
        assert body in html
    assert not Conversation.objects.exists()


def test_eleven_participants_are_too_many(alice, guidelines):
    handles = [old_member(f"member{n}", guidelines).handle for n in range(10)]
    response = client_for(alice).post(
        "/api/v1/conversations", {"participants": handles, "body": "Hi"}, "application/json"
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "A conversation has at most 9 other participants.",
        "field": "participants",
    }
    response = client_for(alice).post(
        "/api/v1/conversations", {"participants": handles[:9], "body": "Hi"}, "application/json"
    )
    assert response.status_code == 201


def test_api_bad_input(alice, bob):
    client = client_for(alice)
    cases = [
        ({"participants": ["bob"], "body": ""}, "body", "Write a message first."),
        ({"participants": ["ghost", "bob"], "body": "x"}, "participants", "@ghost"),
        ({"participants": ["ALICE"], "body": "x"}, "participants", "yourself"),
        ({"participants": [], "body": "x"}, "participants", "at least one member"),
    ]
    for payload, field, text in cases:
        response = client.post("/api/v1/conversations", payload, "application/json")
        assert response.status_code == 422, payload
        assert response.json()["field"] == field
        assert text in response.json()["detail"]
    assert not Conversation.objects.exists()


def test_empty_reply_keeps_the_page_and_loses_nothing(chat, bob):
    response = client_for(bob).post(f"/messages/{chat.pk}/reply/", {"body": "  "})
    assert response.status_code == 422
    assert "Write a message first." in response.content.decode()
    too_long = "x" * 10_001
    response = client_for(bob).post(
        f"/messages/{chat.pk}/reply/", {"body": too_long}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200  # htmx swaps the form back in, with its error
    html = response.content.decode()
    assert "the limit is 10000 characters" in html and too_long in html
    assert "hx-swap-oob" not in html
    assert chat.messages.count() == 1


def test_inbox_after_everyone_else_left(chat, alice, bob):
    actions.leave_conversation(bob, chat)
    assert "Only you" in client_for(alice).get("/messages/").content.decode()


def test_html_and_script_are_never_rendered(alice, bob):
    body = "<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3))"
    conversation = actions.start_conversation(alice, get_community(), ["bob"], body)
    message = Message.objects.get(conversation=conversation)
    assert "<script" not in message.body_html
    assert "<img" not in message.body_html  # shown as text, never as an element
    assert "href" not in message.body_html
    page = client_for(bob).get(f"/messages/{conversation.pk}/").content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;" in page


def test_new_accounts_are_rate_limited(guidelines, bob, carol, limits_on):
    ModerationSettings.objects.update_or_create(pk=1, defaults={"tl0_conversations_per_day": 2})
    newcomer = make_member("newbie", guidelines)  # trust level 0
    client = client_for(newcomer)
    for _n in range(2):
        response = client.post(
            "/api/v1/conversations", {"participants": ["bob"], "body": "hi"}, "application/json"
        )
        assert response.status_code == 201
    response = client.post(
        "/api/v1/conversations", {"participants": ["carol"], "body": "hi"}, "application/json"
    )
    assert response.status_code == 429
    assert "New members can start 2 conversations a day. Try again in" in response.json()["detail"]
    page = client.post("/messages/new/", {"participants": "carol", "body": "my text"})
    assert "Try again in" in page.content.decode() and "my text" in page.content.decode()
    assert Conversation.objects.count() == 2
    # replying is not limited, and long-standing members are not either
    conversation = Conversation.objects.first()
    assert client.post(f"/messages/{conversation.pk}/reply/", {"body": "more"}).status_code == 302
    for _n in range(3):
        actions.start_conversation(bob, get_community(), ["carol"], "hi")


def test_visitors_get_no_header_link(community):
    assert "/messages/" not in Client().get("/").content.decode()
