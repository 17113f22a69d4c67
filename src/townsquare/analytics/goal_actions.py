"""Every write to the community's goals: create, change, delete, each in the audit log.

(A module of its own rather than analytics/actions.py, which other parts of the dashboard
fill in parallel; the merge may fold them together.)
"""

import math
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.analytics import metrics
from townsquare.analytics.models import Direction, Goal
from townsquare.core import permissions
from townsquare.moderation import audit

#: Targets are stored with two decimals in 14 digits.
MAX_TARGET = Decimal("999999999999")
NOTE_MAX = 2000
FIELDS = ("metric", "direction", "target", "start", "deadline", "owner", "note")


def _snapshot(goal: Goal) -> dict[str, object]:
    """The goal's fields as the audit log keeps them (JSON: dates and numbers as text)."""
    return {
        "metric": goal.metric,
        "direction": goal.direction,
        "target": str(goal.target),
        "start": goal.start.isoformat(),
        "deadline": goal.deadline.isoformat(),
        "owner": f"@{goal.owner.handle}" if goal.owner else None,
        "note": goal.note,
    }


def _validate(
    *,
    metric: str,
    direction: str,
    target: object,
    start: date,
    deadline: date,
    owner: User | None,
    note: str,
) -> dict[str, object]:
    """The cleaned fields, or a ValidationError naming every field that is wrong."""
    errors: dict[str, str] = {}
    if metric not in metrics.METRICS:
        errors["metric"] = _("Unknown metric. Known: %(names)s.") % {
            "names": ", ".join(metrics.METRICS)
        }
    if direction not in Direction.values:
        errors["direction"] = _("Choose whether the target is a floor or a ceiling.")
    try:
        number = Decimal(str(target)).quantize(Decimal("0.01"))
        if not number.is_finite() or not math.isfinite(float(number)):
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        errors["target"] = _("The target must be a number.")
    else:
        if abs(number) > MAX_TARGET:
            errors["target"] = _("The target is too large.")
    if start is None:
        errors["start"] = _("Give the start date.")
    if deadline is None:
        errors["deadline"] = _("Give the deadline.")
    elif start is not None and deadline <= start:
        errors["deadline"] = _("The deadline must be after the start date.")
    if owner is None or not permissions.may_own_goal(owner):
        errors["owner"] = _("The owner must be a community manager or an administrator.")
    if len(note) > NOTE_MAX:
        errors["note"] = _("The note may be at most %(count)d characters long.") % {
            "count": NOTE_MAX
        }
    if errors:
        raise ValidationError(errors)
    return {
        "metric": metric,
        "direction": direction,
        "target": number,
        "start": start,
        "deadline": deadline,
        "owner": owner,
        "note": note.strip(),
    }


@transaction.atomic
def create_goal(
    actor: User,
    *,
    metric: str,
    target: object,
    start: date,
    deadline: date,
    owner: User | None,
    direction: str = Direction.AT_LEAST,
    note: str = "",
) -> Goal:
    if not permissions.may_manage_goals(actor):
        raise PermissionDenied
    fields = _validate(
        metric=metric, direction=direction, target=target, start=start, deadline=deadline,
        owner=owner, note=note,
    )  # fmt: skip
    goal = Goal.objects.create(**fields)
    audit.record(actor, "goal.created", goal, after=_snapshot(goal))
    return goal


@transaction.atomic
def update_goal(actor: User, goal: Goal, **changes: object) -> Goal:
    """Change any of the goal's fields; the audit entry keeps those that changed."""
    if not permissions.may_manage_goals(actor):
        raise PermissionDenied
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"Not goal fields: {', '.join(sorted(unknown))}")
    goal = Goal.objects.select_for_update(of=("self",)).select_related("owner").get(pk=goal.pk)
    before = _snapshot(goal)
    current = {name: getattr(goal, name) for name in FIELDS}
    fields = _validate(**(current | changes))
    for name, value in fields.items():
        setattr(goal, name, value)
    goal.save()
    after = _snapshot(goal)
    changed = [name for name in after if after[name] != before[name]]
    if changed:
        audit.record(
            actor,
            "goal.updated",
            goal,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return goal


@transaction.atomic
def delete_goal(actor: User, goal: Goal) -> None:
    if not permissions.may_manage_goals(actor):
        raise PermissionDenied
    goal = Goal.objects.select_for_update(of=("self",)).select_related("owner").get(pk=goal.pk)
    audit.record(actor, "goal.deleted", goal, before=_snapshot(goal))
    goal.delete()
