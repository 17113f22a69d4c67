"""Notifications in the JSON API (``/api/v1/notifications``). See docs/notifications.md.

Only the caller's own notifications, and only those about what they may still see.
"""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema

from townsquare.api.auth import member_auth
from townsquare.core.queries import community_for
from townsquare.notifications import actions, queries

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    count: int
    unread: bool
    actor: str | None
    url: str
    created_at: datetime


class NotificationList(Schema):
    results: list[NotificationOut]
    unread: int


class ReadIn(Schema):
    ids: list[int] | None = Field(None, max_length=1000)
    all: bool = False


class ReadOut(Schema):
    marked: int
    unread: int


@router.get("/notifications", response=NotificationList, auth=member_auth)
def list_notifications(request: HttpRequest) -> dict:
    """The newest notifications, gathered as in the notification centre."""
    entries = queries.centre(request.user, community_for(request))
    return {
        "results": [
            {
                "id": entry.first.pk,
                "kind": entry.first.kind,
                "text": entry.text,
                "count": entry.count,
                "unread": entry.unread,
                "actor": entry.first.actor.handle if entry.first.actor_id else None,
                "url": request.build_absolute_uri(entry.url),
                "created_at": entry.first.created_at,
            }
            for entry in entries
        ],
        "unread": queries.unread_count(request.user),
    }


@router.post("/notifications/read", response=ReadOut, auth=member_auth)
def read_notifications(request: HttpRequest, payload: ReadIn) -> dict:
    """Mark some (``ids``, with those gathered with them) or ``all`` read. Ids of others'
    notifications change nothing."""
    if payload.all:
        marked = actions.mark_read(request.user)
    else:
        marked = actions.mark_read(request.user, payload.ids or [])
    return {"marked": marked, "unread": queries.unread_count(request.user)}
