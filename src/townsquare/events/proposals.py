"""Member meetups: members at the community's trust level propose an event, moderators
approve it (it is published, the proposer hosting) or decline it with a reason. Every
decision is audited and the proposer is told through the notifications system."""

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.core.queries import get_community
from townsquare.events import actions
from townsquare.events.models import Event, EventHost, EventStatus
from townsquare.groups.models import Group
from townsquare.moderation import audit, limits
from townsquare.notifications.actions import notify_on_commit

REASON_MAX_LENGTH = 1000


@transaction.atomic
def propose_event(
    actor: User,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    group: Group | None = None,
    **fields: Any,
) -> Event:
    """A member proposes an event (the fields of ``actions.create_event``); it waits, seen
    by them and the moderators, until a moderator decides. The proposer hosts it."""
    permissions.refuse_if_silenced(actor)  # told why, not just "not allowed"
    if not permissions.may_propose_event(actor, get_community(), group):
        raise PermissionDenied
    # Every attempt counts: the limit is for members who flood the moderators' queue.
    limits.check_rate(actor, "event_proposal")
    fields.pop("hosts", None)  # the proposer hosts; the moderators add no one
    event = actions.create_event(
        None,
        created_by=actor,
        hosts=[actor],
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        group=group,
        **fields,
    )
    event.status = EventStatus.PROPOSED
    event.save(update_fields=["status", "updated_at"])
    activity.record(actor, "event.proposed", event, group=event.group_id)
    return event


def pending_proposals() -> QuerySet[Event]:
    """The moderators' queue: the oldest proposal first."""
    return (
        Event.objects.filter(status=EventStatus.PROPOSED)
        .select_related("created_by", "group")
        .order_by("created_at", "pk")
    )


def _proposal(actor: User | None, event: Event) -> Event:
    if actor is not None and not permissions.may_decide_proposals(actor):
        raise PermissionDenied
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status != EventStatus.PROPOSED:
        raise ValidationError({"status": _("This proposal has already been decided.")})
    return event


@transaction.atomic
def approve_proposal(actor: User | None, event: Event) -> Event:
    """Publish a member's proposal (its thread opens, written by the proposer, who hosts
    it) and tell them."""
    event = _proposal(actor, event)
    if event.created_by_id is not None:
        EventHost.objects.get_or_create(event=event, user_id=event.created_by_id)
    # Published as the system: the moderator approves, the proposer runs the event.
    event = actions.publish_event(None, event)
    audit.record(actor, "event.proposal_approved", event, group=event.group_id)
    notify_on_commit("event_approved", event.pk, by=actor.pk if actor else None)
    return event


@transaction.atomic
def decline_proposal(actor: User | None, event: Event, reason: str) -> Event:
    """Decline a member's proposal with a reason, which the proposer is told."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why the proposal is declined.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": _("Keep the reason under %(max)d characters.") % {"max": REASON_MAX_LENGTH}}
        )
    event = _proposal(actor, event)
    event.status, event.decline_reason = EventStatus.DECLINED, reason
    event.save(update_fields=["status", "decline_reason", "updated_at"])
    audit.record(actor, "event.proposal_declined", event, reason=reason, group=event.group_id)
    notify_on_commit("event_declined", event.pk, by=actor.pk if actor else None)
    return event
