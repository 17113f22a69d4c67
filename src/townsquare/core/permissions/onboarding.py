"""The welcome series: who writes it."""

from townsquare.core.permissions.community import AnyUser, is_manager


def may_manage_onboarding(user: AnyUser) -> bool:
    """Community managers and admins write the welcome series and see what it sent."""
    return is_manager(user)
