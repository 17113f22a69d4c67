"""Warnings, silences and suspensions of members, and lifting them.

Each action asks the policy (``may_sanction``), validates, writes the Sanction and the
member's mirror columns (``silenced_until``, ``suspended_until``: the longest sanction of
the kind in force, read on every request) in one transaction, leaves one audit entry and
sends the member a notice. A sanction ends by itself when its time passes: the checks
compare the mirror with the clock, so no job is needed.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.moderation import audit, notices
from townsquare.moderation.guidelines import clean_guideline
from townsquare.moderation.models import ReviewItem, Sanction, SanctionKind

REASON_MAX = 2000
#: A suspension "for good" (``until=None``) is mirrored as this date: far enough.
FOR_GOOD = datetime(9999, 12, 31, tzinfo=UTC)
#: Which mirror column each timed kind keeps.
MIRROR = {SanctionKind.SILENCE: "silenced_until", SanctionKind.SUSPENSION: "suspended_until"}
#: The audit action (and notice action) of each kind.
ACTION = {
    SanctionKind.WARNING: "member.warned",
    SanctionKind.SILENCE: "member.silenced",
    SanctionKind.SUSPENSION: "member.suspended",
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason: the member is told it.")})
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": _("Keep the reason under %(max)d characters.") % {"max": REASON_MAX}}
        )
    return reason


def _clean_until(until: datetime | None, kind: str) -> datetime | None:
    """A time in the future, at most MODERATION_SANCTION_MAX_DAYS away; a suspension may
    also be for good (``None``)."""
    if until is None:
        if kind == SanctionKind.SUSPENSION:
            return None
        raise ValidationError({"until": _("Say until when.")})
    if timezone.is_naive(until):
        raise ValueError("until must be an aware datetime")
    now = timezone.now()
    if until <= now:
        raise ValidationError({"until": _("The end must be in the future.")})
    most = settings.MODERATION_SANCTION_MAX_DAYS
    if until > now + timedelta(days=most):
        raise ValidationError(
            {"until": _("At most %(days)d days; suspend for good instead.") % {"days": most}}
            if kind == SanctionKind.SUSPENSION
            else {"until": _("At most %(days)d days.") % {"days": most}}
        )
    return until


def _locked_member(actor: User | None, member: User) -> User:
    if actor is not None and not permissions.may_sanction(actor, member):
        raise PermissionDenied
    return User.objects.select_for_update().get(pk=member.pk)


def _in_force(member: User, kind: str) -> datetime | None:
    """The end of the longest sanction of ``kind`` in force (FOR_GOOD for one without
    end), or None: the value of the mirror column."""
    now = timezone.now()
    in_force = Sanction.objects.filter(member=member, kind=kind, lifted_at__isnull=True).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    if in_force.filter(ends_at__isnull=True).exists():
        return FOR_GOOD
    return in_force.aggregate(end=Max("ends_at"))["end"]


def _mirror(member: User, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Recompute the member's mirror column for ``kind``; returns (before, after)."""
    field = MIRROR[kind]
    before = getattr(member, field)
    after = _in_force(member, kind)
    if after != before:
        setattr(member, field, after)
        User.objects.filter(pk=member.pk).update(**{field: after})
    return {field: _iso(before)}, {field: _iso(after)}


def _sanction(
    actor: User | None,
    member: User,
    kind: str,
    *,
    until: datetime | None,
    reason: str,
    guideline: str,
    item: ReviewItem | None,
) -> Sanction:
    reason = _clean_reason(reason)
    guideline = clean_guideline(guideline)
    ends_at = _clean_until(until, kind) if kind in MIRROR else None
    with transaction.atomic():
        member = _locked_member(actor, member)
        sanction = Sanction.objects.create(
            member=member,
            kind=kind,
            reason=reason,
            guideline=guideline,
            ends_at=ends_at,
            created_by=actor,
            review_item=item,
        )
        before, after = _mirror(member, kind) if kind in MIRROR else ({}, {})
        audit.record(
            actor,
            ACTION[kind],
            member,
            reason=reason,
            before=before,
            after={**after, "sanction": sanction.pk, "ends_at": _iso(ends_at)},
            guideline=guideline,
        )
        notices.send_notice(
            actor,
            member,
            action=ACTION[kind],
            reason=reason,
            guideline=guideline,
            item=item,
            sanction=sanction,
        )
    return sanction


def warn(
    actor: User | None,
    member: User,
    *,
    reason: str,
    guideline: str = "",
    item: ReviewItem | None = None,
) -> Sanction:
    """Warn a member: nothing changes for them but the notice, which stays on record."""
    return _sanction(
        actor, member, SanctionKind.WARNING, until=None, reason=reason, guideline=guideline,
        item=item,
    )  # fmt: skip


def silence(
    actor: User | None,
    member: User,
    *,
    until: datetime,
    reason: str,
    guideline: str = "",
    item: ReviewItem | None = None,
) -> Sanction:
    """Silence a member until ``until``: they read, but do not post, reply, react, vote,
    upload, flag or message (core.permissions); they may still answer the notice."""
    return _sanction(
        actor, member, SanctionKind.SILENCE, until=until, reason=reason, guideline=guideline,
        item=item,
    )  # fmt: skip


def suspend(
    actor: User | None,
    member: User,
    *,
    until: datetime | None,
    reason: str,
    guideline: str = "",
    item: ReviewItem | None = None,
) -> Sanction:
    """Suspend a member until ``until`` (``None``: for good): they cannot sign in, are
    signed out on their next request, and their API tokens are refused."""
    return _sanction(
        actor, member, SanctionKind.SUSPENSION, until=until, reason=reason,
        guideline=guideline, item=item,
    )  # fmt: skip


def is_in_force(sanction: Sanction) -> bool:
    """A silence or suspension not lifted and not over; a warning until it is withdrawn."""
    if sanction.lifted_at is not None:
        return False
    return sanction.ends_at is None or sanction.ends_at > timezone.now()


def lift(actor: User | None, sanction: Sanction, *, reason: str) -> Sanction:
    """End a sanction before its time (withdraw a warning); the member's mirror column
    falls back to what else is in force."""
    reason = _clean_reason(reason)
    with transaction.atomic():
        member = _locked_member(actor, sanction.member)
        sanction = Sanction.objects.select_for_update().get(pk=sanction.pk)
        if not is_in_force(sanction):
            raise ValidationError(_("This sanction is no longer in force."))
        now = timezone.now()
        sanction.lifted_at, sanction.lifted_by = now, actor
        sanction.save(update_fields=["lifted_at", "lifted_by"])
        before, after = _mirror(member, sanction.kind) if sanction.kind in MIRROR else ({}, {})
        audit.record(
            actor,
            "sanction.lifted",
            member,
            reason=reason,
            before={**before, "sanction": sanction.pk, "kind": sanction.kind, "lifted_at": None},
            after={**after, "sanction": sanction.pk, "kind": sanction.kind, "lifted_at": _iso(now)},
        )
        notices.send_notice(
            actor, member, action="sanction.lifted", reason=reason, sanction=sanction
        )
    return sanction
