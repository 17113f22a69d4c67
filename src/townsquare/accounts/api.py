from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from townsquare.accounts.models import User
from townsquare.accounts.queries import directory
from townsquare.api.access import require_area
from townsquare.api.auth import member_auth
from townsquare.core.permissions import visible_members
from townsquare.core.queries import community_for

router = Router(tags=["members"])


class MemberOut(Schema):
    handle: str
    display_name: str
    role: str
    joined: datetime
    bio: str
    company: str
    job_title: str
    location: str
    expertise: list[str]
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
    q: str = Field("", max_length=100, description="Search by handle, name, company, place.")
    limit: int = Field(50, ge=1, le=200)
    cursor: int | None = Field(None, ge=1, description="The id to continue after.")


def member_out(request: HttpRequest, member: User) -> dict:
    profile = member.profile
    return {
        "handle": member.handle,
        "display_name": member.display_name,
        "role": member.role,
        "joined": member.date_joined,
        "bio": profile.bio,
        "company": profile.company,
        "job_title": profile.job_title,
        "location": profile.location,
        "expertise": [tag.name for tag in profile.expertise.all()],
        "avatar_url": request.build_absolute_uri(profile.avatar.url) if profile.avatar else None,
        "profile_url": request.build_absolute_uri(f"/u/{member.handle}/"),
    }


@router.get("/me", response=MeOut, auth=member_auth, summary="The signed-in member")
def me(request: HttpRequest) -> dict:
    user = directory(User.objects.filter(pk=request.user.pk)).get()
    return member_out(request, user) | {
        "email": user.email,
        "language": user.language,
        "timezone": user.timezone,
        "guidelines_version": user.guidelines_version,
    }


@router.get("/users", response=MemberPage, summary="Members, newest first")
def list_users(request: HttpRequest, filters: Query[MemberFilter]) -> dict:
    require_area(request, "members")
    members = visible_members(request.user, community_for(request))
    members = directory(members, filters.q).order_by("-id")
    if filters.cursor:
        members = members.filter(id__lt=filters.cursor)
    page = list(members[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {
        "results": [member_out(request, m) for m in page],
        "next_cursor": page[-1].id if more else None,
    }


@router.get("/users/{handle}", response=MemberOut, summary="One member's profile")
def get_user(request: HttpRequest, handle: str) -> dict:
    require_area(request, "members")
    members = directory(visible_members(request.user, community_for(request)))
    return member_out(request, get_object_or_404(members, handle__iexact=handle))
