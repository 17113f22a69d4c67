"""Trust levels: staff set a member's level by hand; a daily job raises members who
qualify (moderation.trust). Each change of level leaves one audit entry."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.moderation import audit
from townsquare.moderation.models import ModerationSettings
from townsquare.moderation.queries import moderation_settings
from townsquare.moderation.trust import (
    MAX_AUTOMATIC_LEVEL,
    MAX_LEVEL,
    member_stats,
    period,
    qualified_level,
)

PROMOTION_BATCH = 1000


def _state(member: User) -> dict:
    return {"trust_level": member.trust_level, "locked": member.trust_level_locked}


@transaction.atomic
def set_trust_level(
    actor: User, member: User, level: int, *, reason: str, lock: bool = True
) -> User:
    """Promote or demote ``member`` by hand. The level is locked (the daily job leaves it
    alone) unless ``lock`` is False, which hands the member back to automatic promotion."""
    if not permissions.may_manage_defences(actor) or actor.pk == member.pk:
        raise PermissionDenied
    if not isinstance(level, int) or not 0 <= level <= MAX_LEVEL:
        raise ValidationError({"level": _("Choose a trust level from 0 to 4.")})
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you are changing the trust level.")})
    member = User.objects.select_for_update().get(pk=member.pk)
    before = _state(member)
    if before == {"trust_level": level, "locked": lock}:
        return member
    member.trust_level, member.trust_level_locked = level, lock
    member.save(update_fields=["trust_level", "trust_level_locked"])
    audit.record(
        actor,
        "member.trust_level_changed",
        member,
        reason=reason,
        before=before,
        after=_state(member),
    )
    return member


def promote_members() -> int:
    """Raise every member who qualifies for a higher level; returns how many rose.

    Never lowers a level, never gives TL4, and leaves locked levels (set by staff) and
    sanctioned members alone. Members are read in batches of PROMOTION_BATCH, with a fixed
    number of queries per batch (moderation.trust.member_stats)."""
    config = moderation_settings()
    window = period(config)
    candidates = User.objects.filter(
        is_active=True, trust_level_locked=False, trust_level__lt=MAX_AUTOMATIC_LEVEL
    ).order_by("pk")
    promoted = 0
    last_pk = 0
    while True:
        batch = list(
            candidates.filter(pk__gt=last_pk).only(
                "pk", "handle", "trust_level", "silenced_until", "suspended_until"
            )[:PROMOTION_BATCH]
        )
        if not batch:
            return promoted
        last_pk = batch[-1].pk
        stats = member_stats([m.pk for m in batch], window.since)
        for member in batch:
            if permissions.is_silenced(member) or permissions.is_suspended(member):
                continue
            level = qualified_level(stats[member.pk], config, window)
            if level > member.trust_level and _raise(member, level):
                promoted += 1


@transaction.atomic
def _raise(member: User, level: int) -> bool:
    # Only if nobody changed or locked the level since the batch was read.
    changed = User.objects.filter(
        pk=member.pk, trust_level=member.trust_level, trust_level_locked=False
    ).update(trust_level=level)
    if not changed:
        return False
    audit.record(
        None,
        "member.trust_level_changed",
        member,
        reason=_("Promoted automatically: the requirements of trust level %(level)d are met.")
        % {"level": level},
        before={"trust_level": member.trust_level, "locked": False},
        after={"trust_level": level, "locked": False},
    )
    return True


# The settings of trust levels and new members' limits (the staff page's form).
TRUST_SETTINGS_FIELDS = [
    f.name
    for f in ModerationSettings._meta.get_fields()
    if f.name.startswith(("tl0_", "tl1_", "tl2_", "tl3_"))
]


@transaction.atomic
def update_trust_settings(actor: User, **values: int) -> ModerationSettings:
    """Change the requirements of the trust levels and the limits of new members."""
    if not permissions.may_manage_defences(actor):
        raise PermissionDenied
    unknown = set(values) - set(TRUST_SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"Not trust level settings: {sorted(unknown)}")
    config = ModerationSettings.objects.select_for_update().get(pk=moderation_settings().pk)
    before = {name: getattr(config, name) for name in values}
    for name, value in values.items():
        setattr(config, name, value)
    config.full_clean()
    changed = [name for name in values if before[name] != values[name]]
    if not changed:
        return config
    config.save(update_fields=[*changed, "updated_at"])
    audit.record(
        actor,
        "moderation.trust_settings_changed",
        config,
        before={name: before[name] for name in changed},
        after={name: values[name] for name in changed},
    )
    return config
