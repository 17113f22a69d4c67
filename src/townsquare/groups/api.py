"""Groups in the JSON API (``/api/v1/groups``): the same policy and actions as the pages.
What the caller may not see (a secret group, to an outsider) is "not found". See
docs/api.md."""

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from townsquare.accounts.models import User
from townsquare.api.access import require_area
from townsquare.api.auth import member_auth
from townsquare.core import permissions
from townsquare.core.queries import community_for
from townsquare.groups import actions, queries
from townsquare.groups.models import Group, GroupKind, JoinPolicy

router = Router(tags=["groups"])


class GroupOut(Schema):
    slug: str
    name: str
    description: str
    kind: str
    policy: str
    location: str
    member_count: int
    my_role: str | None = Field(None, description="The caller's role in the group, if any.")
    url: str


class GroupList(Schema):
    results: list[GroupOut]


class GroupIn(Schema):
    name: str = Field(..., max_length=80)
    slug: str = Field("", max_length=80, description="Made from the name when left out.")
    description: str = Field("", max_length=2000)
    kind: GroupKind = GroupKind.INTEREST
    policy: JoinPolicy | None = Field(None, description="The kind's usual policy when left out.")
    location: str = Field("", max_length=100, description="Needed for a chapter.")


class JoinIn(Schema):
    note: str = Field("", max_length=500, description="For a group on request.")


class MembershipOut(Schema):
    state: str = Field(..., description='"member" (joined) or "requested" (owners will answer).')
    role: str | None = None


def _group_out(request: HttpRequest, group: Group) -> dict:
    return {
        "slug": group.slug,
        "name": group.name,
        "description": group.description,
        "kind": group.kind,
        "policy": group.policy,
        "location": group.location,
        "member_count": getattr(group, "member_count", 0),
        "my_role": getattr(group, "viewer_role", None),
        "url": request.build_absolute_uri(group.get_absolute_url()),
    }


def _group_or_404(request: HttpRequest, slug: str) -> Group:
    group = queries.visible_group(request.user, community_for(request), slug)
    if group is None:
        raise Http404
    return group


@router.get("/groups", response=GroupList, summary="Groups the caller may see")
def list_groups(request: HttpRequest, kind: GroupKind | None = None) -> dict:
    require_area(request, "members")
    groups = queries.group_list(request.user, community_for(request), kind or "")[:500]
    return {"results": [_group_out(request, group) for group in groups]}


@router.post(
    "/groups",
    response={201: GroupOut},
    auth=member_auth,
    summary="Create a group (community managers and admins)",
)
def create_group(request: HttpRequest, payload: GroupIn) -> Status:
    require_area(request, "members")
    group = actions.create_group(
        request.user,
        name=payload.name,
        slug=payload.slug,
        description=payload.description,
        kind=payload.kind,
        policy=payload.policy,
        location=payload.location,
    )
    return Status(201, _group_out(request, _group_or_404(request, group.slug)))


@router.get("/groups/{slug}", response=GroupOut, summary="One group")
def get_group(request: HttpRequest, slug: str) -> dict:
    require_area(request, "members")
    return _group_out(request, _group_or_404(request, slug))


@router.post(
    "/groups/{slug}/members",
    response={200: MembershipOut, 201: MembershipOut},
    auth=member_auth,
    summary="Join the group, or ask to join when its policy says so",
)
def join_group(request: HttpRequest, slug: str, payload: JoinIn | None = None) -> Status:
    require_area(request, "members")
    group = _group_or_404(request, slug)
    user = request.user
    role = permissions.group_role(user, group)
    if role is not None:
        return Status(200, {"state": "member", "role": role})
    if permissions.may_request(user, group):
        if actions.pending_request(group, user) is not None:
            return Status(200, {"state": "requested", "role": None})
        actions.request_to_join(user, group, payload.note if payload else "")
        return Status(201, {"state": "requested", "role": None})
    invitation = queries.own_invitation(user, group)
    if invitation is not None:
        actions.answer_invitation(user, invitation, accept=True)
    else:
        actions.join_group(user, group)  # PermissionDenied for invitation-only groups
    return Status(201, {"state": "member", "role": permissions.group_role(user, group)})


@router.delete(
    "/groups/{slug}/members/{handle}",
    response={204: None},
    auth=member_auth,
    summary="Leave the group (your own handle), or remove a member (owners and managers)",
)
def remove_member(request: HttpRequest, slug: str, handle: str) -> Status:
    require_area(request, "members")
    group = _group_or_404(request, slug)
    user = request.user
    if handle.lower() == user.handle.lower():
        actions.leave_group(user, group)
        return Status(204, None)
    if not permissions.may_manage_group(user, group):
        raise Http404  # a stranger learns nothing about who is in the group
    member = get_object_or_404(User, handle__iexact=handle, group_memberships__group=group)
    actions.remove_member(user, group, member)
    return Status(204, None)
