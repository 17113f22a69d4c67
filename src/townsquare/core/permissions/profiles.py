"""Profiles: which of a member's fields a viewer may see, and who may follow whom.

Each member chooses, per field, who sees it (``Profile.field_visibility``): everyone who
may see the directory, signed-in members, or nobody but the member and the community's
managers. The same rule decides what is shown (pages, API, feeds) and what may be
filtered on: a filter on a field a viewer may not see must not find the member, or the
filter would reveal the hidden value.
"""

from django.db.models import Q

from townsquare.accounts.models import FieldAudience, User
from townsquare.core.permissions.community import AnyUser, is_manager, is_member


def audiences_seen_by(viewer: AnyUser) -> set[str]:
    """The field audiences whose fields this viewer may see on other members' profiles."""
    if is_manager(viewer):
        return set(FieldAudience.values)
    if is_member(viewer):
        return {FieldAudience.EVERYONE, FieldAudience.MEMBERS}
    return {FieldAudience.EVERYONE}


def profile_field_visible(viewer: AnyUser, member: User, field: str) -> bool:
    """Whether ``viewer`` may see ``field`` of ``member``'s profile (the member always may)."""
    if viewer.is_authenticated and viewer.pk == member.pk:
        return True
    return member.profile.audience(field) in audiences_seen_by(viewer)


def visible_profile_fields(viewer: AnyUser, member: User, fields: tuple[str, ...]) -> set[str]:
    """The subset of ``fields`` of ``member`` that ``viewer`` may see."""
    seen = audiences_seen_by(viewer)
    if (viewer.is_authenticated and viewer.pk == member.pk) or len(seen) == len(FieldAudience):
        return set(fields)
    profile = member.profile
    return {field for field in fields if profile.audience(field) in seen}


def profile_field_filter(viewer: AnyUser, field: str, prefix: str = "") -> Q:
    """A filter for User querysets (``prefix`` for related models): members whose ``field``
    this viewer may see. Combine it with every filter on that field."""
    seen = audiences_seen_by(viewer)
    if len(seen) == len(FieldAudience):
        return Q()
    key = f"{prefix}profile__field_visibility__{field}"
    allowed = Q(**{f"{key}__in": sorted(seen)})
    if FieldAudience.default() in seen:
        # A field the member never set uses the default audience.
        allowed |= ~Q(**{f"{prefix}profile__field_visibility__has_key": field})
    if viewer.is_authenticated:
        allowed |= Q(**{f"{prefix}pk": viewer.pk})
    return allowed


def may_follow(user: AnyUser, member: User) -> bool:
    """Signed-in members may follow other members (not themselves)."""
    return is_member(user) and user.pk != member.pk and member.is_active
