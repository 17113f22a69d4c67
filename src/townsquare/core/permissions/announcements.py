"""Announcements and newsletters: who writes them and sends them to members."""

from townsquare.core.permissions.community import AnyUser, is_manager


def may_send_announcements(user: AnyUser) -> bool:
    """Community managers and admins write announcements, send them to a segment of the
    members and see what became of each mail."""
    return is_manager(user)
