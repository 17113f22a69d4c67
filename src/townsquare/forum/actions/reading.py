"""What members have read and how much they want to hear: read state and levels."""

import time
from datetime import datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.core.queries import get_community
from townsquare.forum.models import (
    Category,
    CategoryNotificationSetting,
    NotificationLevel,
    Tag,
    TagNotificationSetting,
    Topic,
    TopicReadState,
)

# A reader's visit time is written again only after this long, so reading a topic page
# does not write on every request.
VISIT_RESOLUTION = timedelta(minutes=5)


def follow_own_topic(
    author: User, topic: Topic, *, last_read_number: int, started: bool, at: datetime
) -> None:
    """Who starts a topic watches it; who replies tracks it (unless they chose otherwise)."""
    level = NotificationLevel.WATCHING if started else NotificationLevel.TRACKING
    state, created = TopicReadState.objects.get_or_create(
        user=author,
        topic=topic,
        defaults={
            "last_read_number": last_read_number,
            "notification_level": level,
            "first_visited_at": at,
            "last_visited_at": at,
        },
    )
    if created:
        return
    state.last_read_number = max(state.last_read_number, last_read_number)
    state.last_visited_at = at
    if state.notification_level == NotificationLevel.NORMAL:
        state.notification_level = level
    state.save(update_fields=["last_read_number", "last_visited_at", "notification_level"])


@transaction.atomic
def mark_read(user: User, topic: Topic, up_to_number: int) -> TopicReadState:
    """A member has seen the topic's posts up to this number. Entering a topic tracks it,
    so its new replies show as unread (a member can lower the level)."""
    number = max(0, min(up_to_number, topic.highest_post_number))
    now = timezone.now()
    state, created = TopicReadState.objects.get_or_create(
        user=user,
        topic=topic,
        defaults={
            "last_read_number": number,
            "notification_level": NotificationLevel.TRACKING,
            "first_visited_at": now,
            "last_visited_at": now,
        },
    )
    if created:
        activity.record(user, "topic.entered", topic, category=topic.category_id)
        return state
    stale = state.last_visited_at is None or now - state.last_visited_at > VISIT_RESOLUTION
    if number > state.last_read_number or stale:
        state.last_read_number = max(number, state.last_read_number)
        state.last_visited_at = now
        state.save(update_fields=["last_read_number", "last_visited_at"])
    return state


# The topic page reports the time it was in view every READING_PING_SECONDS; a report
# counts at most that long, and never more than the time since the member's last report
# (of any topic), so several open tabs or a forged report add no more than the clock.
READING_PING_SECONDS = 30


def add_reading_time(user: User, topic: Topic, seconds: int) -> int:
    """Credit ``seconds`` of reading ``topic`` to ``user`` (a topic they entered); returns
    the seconds credited. "Time read" of the trust levels (moderation.trust)."""
    now = time.time()
    key = f"reading:last:{user.pk}"
    last = cache.get(key)
    cache.set(key, now, timeout=READING_PING_SECONDS * 4)
    credit = min(max(0, int(seconds)), READING_PING_SECONDS)
    if last is not None:
        credit = min(credit, int(now - last))
    if credit <= 0:
        return 0
    TopicReadState.objects.filter(user=user, topic=topic).update(
        seconds_read=F("seconds_read") + credit
    )
    return credit


def _level(value: int) -> int:
    if value not in NotificationLevel.values:
        raise ValidationError({"level": _("Unknown notification level.")})
    return value


@transaction.atomic
def set_topic_level(user: User, topic: Topic, level: int) -> TopicReadState:
    if not permissions.is_member(user) or not permissions.may_view_topic(
        user, get_community(), topic
    ):
        raise PermissionDenied
    level = _level(level)
    if level == NotificationLevel.WATCHING_FIRST_POST:
        raise ValidationError({"level": _("“Watching first post” is for categories and tags.")})
    state, _created = TopicReadState.objects.update_or_create(
        user=user, topic=topic, defaults={"notification_level": level}
    )
    activity.record(user, "topic.notification_level", topic, level=level)
    return state


def _store_level(user: User, setting_model, target_field: str, target, level: int) -> None:
    """Keep a member's level for a category or a tag; "normal" is the default, not a row."""
    level = _level(level)
    rows = setting_model.objects.filter(user=user, **{target_field: target})
    if level == NotificationLevel.NORMAL:
        rows.delete()
    else:
        setting_model.objects.update_or_create(
            user=user, **{target_field: target}, defaults={"level": level}
        )
    activity.record(user, f"{target_field}.notification_level", target, level=level)


@transaction.atomic
def set_category_level(user: User, category: Category, level: int) -> None:
    if not permissions.is_member(user) or not permissions.may_view_category(
        user, get_community(), category
    ):
        raise PermissionDenied
    _store_level(user, CategoryNotificationSetting, "category", category, level)


@transaction.atomic
def set_tag_level(user: User, tag: Tag, level: int) -> None:
    if not permissions.is_member(user):
        raise PermissionDenied
    _store_level(user, TagNotificationSetting, "tag", tag, level)
