"""Groups: which a user may see, and what they may do in them.

A group's owners and managers run it (members, requests, invitations, its page); community
managers and admins may run every group. Secret groups exist only for their members and
community managers: to everyone else they answer like a group that does not exist.
"""

from django.db.models import Q, QuerySet

from townsquare.core.models import Community
from townsquare.core.permissions.community import AnyUser, is_manager, is_member, may_view_area
from townsquare.groups.models import Group, GroupMembership, GroupRole, JoinPolicy

RUNNING_ROLES = {GroupRole.OWNER, GroupRole.MANAGER}


def visible_groups(user: AnyUser, community: Community) -> QuerySet[Group]:
    """Groups this user may know exist: in lists, profiles, search, the API and
    notifications. A secret group is visible only to its members and community managers;
    to everyone else it answers exactly like a group that does not exist."""
    if not may_view_area(user, community, "members"):
        return Group.objects.none()
    if is_manager(user):
        return Group.objects.all()
    if not user.is_authenticated:
        return Group.objects.exclude(policy=JoinPolicy.SECRET)
    own = GroupMembership.objects.filter(user=user).values("group_id")
    return Group.objects.filter(~Q(policy=JoinPolicy.SECRET) | Q(pk__in=own))


def group_role(user: AnyUser, group: Group) -> str | None:
    """The user's role in the group, or None. Pages that ask several questions about one
    group set ``group.viewer_role`` first (groups.queries.for_viewer) to save queries."""
    if not is_member(user):
        return None
    if getattr(group, "viewer_role_for", None) == user.pk:
        return group.viewer_role
    role = (
        GroupMembership.objects.filter(group=group, user=user)
        .values_list("role", flat=True)
        .first()
    )
    group.viewer_role_for, group.viewer_role = user.pk, role
    return role


def may_create_group(user: AnyUser) -> bool:
    """Creating groups shapes the community: community managers and admins."""
    return is_manager(user)


def may_manage_group(user: AnyUser, group: Group) -> bool:
    """Edit the group, answer requests, invite, remove members: owners, the group's
    managers, and community managers."""
    return is_manager(user) or group_role(user, group) in RUNNING_ROLES


def may_change_roles(user: AnyUser, group: Group) -> bool:
    """Promote and demote: the group's owners and community managers."""
    return is_manager(user) or group_role(user, group) == GroupRole.OWNER


def may_join(user: AnyUser, group: Group) -> bool:
    """Join at once: open groups, for members not in it yet."""
    return is_member(user) and group.policy == JoinPolicy.OPEN and group_role(user, group) is None


def may_request(user: AnyUser, group: Group) -> bool:
    """Ask to join: groups on request, for members not in it yet."""
    return (
        is_member(user) and group.policy == JoinPolicy.REQUEST and group_role(user, group) is None
    )


def may_invite(user: AnyUser, group: Group) -> bool:
    return is_member(user) and may_manage_group(user, group)


def may_leave(user: AnyUser, group: Group) -> bool:
    """Anyone in a group may leave it (the last owner is stopped by the action)."""
    return group_role(user, group) is not None
