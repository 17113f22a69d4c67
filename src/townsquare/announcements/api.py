"""Announcements in the JSON API (``/api/v1/announcements``). See docs/announcements.md.

Community managers and admins only: others get 403 on the list and on creating, and 404
for any one announcement, exactly like one that does not exist.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from townsquare.announcements import actions, queries, segments
from townsquare.announcements.models import Announcement, Segment
from townsquare.api.auth import member_auth
from townsquare.core import permissions
from townsquare.core.queries import community_for

router = Router(tags=["announcements"])


class SegmentFields(Schema):
    segment: Segment | None = None
    group: str | None = Field(None, max_length=100, description="A group's slug")
    role: str | None = Field(None, max_length=10)
    days: int | None = None
    field: str | None = Field(None, max_length=100)
    value: str | None = Field(None, max_length=200)


class AnnouncementIn(SegmentFields):
    subject: str = Field(..., max_length=1000)
    body: str = Field(..., max_length=100_000)


class AnnouncementPatch(SegmentFields):
    subject: str | None = Field(None, max_length=1000)
    body: str | None = Field(None, max_length=100_000)


class Counts(Schema):
    recipients: int
    queued: int
    sent: int
    failed: int
    skipped: int


class Reach(Schema):
    matching: int
    reachable: int
    unsubscribed: int
    bouncing: int


class Failure(Schema):
    member: str
    reason: str


class AnnouncementOut(Schema):
    id: int
    subject: str
    body: str
    segment: str
    group: str | None
    role: str | None
    days: int | None
    field: str | None
    value: str | None
    status: str
    author: str | None
    created_at: datetime
    updated_at: datetime
    send_started_at: datetime | None
    send_finished_at: datetime | None
    counts: Counts
    reach: Reach | None = Field(None, description="For a draft: who the segment matches now")


class AnnouncementDetail(AnnouncementOut):
    failures: list[Failure]


class AnnouncementList(Schema):
    results: list[AnnouncementOut]


class TestOut(Schema):
    sent_to: str


def _require(request: HttpRequest) -> None:
    if not permissions.may_send_announcements(request.user):
        raise PermissionDenied


def _get(request: HttpRequest, announcement_id: int) -> Announcement:
    if not permissions.may_send_announcements(request.user):
        raise Http404
    announcement = (
        queries.with_counts().filter(pk=announcement_id).select_related("segment_group").first()
    )
    if announcement is None:
        raise Http404
    return announcement


def _out(announcement: Announcement, counts: dict[str, int] | None = None) -> dict:
    if counts is None:
        counts = {
            status: getattr(announcement, status)
            for status in ("queued", "sent", "failed", "skipped")
        }
    reach = None
    if announcement.is_draft:
        found = segments.reach(announcement)
        reach = {
            "matching": found.matching,
            "reachable": found.reachable,
            "unsubscribed": found.unsubscribed,
            "bouncing": found.bouncing,
        }
    return {
        "id": announcement.pk,
        "subject": announcement.subject,
        "body": announcement.body,
        "segment": announcement.segment,
        "group": announcement.segment_group.slug if announcement.segment_group_id else None,
        "role": announcement.segment_role or None,
        "days": announcement.segment_days,
        "field": announcement.segment_field or None,
        "value": announcement.segment_value or None,
        "status": announcement.status,
        "author": announcement.author.handle if announcement.author_id else None,
        "created_at": announcement.created_at,
        "updated_at": announcement.updated_at,
        "send_started_at": announcement.send_started_at,
        "send_finished_at": announcement.send_finished_at,
        "counts": {"recipients": announcement.recipient_count, **counts},
        "reach": reach,
    }


def _detail(request: HttpRequest, announcement_id: int) -> dict:
    announcement = _get(request, announcement_id)
    return {
        **_out(announcement),
        "failures": [
            {"member": delivery.user.handle, "reason": delivery.reason}
            for delivery in queries.failures(announcement)
        ],
    }


_SEGMENT_NAMES = {
    "segment": "segment",
    "role": "segment_role",
    "days": "segment_days",
    "field": "segment_field",
    "value": "segment_value",
}
# Errors of the action name model fields; the API's inputs are named without "segment_".
_ERROR_FIELDS = {"segment_group": "group", **{v: k for k, v in _SEGMENT_NAMES.items()}}


def _values(request: HttpRequest, payload: SegmentFields, *, partial: bool) -> dict:
    given = payload.dict(exclude_unset=partial)
    values = {}
    for key in ("subject", "body"):
        if key in given and given[key] is not None:
            values[key] = given[key]
    for key, name in _SEGMENT_NAMES.items():
        if key in given:
            values[name] = given[key] if given[key] is not None else ""
    if values.get("segment_days") == "":
        values["segment_days"] = None
    if "group" in given:
        slug = given["group"]
        values["segment_group"] = None
        if slug:
            group = (
                permissions.visible_groups(request.user, community_for(request))
                .filter(slug=slug)
                .first()
            )
            if group is None:
                message = _("There is no group “%(value)s”.") % {"value": slug}
                raise ValidationError({"segment_group": [message]})
            values["segment_group"] = group
    return values


def _rename_errors(error: ValidationError) -> ValidationError:
    if hasattr(error, "error_dict"):
        return ValidationError(
            {_ERROR_FIELDS.get(field, field): errors for field, errors in error.error_dict.items()}
        )
    return error


@router.get("/announcements", response=AnnouncementList, auth=member_auth)
def list_announcements(request: HttpRequest) -> dict:
    """Every announcement, newest first (at most 200), with its counts."""
    _require(request)
    return {"results": [_out(item) for item in queries.with_counts()[:200]]}


@router.post("/announcements", response={201: AnnouncementDetail}, auth=member_auth)
def create_announcement(request: HttpRequest, payload: AnnouncementIn) -> Status:
    """Write a draft."""
    _require(request)
    try:
        announcement = actions.create_announcement(
            request.user, **_values(request, payload, partial=False)
        )
    except ValidationError as error:
        raise _rename_errors(error) from error
    return Status(201, _detail(request, announcement.pk))


@router.get("/announcements/{announcement_id}", response=AnnouncementDetail, auth=member_auth)
def get_announcement(request: HttpRequest, announcement_id: int) -> dict:
    return _detail(request, announcement_id)


@router.patch("/announcements/{announcement_id}", response=AnnouncementDetail, auth=member_auth)
def update_announcement(
    request: HttpRequest, announcement_id: int, payload: AnnouncementPatch
) -> dict:
    """Change a draft: only the fields given change."""
    announcement = _get(request, announcement_id)
    try:
        actions.update_announcement(
            request.user, announcement, **_values(request, payload, partial=True)
        )
    except ValidationError as error:
        raise _rename_errors(error) from error
    return _detail(request, announcement_id)


@router.post("/announcements/{announcement_id}/test", response=TestOut, auth=member_auth)
def send_test(request: HttpRequest, announcement_id: int) -> dict:
    """Send the announcement, marked [Test], to the caller only."""
    actions.send_test(request.user, _get(request, announcement_id))
    return {"sent_to": request.user.email}


@router.post(
    "/announcements/{announcement_id}/send", response={202: AnnouncementDetail}, auth=member_auth
)
def send_announcement(request: HttpRequest, announcement_id: int) -> Status:
    """Send a draft to its segment through the queue; poll GET for the counts."""
    actions.send_announcement(request.user, _get(request, announcement_id))
    return Status(202, _detail(request, announcement_id))
