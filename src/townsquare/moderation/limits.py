"""Limits that refuse: per-action rates ("try again in N s") and the daily counts of new
members (docs/moderation.md, "Rate limits").

Per-action rates count hits in core.ratelimit's fixed windows (MODERATION_RATE_LIMITS:
action -> (hits, seconds)). The daily counts of trust level 0 (moderation.trust.limits_for)
count the member's own posts and conversations of the last 24 hours in the database, so
they are exact whatever the cache, and the wait is until the oldest of them is a day old.

Staff and system actions (actor None) are never limited. MODERATION_LIMITS_ENABLED turns
both off; the test suite does, as Discourse's does, and the tests of the limits turn it on.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts.models import User
from townsquare.core import permissions, ratelimit
from townsquare.forum.models import Post
from townsquare.messaging.models import Conversation
from townsquare.moderation.trust import limits_for

DAY = timedelta(days=1)


class RateLimited(ValidationError):
    """Refused for now: ``wait`` seconds until it would be accepted. The API answers 429
    with a Retry-After header; pages show the message and keep what was typed."""

    def __init__(self, wait: int, message: str | None = None, field: str | None = None) -> None:
        self.wait = max(1, int(wait))
        if message is None:
            message = ngettext(
                "You are doing that too often. Try again in %(wait)d second.",
                "You are doing that too often. Try again in %(wait)d seconds.",
                self.wait,
            ) % {"wait": self.wait}
        super().__init__({field: message} if field else message)
        self.field = field


def _limited(actor: User | None) -> bool:
    return (
        settings.MODERATION_LIMITS_ENABLED
        and actor is not None
        and actor.is_authenticated
        and not permissions.is_staff(actor)
    )


def check_rate(actor: User | None, action: str) -> None:
    """Count one ``action`` ("post", "topic", "message", "flag", "reaction") by ``actor``;
    raise RateLimited when they did it too often lately."""
    rate = settings.MODERATION_RATE_LIMITS.get(action)
    if rate is None or not _limited(actor):
        return
    wait = ratelimit.hit(f"moderation:{action}", f"user:{actor.pk}", ratelimit.Rate(*rate))
    if wait is not None:
        raise RateLimited(wait)


def _wait_for_day(made: QuerySet, limit: int) -> int | None:
    """Seconds until fewer than ``limit`` of the rows ``made`` (a member's posts or
    conversations) were created within the last day."""
    times = list(
        made.filter(created_at__gt=timezone.now() - DAY)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    if len(times) < limit:
        return None
    frees_at = times[len(times) - limit] + DAY
    return max(1, int((frees_at - timezone.now()).total_seconds()) + 1)


def _in_words(wait: int) -> str:
    return timeuntil(timezone.now() + timedelta(seconds=wait))


def check_daily_posts(author: User) -> None:
    """New members (TL0) post at most ``posts_per_day`` topics and replies a day."""
    limit = limits_for(author).posts_per_day if _limited(author) else None
    if limit is None:
        return
    wait = _wait_for_day(Post.objects.filter(author=author), limit)
    if wait is not None:
        message = ngettext(
            "New members can post %(count)d time a day. Try again in %(wait)s.",
            "New members can post %(count)d times a day. Try again in %(wait)s.",
            limit,
        ) % {"count": limit, "wait": _in_words(wait)}
        raise RateLimited(wait, message)


def check_new_conversation(actor: User) -> None:
    """New members (TL0) start at most ``new_conversations_per_day`` conversations a day
    (spammers sign up, write to everyone and leave), or none when ``may_message`` is off."""
    if not _limited(actor):
        return
    limits = limits_for(actor)
    if not limits.may_message:
        raise ValidationError(
            {
                "participants": _(
                    "New members cannot start conversations yet. Take part in the forum "
                    "for a while first."
                )
            }
        )
    limit = limits.new_conversations_per_day
    if limit is None:
        return
    wait = _wait_for_day(Conversation.objects.filter(started_by=actor), limit)
    if wait is not None:
        message = ngettext(
            "New members can start %(count)d conversation a day. Try again in %(wait)s.",
            "New members can start %(count)d conversations a day. Try again in %(wait)s.",
            limit,
        ) % {"count": limit, "wait": _in_words(wait)}
        raise RateLimited(wait, message, field="participants")
