"""Moderation: who may flag, review, sanction, tune the defences and read the audit log.

Staff (moderators, community managers, admins) run the review queue and the defences;
deleting another member's account on request is for admins. The audit log is read by
staff and written only by the actions themselves: nobody may change or delete it.
"""

from django.core.exceptions import PermissionDenied
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import Role, User
from townsquare.core.permissions.community import AnyUser, is_member, is_staff
from townsquare.moderation.models import Notice


def is_silenced(user: AnyUser) -> bool:
    """Silenced members read but do not post, reply, react, vote, upload, flag or message
    (they may still answer the moderators' notices)."""
    until = getattr(user, "silenced_until", None)
    return until is not None and until > timezone.now()


def silenced_message(user: AnyUser) -> str:
    """What a silenced member is told where they would write."""
    until = formats.date_format(timezone.localtime(user.silenced_until), "DATETIME_FORMAT")
    return _("You are silenced until %(until)s; you can read but not post.") % {"until": until}


class Silenced(PermissionDenied):
    """A silenced member tried to write: the message says until when (pages and the API
    show it instead of a bare "not allowed")."""


def refuse_if_silenced(user: AnyUser) -> None:
    """In an action that writes: stop a silenced member with a clear reason."""
    if is_silenced(user):
        raise Silenced(silenced_message(user))


def is_suspended(user: AnyUser) -> bool:
    """Suspended members cannot sign in, and their API tokens do not work."""
    until = getattr(user, "suspended_until", None)
    return until is not None and until > timezone.now()


def may_flag(user: AnyUser) -> bool:
    return is_member(user) and not is_silenced(user)


def may_review(user: AnyUser) -> bool:
    """The review queue, its decisions, and the moderators' overview."""
    return is_staff(user)


def may_sanction(user: AnyUser, member: User) -> bool:
    """Warn, silence or suspend ``member``: staff, never themselves, and never someone of
    a higher role (a moderator cannot suspend an admin)."""
    order = [Role.MEMBER, Role.MODERATOR, Role.MANAGER, Role.ADMIN]
    return (
        is_staff(user)
        and member.pk != user.pk
        and order.index(Role(member.role)) < order.index(Role(user.role))
    )


def may_appeal(user: AnyUser, notice: Notice) -> bool:
    """A member answers their own notices, silenced or not (suspended members cannot sign
    in: their notice mail says where to write instead)."""
    return is_member(user) and notice.member_id == user.pk


def may_manage_defences(user: AnyUser) -> bool:
    """Watched words, blocked domains, trust level and approval settings."""
    return is_staff(user)


def may_view_trust_level(user: AnyUser, member: User) -> bool:
    """A member's trust level and progress: the member and staff (others are not told
    who is new here)."""
    return is_member(user) and (user.pk == member.pk or is_staff(user))


def may_view_audit_log(user: AnyUser) -> bool:
    return is_staff(user)


def may_delete_member(user: AnyUser, member: User) -> bool:
    """Members delete their own account; admins delete another's on request."""
    if not is_member(user):
        return False
    return user.pk == member.pk or (user.role == Role.ADMIN and member.role != Role.ADMIN)


def may_export_data(user: AnyUser, member: User) -> bool:
    """A copy of everything about a member is for that member alone."""
    return user.is_authenticated and user.pk == member.pk


def may_download_export(user: AnyUser, export) -> bool:
    return may_export_data(user, export.member)
