"""The analytics dashboard and its API: who may read the community's numbers."""

from townsquare.core.permissions.community import AnyUser, is_manager


def may_view_analytics(user: AnyUser) -> bool:
    """Community managers and admins read the dashboard, its CSV exports and
    /api/v1/metrics; the figures are about everyone, so no one else does."""
    return is_manager(user)


def may_import_crm(user: AnyUser) -> bool:
    """Community managers and admins bring in CRM accounts (CSV or API), see the ones not
    matched to a member and link them: business data about members, like the dashboard."""
    return is_manager(user)
