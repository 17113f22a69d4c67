"""Moderation in the JSON API: flags, the review queue and the audit log.
See docs/moderation.md.

Members flag what they may see (anything else is 404, like what does not exist); the
review queue and its decisions are for staff (403 for others).
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from townsquare.api.auth import member_auth
from townsquare.core import permissions
from townsquare.moderation import queries
from townsquare.moderation.actions import review
from townsquare.moderation.actions.flags import FLAG_NOTE_MAX, flag
from townsquare.moderation.models import Flag, ReviewItem

router = Router(tags=["moderation"])


class FlagIn(Schema):
    target_type: str = Field(..., description="post, topic, member or message")
    target_id: str = Field(..., max_length=100, description="An id; a handle for members")
    reason: str = Field(..., description="spam, inappropriate, off_topic, guideline or other")
    note: str = Field("", max_length=FLAG_NOTE_MAX)


class FlagOut(Schema):
    id: int
    review_item: int
    target_type: str
    target_id: str
    reason: str
    note: str
    created_at: datetime


class FlagDetail(Schema):
    flagger: str | None
    reason: str
    note: str
    created_at: datetime


class ReviewItemOut(Schema):
    id: int
    kind: str = Field(..., description="post, topic, member, message or queued")
    status: str
    target_id: str
    author: str | None
    flag_count: int
    flags: list[FlagDetail]
    auto_hidden: bool
    payload: dict
    signals: list
    created_at: datetime
    decision: str
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str
    guideline: str


class ReviewQueuePage(Schema):
    results: list[ReviewItemOut]
    count: int
    next_cursor: int | None = Field(None, description="Pass as `cursor` for the next page.")


class QueueFilter(Schema):
    kind: str | None = Field(None, description="post, topic, member, message or queued")
    reason: str | None = Field(None, description="A flag reason")
    limit: int = Field(30, ge=1, le=100)
    cursor: int | None = Field(None, ge=1, description="The item id to continue after.")


class DecisionIn(Schema):
    decision: str = Field(..., description="keep, edit, hide, delete, approve or reject")
    reason: str = Field("", max_length=review.REASON_MAX)
    guideline: str = Field("", max_length=100, description="An anchor of /guidelines")
    body: str | None = Field(None, max_length=100_000, description="The new text, for edit")
    member_action: str | None = Field(None, description="warn, silence or suspend")
    days: int | None = Field(None, ge=1, le=review.MAX_SANCTION_DAYS)


def _handle(user) -> str | None:
    return f"@{user.handle}" if user is not None else None


def _item_out(item: ReviewItem) -> dict:
    return {
        "id": item.pk,
        "kind": item.target_kind,
        "status": item.status,
        "target_id": item.target_id,
        "author": _handle(item.author),
        "flag_count": item.flag_count,
        "flags": [
            {
                "flagger": _handle(found.flagger),
                "reason": found.reason,
                "note": found.note,
                "created_at": found.created_at,
            }
            for found in item.flag_list
        ],
        "auto_hidden": item.auto_hidden,
        "payload": item.payload,
        "signals": item.signals,
        "created_at": item.created_at,
        "decision": item.decision,
        "decided_by": _handle(item.decided_by),
        "decided_at": item.decided_at,
        "decision_reason": item.decision_reason,
        "guideline": item.guideline,
    }


@router.post("/flags", response={201: FlagOut}, auth=member_auth, summary="Flag something")
def create_flag(request: HttpRequest, payload: FlagIn) -> Status:
    if payload.target_type not in queries.TARGET_KINDS:
        raise Http404
    target = queries.flag_target(request.user, payload.target_type, payload.target_id)
    created: Flag = flag(request.user, target, reason=payload.reason, note=payload.note)
    return Status(
        201,
        {
            "id": created.pk,
            "review_item": created.item_id,
            "target_type": payload.target_type,
            "target_id": str(target.pk),
            "reason": created.reason,
            "note": created.note,
            "created_at": created.created_at,
        },
    )


def _require_reviewer(request: HttpRequest) -> None:
    if not permissions.may_review(request.user):
        raise PermissionDenied


@router.get(
    "/review-queue",
    response=ReviewQueuePage,
    auth=member_auth,
    summary="Pending review items, oldest first (staff)",
)
def list_review_queue(request: HttpRequest, filters: Query[QueueFilter]) -> dict:
    _require_reviewer(request)
    items = queries.pending_items(kind=filters.kind, reason=filters.reason)
    count = items.count()
    if filters.cursor:
        after = ReviewItem.objects.filter(pk=filters.cursor).values("created_at").first()
        if after is not None:
            items = items.filter(created_at__gte=after["created_at"]).exclude(
                created_at=after["created_at"], id__lte=filters.cursor
            )
    page = list(items.select_related("decided_by")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    queries.attach_targets(page)
    return {
        "results": [_item_out(item) for item in page],
        "count": count,
        "next_cursor": page[-1].pk if more else None,
    }


@router.post(
    "/review-queue/{item_id}/decision",
    response=ReviewItemOut,
    auth=member_auth,
    summary="Decide on a review item (staff)",
)
def decide_item(request: HttpRequest, item_id: int, payload: DecisionIn) -> dict:
    _require_reviewer(request)
    item = get_object_or_404(ReviewItem, pk=item_id)
    decided = review.decide(
        request.user, item, payload.decision,
        reason=payload.reason, guideline=payload.guideline, body=payload.body,
        sanction=payload.member_action or None, days=payload.days,
    )  # fmt: skip
    decided = ReviewItem.objects.select_related("author", "decided_by").get(pk=decided.pk)
    queries.attach_targets([decided])
    return _item_out(decided)
