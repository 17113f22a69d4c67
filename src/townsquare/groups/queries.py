"""Reads that the group pages and the API share, each in a fixed number of queries."""

from django.db.models import Case, Count, IntegerField, OuterRef, QuerySet, Subquery, Value, When

from townsquare.core import permissions
from townsquare.core.models import Community
from townsquare.core.permissions import AnyUser
from townsquare.forum.models import Topic
from townsquare.forum.queries import load_topics
from townsquare.groups.models import (
    Group,
    GroupMembership,
    GroupRole,
    Invitation,
    InvitationState,
    JoinRequest,
    RequestState,
)


def group_list(user: AnyUser, community: Community, kind: str = "") -> QuerySet[Group]:
    """Groups this user may see, with ``member_count`` and ``viewer_role`` (the user's
    own role, or None): one query whatever the length."""
    groups = permissions.visible_groups(user, community)
    if kind:
        groups = groups.filter(kind=kind)
    groups = groups.annotate(member_count=Count("memberships", distinct=True))
    if user.is_authenticated:
        own = GroupMembership.objects.filter(group=OuterRef("pk"), user=user).values("role")[:1]
        groups = groups.annotate(viewer_role=Subquery(own))
    return groups.order_by("name", "pk")


def visible_group(user: AnyUser, community: Community, slug: str) -> Group | None:
    """One group by its address, if this user may see it, with the user's role set for
    the policy's questions (``permissions.group_role``)."""
    group = group_list(user, community).filter(slug=slug).select_related("category").first()
    if group is not None:
        group.viewer_role_for = user.pk if user.is_authenticated else None
        group.viewer_role = getattr(group, "viewer_role", None)
    return group


def memberships(group: Group) -> QuerySet[GroupMembership]:
    """Members for the group's page and API: owners first, then managers, then by name."""
    return (
        GroupMembership.objects.filter(group=group, user__is_active=True)
        .select_related("user", "user__profile")
        .annotate(
            role_rank=Case(
                When(role=GroupRole.OWNER, then=Value(2)),
                When(role=GroupRole.MANAGER, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("-role_rank", "user__display_name", "user__pk")
    )


def owners(group: Group) -> list:
    return [
        membership.user
        for membership in GroupMembership.objects.filter(group=group, role=GroupRole.OWNER)
        .select_related("user")
        .order_by("user__display_name")
    ]


def latest_topics(user: AnyUser, community: Community, group: Group, limit: int = 5) -> list[Topic]:
    """The newest topics of the group's category, as the forum's policy lets this user see."""
    if group.category_id is None:
        return []
    topics = permissions.visible_topics(user, community).filter(category_id=group.category_id)
    return load_topics(topics.order_by("-last_posted_at", "-id")[:limit])


def pending_requests(group: Group) -> QuerySet[JoinRequest]:
    return (
        JoinRequest.objects.filter(group=group, state=RequestState.PENDING)
        .select_related("user")
        .order_by("created_at", "pk")
    )


def own_request(user: AnyUser, group: Group) -> JoinRequest | None:
    """The user's latest request to this group, whatever its state."""
    if not user.is_authenticated:
        return None
    return JoinRequest.objects.filter(group=group, user=user).order_by("-created_at", "-pk").first()


def own_invitation(user: AnyUser, group: Group) -> Invitation | None:
    if not user.is_authenticated:
        return None
    return Invitation.objects.filter(group=group, user=user, state=InvitationState.PENDING).first()


def pending_invitations(group: Group) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(group=group, state=InvitationState.PENDING)
        .select_related("user")
        .order_by("created_at", "pk")
    )
