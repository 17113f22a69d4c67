"""Moderation in the JSON API: flags, the review queue and the audit log.
See docs/moderation.md."""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from townsquare.api.auth import member_auth
from townsquare.core import permissions
from townsquare.core.queries import community_for
from townsquare.moderation import audit_log

router = Router(tags=["moderation"])


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
