"""Groups: which a user may see, and what they may do in them."""

from django.db.models import Q, QuerySet

from townsquare.core.models import Community
from townsquare.core.permissions.community import AnyUser, is_manager, may_view_area
from townsquare.groups.models import Group, GroupMembership, JoinPolicy


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
