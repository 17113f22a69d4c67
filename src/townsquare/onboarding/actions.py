"""Every write of the welcome series: steps (managers) and deliveries (the hourly job)."""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.notifications import email
from townsquare.notifications.models import MailSettings, Stream
from townsquare.onboarding import goals
from townsquare.onboarding.models import DeliveryStatus, Goal, OnboardingDelivery, OnboardingStep
from townsquare.onboarding.placeholders import check
from townsquare.onboarding.queries import LATE_AFTER, active_steps
from townsquare.onboarding.rendering import TEMPLATE, render_step

logger = logging.getLogger(__name__)

MAX_DAY = 365


def _require(actor: User | None) -> None:
    """``None`` is the system (the demo seeder, a management command)."""
    if actor is not None:
        permissions.require(permissions.may_manage_onboarding(actor))


def validate_step(values: dict[str, Any]) -> None:
    """Raise a ValidationError naming each field that is wrong."""
    errors: dict[str, list[str]] = {}
    day = values.get("day_offset")
    if not isinstance(day, int) or not 0 <= day <= MAX_DAY:
        errors["day_offset"] = [_("The day is a number from 0 to %(max)s.") % {"max": MAX_DAY}]
    for field in ("subject", "body"):
        text = values.get(field) or ""
        if not text.strip():
            errors[field] = [_("This field is required.")]
        elif problems := check(text):
            errors[field] = problems
    if values.get("goal", Goal.NONE) not in Goal.values:
        errors["goal"] = [_("Unknown goal.")]
    if errors:
        raise ValidationError(errors)


STEP_FIELDS = ("day_offset", "subject", "body", "goal", "is_active")


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(STEP_FIELDS)
    if unknown:
        raise ValueError(f"unknown step fields {sorted(unknown)}")
    values = {"goal": Goal.NONE, "is_active": True, **values}
    values["subject"] = (values.get("subject") or "").strip()
    validate_step(values)
    return values


@transaction.atomic
def create_step(actor: User | None, **values: Any) -> OnboardingStep:
    _require(actor)
    values = _clean(values)
    last = OnboardingStep.objects.aggregate(last=Max("position"))["last"]
    step = OnboardingStep.objects.create(position=(last or 0) + 1, **values)
    activity.record(actor, "onboarding.step_created", step, day=step.day_offset)
    return step


@transaction.atomic
def update_step(actor: User | None, step: OnboardingStep, **values: Any) -> OnboardingStep:
    _require(actor)
    current = {field: getattr(step, field) for field in STEP_FIELDS}
    values = _clean({**current, **values})
    for field, value in values.items():
        setattr(step, field, value)
    step.save()
    activity.record(actor, "onboarding.step_changed", step, day=step.day_offset)
    return step


@transaction.atomic
def delete_step(actor: User | None, step: OnboardingStep) -> None:
    """Its deliveries go with it: a deleted step was never anyone's to receive again."""
    _require(actor)
    activity.record(actor, "onboarding.step_deleted", step, day=step.day_offset)
    step.delete()


@transaction.atomic
def move_step(actor: User | None, step: OnboardingStep, direction: str) -> None:
    """Swap with the step before ("up") or after ("down") it on the same day. Steps of
    different days are ordered by their day: change the day to move a step past them."""
    _require(actor)
    if direction not in {"up", "down"}:
        raise ValidationError(_("Move a step up or down."))
    siblings = list(
        OnboardingStep.objects.select_for_update()
        .filter(day_offset=step.day_offset)
        .order_by("position", "pk")
    )
    index = next(i for i, s in enumerate(siblings) if s.pk == step.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        raise ValidationError(
            _("Steps are ordered by day first: change its day to move it past another day.")
        )
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, each in enumerate(siblings, start=1):
        if each.position != position:
            OnboardingStep.objects.filter(pk=each.pk).update(position=position)
    activity.record(actor, "onboarding.step_moved", step, direction=direction)


def send_test(actor: User, step: OnboardingStep) -> None:
    """Send the step, rendered for the manager, to the manager (records no delivery)."""
    _require(actor)
    try:
        context = render_step(actor, step)
    except ValueError as error:
        raise ValidationError(str(error)) from error
    email.compose(actor, TEMPLATE, context, stream=Stream.ONBOARDING).send()


# --- Deliveries ---------------------------------------------------------------------------


def _record(user: User, step: OnboardingStep, status: str, reason: str) -> None:
    activity.record(None, f"onboarding.{status}", step, member=user.pk, reason=reason[:200])


def _decide(
    user: User, step: OnboardingStep, status: str, reason: str, now: datetime, *, log: bool = True
) -> bool:
    """Record what became of a step for a member; False if it was decided already."""
    try:
        with transaction.atomic():
            OnboardingDelivery.objects.create(
                user=user, step=step, status=status, reason=reason[:500], at=now
            )
    except IntegrityError:
        return False
    if log:
        _record(user, step, status, reason)
    return True


def _send(user: User, step: OnboardingStep, now: datetime) -> str | None:
    """Send one step to one member, at most once. A step that cannot be rendered fails
    alone, with its reason kept and logged."""
    with transaction.atomic():
        if not _decide(user, step, DeliveryStatus.SENT, "", now, log=False):
            return None
        try:
            context = render_step(user, step)
            message = email.compose(user, TEMPLATE, context, stream=Stream.ONBOARDING)
        except DatabaseError:
            raise  # transient: the job tries again
        except Exception as error:  # a broken step fails this one mail, not the batch
            reason = f"{type(error).__name__}: {error}"
            logger.error(
                "Onboarding step %s could not be sent to member %s: %s", step.pk, user.pk, reason
            )
            OnboardingDelivery.objects.filter(user=user, step=step).update(
                status=DeliveryStatus.FAILED, reason=reason[:500]
            )
            _record(user, step, DeliveryStatus.FAILED, reason)
            return DeliveryStatus.FAILED
        message.send()  # queued; leaves when this transaction commits
        _record(user, step, DeliveryStatus.SENT, "")
    return DeliveryStatus.SENT


def send_steps(user_ids: Sequence[int], now: datetime | None = None) -> dict[str, int]:
    """Decide every due step of these members: skip those whose goal is met or who left the
    series (unsubscribed), send the rest — at most one mail per member per run, the next
    due step goes in the next run. Everything is re-checked here: the member may have
    changed since the job was queued. A fixed number of queries for the batch, then a few
    per mail."""
    now = now or timezone.now()
    counts = {DeliveryStatus.SENT: 0, DeliveryStatus.SKIPPED: 0, DeliveryStatus.FAILED: 0}
    steps = active_steps()
    users = list(User.objects.filter(pk__in=user_ids, is_active=True).order_by("pk"))
    if not steps or not users:
        return counts
    ids = [user.pk for user in users]
    decided = set(OnboardingDelivery.objects.filter(user__in=ids).values_list("user_id", "step_id"))
    mailable = {user.pk for user in email.mailable(users, Stream.ONBOARDING)}
    unsubscribed = set(
        MailSettings.objects.filter(user__in=ids, onboarding=False).values_list(
            "user_id", flat=True
        )
    )
    reached = {goal: goals.met(goal, ids) for goal in {step.goal for step in steps}}
    for user in users:
        if user.guidelines_version is None:
            continue  # not a member yet
        for step in steps:
            due_at = user.date_joined + timedelta(days=step.day_offset)
            if (user.pk, step.pk) in decided or due_at > now or due_at <= now - LATE_AFTER:
                continue
            if user.pk in unsubscribed:
                status, reason = DeliveryStatus.SKIPPED, "unsubscribed"
            elif user.pk not in mailable:
                break  # a bouncing address: nothing recorded, tried again next run
            elif user.pk in reached[step.goal]:
                status, reason = DeliveryStatus.SKIPPED, "goal met"
            else:
                result = _send(user, step, now)
                if result is not None:
                    counts[result] += 1
                if result == DeliveryStatus.SENT:
                    break  # one mail per member per run
                continue
            if _decide(user, step, status, reason, now):
                counts[status] += 1
    return counts
