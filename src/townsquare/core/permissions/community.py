"""The community as a whole: areas, settings, roles, members."""

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from townsquare.accounts.models import Role, User
from townsquare.core.models import Community

AnyUser = User | AnonymousUser


def _role(user: AnyUser) -> str | None:
    if not user.is_authenticated or not user.is_active:
        return None
    return user.role


STAFF_ROLES = {Role.MODERATOR, Role.MANAGER, Role.ADMIN}


def is_member(user: AnyUser) -> bool:
    return _role(user) is not None


def is_staff(user: AnyUser) -> bool:
    """Moderators, community managers and admins: they moderate and see every category."""
    return _role(user) in STAFF_ROLES


def is_manager(user: AnyUser) -> bool:
    """Community managers and admins: they shape the community's structure and calendar."""
    return _role(user) in {Role.ADMIN, Role.MANAGER}


def require(allowed: bool) -> None:
    """In a view or an action: go no further unless the policy said yes (PermissionDenied,
    a 403 in a view)."""
    if not allowed:
        raise PermissionDenied


def may_view_area(user: AnyUser, community: Community, area: str) -> bool:
    return is_member(user) or community.area_is_public(area)


def may_change_settings(user: AnyUser) -> bool:
    """Name, logo, access mode: the shape of the community."""
    return _role(user) == Role.ADMIN


def may_edit_mission(user: AnyUser) -> bool:
    """Mission, goals and guidelines: the community's direction."""
    return is_manager(user)


def may_manage_groups(user: AnyUser) -> bool:
    return is_manager(user)


def may_assign_roles(user: AnyUser) -> bool:
    return _role(user) == Role.ADMIN


def may_manage_jobs(user: AnyUser) -> bool:
    """See failed background jobs (their arguments may hold mail), retry or dismiss them."""
    return _role(user) == Role.ADMIN


def may_manage(user: AnyUser) -> bool:
    """Whether the management pages are shown at all."""
    return may_change_settings(user) or may_edit_mission(user)


def may_edit_profile(user: AnyUser, member: User) -> bool:
    return is_member(user) and (user.pk == member.pk or _role(user) == Role.ADMIN)


def visible_members(user: AnyUser, community: Community) -> QuerySet[User]:
    """Members this user may see in the directory, the API and feeds."""
    if not may_view_area(user, community, "members"):
        return User.objects.none()
    # Accounts that never confirmed their email are not members yet.
    return User.objects.filter(is_active=True, guidelines_version__isnull=False)
