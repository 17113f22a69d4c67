"""The analytics dashboard and its API: who may read the community's numbers."""

from townsquare.core.permissions.community import AnyUser, is_manager


def may_view_analytics(user: AnyUser) -> bool:
    """Community managers and admins read the dashboard, its CSV exports and
    /api/v1/metrics; the figures are about everyone, so no one else does."""
    return is_manager(user)


def may_manage_goals(user: AnyUser) -> bool:
    """Community managers and admins set, change and remove the community's goals (and
    own them): the people who read the numbers steer by them."""
    return is_manager(user)


def may_own_goal(user: AnyUser) -> bool:
    """A goal's owner is answerable for it: a community manager or admin."""
    return is_manager(user)
