"""Scheduled discussion prompts: the community's content calendar of conversation starters."""

import calendar
import logging
import zoneinfo
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.core.queries import get_community
from townsquare.forum.actions.posting import create_topic
from townsquare.forum.models import Category, Recurrence, ScheduledTopic
from townsquare.forum.rendering import render_post
from townsquare.forum.validation import clean_body, clean_tags, clean_title
from townsquare.moderation import audit

logger = logging.getLogger(__name__)


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def next_occurrence(schedule: ScheduledTopic, after: datetime) -> datetime | None:
    """The first time after ``after`` the prompt is due again: the same local hour every
    week or month in the schedule's time zone, across daylight-saving changes; on the 31st,
    the last day of shorter months."""
    if schedule.recurrence == Recurrence.ONCE:
        return None
    zone = zoneinfo.ZoneInfo(schedule.timezone)
    local_first = schedule.first_publish_at.astimezone(zone).replace(tzinfo=None)
    step = 0
    while True:
        step += 1
        if schedule.recurrence == Recurrence.WEEKLY:
            local = local_first + timedelta(weeks=step)
        else:
            local = _add_months(local_first, step)
        moment = local.replace(tzinfo=zone).astimezone(zoneinfo.ZoneInfo("UTC"))
        if moment > after:
            return moment


def _clean(actor: User, fields: dict[str, Any]) -> dict[str, Any]:
    if not permissions.may_schedule_topics(actor):
        raise PermissionDenied
    category: Category = fields["category"]
    if not permissions.may_start_topic(actor, get_community(), category):
        raise ValidationError({"category": _("You cannot start topics in this category.")})
    cleaned = {
        "category": category,
        "title": clean_title(fields["title"]),
        "body": clean_body(fields["body"]),
        "tags": clean_tags(fields.get("tags") or ()),
        "host_name": " ".join(fields.get("host_name", "").split())[:120],
        "recurrence": fields.get("recurrence", Recurrence.ONCE),
        "timezone": fields.get("timezone") or "UTC",
        "first_publish_at": fields["publish_at"],
    }
    if cleaned["recurrence"] not in Recurrence.values:
        raise ValidationError({"recurrence": _("Choose once, every week or every month.")})
    if cleaned["timezone"] not in zoneinfo.available_timezones():
        raise ValidationError({"timezone": _("Unknown time zone.")})
    if cleaned["first_publish_at"] <= timezone.now():
        raise ValidationError({"publish_at": _("Choose a time in the future.")})
    render_post(cleaned["body"])  # a malformed poll is reported now, not at publication
    return cleaned


def _schedule_values(scheduled: ScheduledTopic) -> dict[str, Any]:
    """A prompt's fields as the audit log keeps them."""
    when = scheduled.next_publish_at
    return {
        "category": scheduled.category_id,
        "title": scheduled.title,
        "body": scheduled.body,
        "tags": list(scheduled.tags),
        "host_name": scheduled.host_name,
        "recurrence": scheduled.recurrence,
        "timezone": scheduled.timezone,
        "publish_at": when.isoformat() if when else None,
    }


@transaction.atomic
def schedule_topic(actor: User, **fields: Any) -> ScheduledTopic:
    """Schedule a prompt. Fields: category, title, body, tags, host_name, publish_at
    (aware), recurrence, timezone."""
    cleaned = _clean(actor, fields)
    scheduled = ScheduledTopic.objects.create(
        created_by=actor, next_publish_at=cleaned["first_publish_at"], **cleaned
    )
    audit.record(
        actor,
        "topic.scheduled",
        scheduled,
        after={"title": scheduled.title, "publish_at": scheduled.next_publish_at.isoformat()},
        recurrence=scheduled.recurrence,
    )
    return scheduled


@transaction.atomic
def update_schedule(actor: User, scheduled: ScheduledTopic, **fields: Any) -> ScheduledTopic:
    scheduled = ScheduledTopic.objects.select_for_update().get(pk=scheduled.pk)
    cleaned = _clean(actor, fields)
    before = _schedule_values(scheduled)
    for field, value in cleaned.items():
        setattr(scheduled, field, value)
    scheduled.next_publish_at = cleaned["first_publish_at"]
    scheduled.save()
    after = _schedule_values(scheduled)
    changed = [field for field in after if after[field] != before[field]]
    audit.record(
        actor,
        "topic.schedule_updated",
        scheduled,
        before={field: before[field] for field in changed},
        after={field: after[field] for field in changed},
    )
    return scheduled


@transaction.atomic
def cancel_schedule(actor: User, scheduled: ScheduledTopic) -> None:
    if not permissions.may_schedule_topics(actor):
        raise PermissionDenied
    audit.record(actor, "topic.schedule_cancelled", scheduled, title=scheduled.title)
    scheduled.delete()


def publish_due_topics(now: datetime | None = None, ids: Iterable[int] | None = None) -> int:
    """Publish every prompt that is due, each in its own transaction. Safe to run from
    several processes at once: a prompt is locked while it is published, and a prompt that
    missed several dates while the site was down is published once, then set to its next
    date."""
    now = now or timezone.now()
    due = ScheduledTopic.objects.filter(next_publish_at__lte=now)
    if ids is not None:
        due = due.filter(pk__in=list(ids))
    published = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            scheduled = (
                ScheduledTopic.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("category", "created_by")
                .filter(pk=pk, next_publish_at__lte=now)
                .first()
            )
            if scheduled is None:
                continue
            scheduled.next_publish_at = next_occurrence(scheduled, now)
            try:
                with transaction.atomic():
                    topic = create_topic(
                        None,
                        scheduled.category,
                        title=scheduled.title,
                        body=scheduled.body,
                        tags=scheduled.tags,
                        host_name=scheduled.host_name,
                        author=scheduled.created_by,
                    )
            except (ValidationError, ValueError):
                # The author's account is gone or the text no longer passes: say so and
                # stop retrying every minute; a manager sees it on the calendar.
                logger.exception("Scheduled topic %s could not be published", pk)
                scheduled.next_publish_at = None
                scheduled.save(update_fields=["next_publish_at"])
                activity.record(None, "topic.schedule_failed", scheduled)
                continue
            scheduled.last_topic = topic
            scheduled.published_count += 1
            scheduled.save(update_fields=["next_publish_at", "last_topic", "published_count"])
            activity.record(None, "topic.schedule_published", scheduled, topic=topic.pk)
            published += 1
    return published
