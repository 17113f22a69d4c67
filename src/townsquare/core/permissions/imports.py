"""Members import and export: who may bring members in from a file and take them out."""

from townsquare.core.permissions.community import AnyUser, is_manager


def may_import_members(user: AnyUser) -> bool:
    """Community managers and admins create accounts from a CSV file (and see its checks)."""
    return is_manager(user)


def may_export_members(user: AnyUser) -> bool:
    """Community managers and admins download the members they may see as CSV."""
    return is_manager(user)
