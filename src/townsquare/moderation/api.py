"""Moderation in the JSON API: flags, the review queue and the audit log.
See docs/moderation.md.

Members flag what they may see (anything else is 404, like what does not exist); the
review queue and its decisions are for staff (403 for others).
"""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from townsquare.api.auth import member_auth
from townsquare.core import permissions
from townsquare.core.queries import community_for
from townsquare.moderation import audit_log, queries
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


class AuditFilter(Schema):
    actor: str = Field("", max_length=150, description="A handle, or `system`.")
    action: str = Field("", max_length=64, description="An action, e.g. `topic.pinned`.")
    target_type: str = Field(
        "", max_length=100, description="`app_label.model`, e.g. `forum.topic`."
    )
    since: date | None = Field(None, description="On or after this day (YYYY-MM-DD).")
    until: date | None = Field(None, description="On or before this day (YYYY-MM-DD).")
    q: str = Field(
        "", max_length=audit_log.SEARCH_MAX, description="In the reason or the target's label."
    )
    limit: int = Field(audit_log.PAGE_SIZE, ge=1, le=audit_log.MAX_LIMIT)
    cursor: int | None = Field(None, ge=1, description="The id to continue after.")


class AuditEntryOut(Schema):
    id: int
    created_at: datetime
    actor: str = Field(..., description="`@handle` at the time, or `system`.")
    action: str
    target_type: str | None
    target_id: str
    target: str
    target_url: str | None = Field(None, description="Where you may still see the target.")
    reason: str
    before: dict[str, Any]
    after: dict[str, Any]


class AuditPage(Schema):
    results: list[AuditEntryOut]
    next_cursor: int | None = Field(None, description="Pass as `cursor` for the next page.")


@router.get(
    "/audit-log",
    response=AuditPage,
    auth=member_auth,
    summary="The audit log (staff only), newest first",
)
def audit_log_list(request: HttpRequest, filters: Query[AuditFilter]) -> dict:
    if not permissions.may_view_audit_log(request.user):
        raise PermissionDenied
    cleaned = audit_log.clean_filters(
        actor=filters.actor,
        action=filters.action,
        target_type=filters.target_type,
        since=filters.since,
        until=filters.until,
        q=filters.q,
    )
    entries, next_cursor = audit_log.page(cleaned, cursor=filters.cursor, limit=filters.limit)
    audit_log.target_links(request.user, community_for(request), entries)
    return {
        "results": [
            {
                "id": entry.pk,
                "created_at": entry.created_at,
                "actor": entry.actor_label,
                "action": entry.action,
                "target_type": (
                    f"{entry.target_type.app_label}.{entry.target_type.model}"
                    if entry.target_type_id
                    else None
                ),
                "target_id": entry.target_id,
                "target": entry.target_label,
                "target_url": (
                    request.build_absolute_uri(entry.target_url) if entry.target_url else None
                ),
                "reason": entry.reason,
                "before": entry.before,
                "after": entry.after,
            }
            for entry in entries
        ],
        "next_cursor": next_cursor,
    }
