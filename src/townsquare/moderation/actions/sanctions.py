"""Warnings, silences and suspensions of members."""

# PLACEHOLDER (owner: H2) — H2's sanctions replace this module at merge.

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.moderation import audit
from townsquare.moderation.models import ReviewItem, Sanction, SanctionKind


def _sanction(actor, member, kind, *, until, reason, guideline, item, column=None):
    if not permissions.may_sanction(actor, member):
        raise PermissionDenied
    sanction = Sanction.objects.create(
        member=member, kind=kind, reason=reason, guideline=guideline, ends_at=until,
        created_by=actor, review_item=item,
    )  # fmt: skip
    if column:
        User.objects.filter(pk=member.pk).update(**{column: until})
    audit.record(actor, f"member.{kind}", member, reason=reason)
    return sanction


@transaction.atomic
def warn(
    actor: User, member: User, *, reason: str, guideline: str = "", item: ReviewItem | None = None
) -> Sanction:
    return _sanction(
        actor, member, SanctionKind.WARNING, until=None, reason=reason, guideline=guideline,
        item=item,
    )  # fmt: skip


@transaction.atomic
def silence(
    actor: User, member: User, *, until: datetime, reason: str, guideline: str = "",
    item: ReviewItem | None = None,
) -> Sanction:  # fmt: skip
    return _sanction(
        actor, member, SanctionKind.SILENCE, until=until, reason=reason, guideline=guideline,
        item=item, column="silenced_until",
    )  # fmt: skip


@transaction.atomic
def suspend(
    actor: User, member: User, *, until: datetime, reason: str, guideline: str = "",
    item: ReviewItem | None = None,
) -> Sanction:  # fmt: skip
    return _sanction(
        actor, member, SanctionKind.SUSPENSION, until=until, reason=reason, guideline=guideline,
        item=item, column="suspended_until",
    )  # fmt: skip
