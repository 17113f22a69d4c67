"""Answers to events: going, maybe or not going, with registration questions; capacity
and the waiting list, promoted in order when a place frees; ticket codes and check-in.

Answers and capacity changes to one event happen one at a time: each function locks the
event's row (``lock``) before it counts places.
"""

import base64
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.events.models import (
    Event,
    EventStatus,
    Registration,
    RegistrationQuestion,
    RegistrationStatus,
)
from townsquare.moderation import limits
from townsquare.notifications.actions import notify_on_commit

ANSWER_MAX_LENGTH = 1000


def lock(event: Event) -> Event:
    """The event's row, locked until the transaction ends (PostgreSQL; SQLite's writes
    are serial anyway)."""
    return Event.objects.select_for_update().get(pk=event.pk)


def new_ticket_code() -> str:
    """Eight characters of base32 (40 random bits): easy to read aloud, hard to guess."""
    return base64.b32encode(secrets.token_bytes(5)).decode()


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()[:8]


def _clean_answers(event: Event, answers: dict[str, str] | None, status: str) -> dict[str, str]:
    given = {str(key): " ".join(str(value).split()) for key, value in (answers or {}).items()}
    cleaned: dict[str, str] = {}
    for question in RegistrationQuestion.objects.filter(event=event):
        text = given.get(str(question.pk), "")[:ANSWER_MAX_LENGTH]
        if question.required and not text and status != RegistrationStatus.NOT_GOING:
            raise ValidationError(
                {f"question_{question.pk}": _("Please answer: %(question)s") % {
                    "question": question.text
                }}
            )  # fmt: skip
        if text:
            cleaned[str(question.pk)] = text
    return cleaned


def going_count(event: Event) -> int:
    return Registration.objects.filter(event=event, status=RegistrationStatus.GOING).count()


def promote_waiting(event: Event) -> list[Registration]:
    """Move the earliest on the waiting list to going while there is room (the event's
    row is locked by the caller)."""
    if event.status != EventStatus.PUBLISHED:
        return []
    waiting = Registration.objects.filter(
        event=event, status=RegistrationStatus.WAITLISTED
    ).order_by("waitlisted_at", "pk")
    if event.capacity is not None:
        free = event.capacity - going_count(event)
        if free <= 0:
            return []
        waiting = waiting[:free]
    promoted = list(waiting.select_related("member"))
    for registration in promoted:
        registration.status, registration.waitlisted_at = RegistrationStatus.GOING, None
        registration.save(update_fields=["status", "waitlisted_at", "updated_at"])
        activity.record(registration.member, "event.promoted", event, group=event.group_id)
        notify_on_commit("event_promoted", registration.pk, at=timezone.now().isoformat())
    return promoted


def insert_registration(event: Event, member: User, **fields: Any) -> Registration:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Registration.objects.create(
                    event=event, member=member, ticket_code=new_ticket_code(), **fields
                )
        except IntegrityError:
            # A ticket code already given (one in 10^12): draw another.
            if Registration.objects.filter(event=event, member=member).exists():
                raise
    raise RuntimeError("Could not draw a free ticket code.")


@transaction.atomic
def rsvp(
    member: User,
    event: Event,
    status: str,
    answers: dict[str, str] | None = None,
    show_me: bool | None = None,
) -> str:
    """A member answers going, maybe or not going; returns the resulting status, which is
    "waitlisted" when the event is full. A place given up is taken by the first on the
    waiting list."""
    if status not in (
        RegistrationStatus.GOING,
        RegistrationStatus.MAYBE,
        RegistrationStatus.NOT_GOING,
    ):
        raise ValidationError({"status": _("Answer going, maybe or not going.")})
    limits.check_rate(member, "rsvp")
    event = lock(event)
    permissions.require(permissions.may_register(member, event))
    cleaned = _clean_answers(event, answers, status)
    registration = Registration.objects.filter(event=event, member=member).first()
    previous = registration.status if registration else None
    result, waitlisted_at = status, None
    full = event.capacity is not None and going_count(event) >= event.capacity
    if status == RegistrationStatus.GOING and previous != RegistrationStatus.GOING and full:
        result = RegistrationStatus.WAITLISTED
        # A member asking again keeps their place in the queue.
        waitlisted_at = (
            registration.waitlisted_at
            if previous == RegistrationStatus.WAITLISTED
            else timezone.now()
        )
    fields = {"status": result, "waitlisted_at": waitlisted_at, "answers": cleaned}
    if show_me is not None:
        fields["show_me"] = show_me
    if registration is None:
        registration = insert_registration(event, member, **fields)
    else:
        for name, value in fields.items():
            setattr(registration, name, value)
        registration.save()
    if previous == RegistrationStatus.GOING and result != RegistrationStatus.GOING:
        promote_waiting(event)
    if result != previous:
        activity.record(
            member, "event.rsvp", event, status=result, previous=previous, group=event.group_id
        )
    return result


@transaction.atomic
def check_in(
    actor: User | None, event: Event, *, member: User | None = None, code: str = ""
) -> Registration:
    """Record that an attendee came, found by member or by ticket code; checking in twice
    changes nothing."""
    if actor is not None:
        permissions.require(permissions.may_check_in(actor, event))
    found = Registration.objects.select_for_update().filter(event=event).select_related("member")
    if member is not None:
        registration = found.filter(member=member).first()
    else:
        registration = found.filter(ticket_code=normalise_code(code)).first() if code else None
    if registration is None or registration.status not in (
        RegistrationStatus.GOING,
        RegistrationStatus.MAYBE,
    ):
        raise ValidationError({"code": _("No ticket for this event has this code.")})
    if registration.checked_in_at is None:
        registration.checked_in_at, registration.checked_in_by = timezone.now(), actor
        registration.save(update_fields=["checked_in_at", "checked_in_by", "updated_at"])
        activity.record(
            registration.member,
            "event.attended",
            event,
            checked_in_by=actor.pk if actor else None,
            group=event.group_id,
        )
    return registration
