"""Recording activity events. Action functions call ``record``; nothing else writes events.

The channel (web, api, email, system) and the visit's traffic source come from the request
being served, which the middleware puts in a context variable, so actions need not be told.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from townsquare.core.models import ActivityEvent, Channel, Source


@dataclass(frozen=True)
class Origin:
    channel: str = Channel.SYSTEM
    source: str = Source.DIRECT


_DEFAULT_ORIGIN = Origin()
_origin: ContextVar[Origin] = ContextVar("activity_origin", default=_DEFAULT_ORIGIN)
# The time events are stamped with when no ``at`` is given (None: now), set by ``as_of``.
_clock: ContextVar[datetime | None] = ContextVar("activity_clock", default=None)


@contextmanager
def origin(channel: str, source: str = Source.DIRECT) -> Iterator[None]:
    token = _origin.set(Origin(channel, source))
    try:
        yield
    finally:
        _origin.reset(token)


@contextmanager
def as_of(at: datetime) -> Iterator[None]:
    """Stamp the events recorded inside the block with ``at`` instead of now: importers and
    the demo replay history through actions that do not take a time themselves."""
    token = _clock.set(at)
    try:
        yield
    finally:
        _clock.reset(token)


def record(
    actor: Any,
    verb: str,
    target: models.Model | None = None,
    *,
    at: datetime | None = None,
    **data: Any,
) -> ActivityEvent:
    """Append an event. ``at`` (or an enclosing ``as_of``) backdates it, for importers and
    the demo's history."""
    current = _origin.get()
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    return ActivityEvent.objects.create(
        actor_id=actor_id,
        verb=verb,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:200] if target is not None else "",
        channel=current.channel,
        source=current.source,
        data=data,
        created_at=at or _clock.get() or timezone.now(),
    )
