from datetime import date, datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from townsquare.accounts import actions, privacy, queries
from townsquare.accounts.models import DataExport, User
from townsquare.accounts.queries import Activity, MemberFilters, directory, show_fields
from townsquare.api.access import require_area
from townsquare.api.auth import member_auth
from townsquare.core.permissions import may_download_export, visible_groups, visible_members
from townsquare.core.queries import community_for

router = Router(tags=["members"])


class MemberOut(Schema):
    """A member as the caller may see them: a profile field the member hides from the
    caller is left out of the object, not sent empty."""

    handle: str
    display_name: str
    role: str
    joined: datetime
    bio: str | None = None
    company: str | None = None
    job_title: str | None = None
    location: str | None = None
    expertise: list[str] | None = None
    avatar_url: str | None
    profile_url: str


class MeOut(MemberOut):
    email: str
    language: str
    timezone: str
    guidelines_version: int | None


class MemberPage(Schema):
    results: list[MemberOut]
    next_cursor: int | None = Field(None, description="Pass as `cursor` for the next page.")


class MemberFilter(Schema):
    q: str = Field("", max_length=100, description="Search by handle or name.")
    company: str = Field("", max_length=100, description="Company contains this.")
    location: str = Field("", max_length=100, description="Location contains this.")
    expertise: str = Field("", max_length=40, description="Has this area of expertise.")
    group: str = Field("", max_length=80, description="Member of the group with this slug.")
    joined_after: date | None = Field(None, description="Joined on or after (YYYY-MM-DD).")
    joined_before: date | None = Field(None, description="Joined on or before (YYYY-MM-DD).")
    activity: Literal["", "active", "posted"] = Field(
        "", description="`active`: seen in the last 30 days; `posted`: has visible posts."
    )
    limit: int = Field(50, ge=1, le=200)
    cursor: int | None = Field(None, ge=1, description="The id to continue after.")


class FollowOut(Schema):
    handle: str
    following: bool
    followers: int


def member_out(request: HttpRequest, member: User) -> dict:
    """The member as ``request.user`` may see them (``show_fields`` must have run)."""
    profile = member.profile
    return {
        "handle": member.handle,
        "display_name": member.display_name,
        "role": member.role,
        "joined": member.date_joined,
        **member.shown,
        "avatar_url": request.build_absolute_uri(profile.avatar.url) if profile.avatar else None,
        "profile_url": request.build_absolute_uri(f"/u/{member.handle}/"),
    }


def _filters(request: HttpRequest, params: MemberFilter) -> MemberFilters:
    group = None
    if params.group:
        groups = visible_groups(request.user, community_for(request))
        group = groups.filter(slug=params.group).first()
        if group is None:
            raise ValidationError(
                {"group": _("There is no group “%(value)s”.") % {"value": params.group}}
            )
    if params.joined_after and params.joined_before and params.joined_after > params.joined_before:
        raise ValidationError({"joined_before": _("This date is before the “joined after” date.")})
    return MemberFilters(
        q=params.q.strip(),
        company=params.company.strip(),
        location=params.location.strip(),
        expertise=params.expertise.strip(),
        group=group,
        joined_after=params.joined_after,
        joined_before=params.joined_before,
        activity=params.activity or Activity.ANY,
    )


def _member_page(request: HttpRequest, params: MemberFilter) -> dict:
    require_area(request, "members")
    community = community_for(request)
    members = queries.search_members(request.user, community, _filters(request, params))
    members = members.order_by("-id")
    if params.cursor:
        members = members.filter(id__lt=params.cursor)
    page = list(members[: params.limit + 1])
    more = len(page) > params.limit
    page = show_fields(request.user, page[: params.limit])
    return {
        "results": [member_out(request, m) for m in page],
        "next_cursor": page[-1].id if more else None,
    }


@router.get("/me", response=MeOut, auth=member_auth, summary="The signed-in member")
def me(request: HttpRequest) -> dict:
    user = directory(User.objects.filter(pk=request.user.pk)).get()
    show_fields(request.user, [user])
    return member_out(request, user) | {
        "email": user.email,
        "language": user.language,
        "timezone": user.timezone,
        "guidelines_version": user.guidelines_version,
    }


@router.get(
    "/members",
    response=MemberPage,
    exclude_unset=True,
    summary="The member directory, newest first, with filters",
)
def list_members(request: HttpRequest, filters: Query[MemberFilter]) -> dict:
    return _member_page(request, filters)


@router.get(
    "/users",
    response=MemberPage,
    exclude_unset=True,
    summary="Members, newest first (the same list and filters as /members)",
)
def list_users(request: HttpRequest, filters: Query[MemberFilter]) -> dict:
    return _member_page(request, filters)


def _visible_member(request: HttpRequest, handle: str) -> User:
    require_area(request, "members")
    members = directory(visible_members(request.user, community_for(request)))
    return get_object_or_404(members, handle__iexact=handle)


@router.get(
    "/users/{handle}", response=MemberOut, exclude_unset=True, summary="One member's profile"
)
def get_user(request: HttpRequest, handle: str) -> dict:
    member = show_fields(request.user, [_visible_member(request, handle)])[0]
    return member_out(request, member)


@router.get(
    "/members/{handle}", response=MemberOut, exclude_unset=True, summary="One member's profile"
)
def get_member(request: HttpRequest, handle: str) -> dict:
    return get_user(request, handle)


def _follow_out(request: HttpRequest, member: User) -> dict:
    followers, following = queries.follow_state(request.user, member)
    return {"handle": member.handle, "following": following, "followers": followers}


@router.post(
    "/members/{handle}/follow",
    response=FollowOut,
    auth=member_auth,
    summary="Follow a member (hear about their new topics); following twice changes nothing",
)
def follow_member(request: HttpRequest, handle: str) -> dict:
    member = _visible_member(request, handle)
    actions.follow(request.user, member)
    return _follow_out(request, member)


@router.delete(
    "/members/{handle}/follow",
    response=FollowOut,
    auth=member_auth,
    summary="Stop following a member",
)
def unfollow_member(request: HttpRequest, handle: str) -> dict:
    member = _visible_member(request, handle)
    actions.unfollow(request.user, member)
    return _follow_out(request, member)


class DataExportOut(Schema):
    status: Literal["pending", "ready", "failed", "expired"]
    requested_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None
    size: int = Field(description="Bytes of the zip, once ready.")
    download_url: str | None = Field(
        None, description="GET with your token while ready: the zip (data.json and files)."
    )


def _export_out(request: HttpRequest, export: DataExport) -> dict:
    ready = export.status == DataExport.Status.READY
    expired = ready and export.expires_at <= timezone.now()
    return {
        "status": "expired" if expired else export.status,
        "requested_at": export.requested_at,
        "finished_at": export.finished_at,
        "expires_at": export.expires_at,
        "size": export.size,
        "download_url": request.build_absolute_uri("/api/v1/me/export/download")
        if ready and not expired
        else None,
    }


@router.post(
    "/me/export",
    response={202: DataExportOut},
    auth=member_auth,
    summary="Ask for a copy of everything about you (once a day); a job prepares it",
)
def request_export(request: HttpRequest) -> Status:
    try:
        export = privacy.request_export(request.user, request.user)
    except ValidationError as error:
        if error.code == "too_soon":
            raise HttpError(429, " ".join(error.messages)) from error
        raise
    return Status(202, _export_out(request, export))


def _latest_export(request: HttpRequest) -> DataExport:
    export = privacy.latest_export(request.user)
    if export is None:
        raise Http404
    return export


@router.get(
    "/me/export",
    response=DataExportOut,
    auth=member_auth,
    summary="Your latest data export: its status and, when ready, where to download it",
)
def export_status(request: HttpRequest) -> dict:
    return _export_out(request, _latest_export(request))


@router.get(
    "/me/export/download",
    auth=member_auth,
    summary="Download your latest data export (a zip) while it is ready",
)
def download_export(request: HttpRequest) -> FileResponse:
    export = _latest_export(request)
    ready = export.status == DataExport.Status.READY and export.expires_at > timezone.now()
    if not ready or not may_download_export(request.user, export):
        raise Http404
    return FileResponse(export.file.open("rb"), as_attachment=True, filename="data-export.zip")
