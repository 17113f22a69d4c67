"""The analytics dashboard and its API: who may read the community's numbers."""

from townsquare.core.permissions.community import AnyUser, is_manager


def may_view_analytics(user: AnyUser) -> bool:
    """Community managers and admins read the dashboard, its CSV exports and
    /api/v1/metrics; the figures are about everyone, so no one else does."""
    return is_manager(user)


def may_change_analytics_settings(user: AnyUser) -> bool:
    """The analytics settings (when a member counts as lost, the cost of a support
    ticket, the currency) change what the dashboard reports: managers and admins."""
    return is_manager(user)
