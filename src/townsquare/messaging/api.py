"""Direct messages in the JSON API (``/api/v1/conversations``). See docs/api.md.

A conversation the caller is not in answers 404, exactly like one that does not exist, for
moderators and admins too. Writes go through ``messaging.actions``.
"""

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from pydantic import StringConstraints

from townsquare.api.auth import member_auth
from townsquare.core import permissions
from townsquare.core.queries import community_for
from townsquare.messaging import actions, queries
from townsquare.messaging.models import Conversation, Message

router = Router(tags=["messages"])

Handle = Annotated[str, StringConstraints(max_length=100)]
BODY_CEILING = 100_000  # the community's own limit is checked by the action, with its message


class PersonOut(Schema):
    handle: str
    display_name: str
    url: str


class MessageOut(Schema):
    id: int
    author: PersonOut | None = Field(None, description="Empty for a former member.")
    body: str
    body_html: str
    created_at: datetime


class ConversationOut(Schema):
    id: int
    participants: list[PersonOut]
    last_message: MessageOut | None
    last_message_at: datetime
    unread: bool
    url: str


class ConversationList(Schema):
    results: list[ConversationOut]
    page: int
    pages: int


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]
    page: int
    pages: int
    total_messages: int
    can_send: bool


class ConversationIn(Schema):
    participants: list[Handle] = Field(..., max_length=50)
    body: str = Field(..., max_length=BODY_CEILING)


class MessageIn(Schema):
    body: str = Field(..., max_length=BODY_CEILING)


class PageQuery(Schema):
    page: str = Field("1", pattern=r"^(\d{1,9}|last)$", description="A number, or last.")


class MessagePageQuery(Schema):
    page: str = Field("last", pattern=r"^(\d{1,9}|last)$", description="A number, or last.")


def _person(request: HttpRequest, user) -> dict | None:
    if user is None:  # a former member (accounts.privacy.delete_account)
        return None
    return {
        "handle": user.handle,
        "display_name": user.display_name,
        "url": request.build_absolute_uri(reverse("member_detail", args=[user.handle])),
    }


def _message(request: HttpRequest, message: Message) -> dict:
    return {
        "id": message.pk,
        "author": _person(request, message.author),
        "body": message.body,
        "body_html": message.body_html,
        "created_at": message.created_at,
    }


def _conversation(request: HttpRequest, conversation: Conversation) -> dict:
    last = conversation.last_message
    return {
        "id": conversation.pk,
        "participants": [_person(request, seat.user) for seat in conversation.seats],
        "last_message": _message(request, last) if last is not None else None,
        "last_message_at": conversation.last_message_at,
        "unread": conversation.is_unread,
        "url": request.build_absolute_uri(
            reverse("messaging:conversation", args=[conversation.pk])
        ),
    }


def _listed(request: HttpRequest, conversation_id: int) -> Conversation:
    return get_object_or_404(queries.inbox(request.user), pk=conversation_id)


PAGE_SIZE = 30


@router.get(
    "/conversations",
    response=ConversationList,
    auth=member_auth,
    summary="The caller's conversations, latest first",
)
def list_conversations(request: HttpRequest, query: Query[PageQuery]) -> dict:
    listing = queries.inbox(request.user)
    total = listing.count()
    pages = max(1, -(-total // PAGE_SIZE))
    number = pages if query.page == "last" else min(int(query.page) or 1, pages)
    start = (number - 1) * PAGE_SIZE
    return {
        "results": [_conversation(request, c) for c in listing[start : start + PAGE_SIZE]],
        "page": number,
        "pages": pages,
    }


@router.post(
    "/conversations",
    response={201: ConversationOut},
    auth=member_auth,
    summary="Start a conversation with up to 9 members (by handle) and a first message",
)
def create_conversation(request: HttpRequest, payload: ConversationIn) -> Status:
    conversation = actions.start_conversation(
        request.user, community_for(request), payload.participants, payload.body
    )
    return Status(201, _conversation(request, _listed(request, conversation.pk)))


@router.get(
    "/conversations/{conversation_id}",
    response=ConversationDetail,
    auth=member_auth,
    summary="One conversation and a page of its messages (oldest first; default: the last page)",
)
def get_conversation(
    request: HttpRequest, conversation_id: int, query: Query[MessagePageQuery]
) -> dict:
    conversation = _listed(request, conversation_id)
    page = queries.message_page(conversation, query.page)
    if page.messages:
        actions.mark_read(request.user, conversation, page.messages[-1].pk)
    return _conversation(request, conversation) | {
        "messages": [_message(request, message) for message in page.messages],
        "page": page.number,
        "pages": page.count,
        "total_messages": page.total,
        "can_send": permissions.may_send_message(request.user, conversation),
    }


@router.post(
    "/conversations/{conversation_id}/messages",
    response={201: MessageOut},
    auth=member_auth,
    summary="Send a message in a conversation",
)
def create_message(request: HttpRequest, conversation_id: int, payload: MessageIn) -> Status:
    conversation = get_object_or_404(
        permissions.visible_conversations(request.user), pk=conversation_id
    )
    message = actions.send_message(request.user, conversation, payload.body)
    return Status(201, _message(request, message))
