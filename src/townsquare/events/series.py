"""Repeating events: the writes that make, extend and edit a series (events.models.
EventSeries). Its occurrences are ordinary Event rows (``series`` set, ``recurrence_id`` =
the UTC start the rule gave them), materialised up to HORIZON ahead and extended daily by
``extend_all_series``, so registrations, tickets and threads work per occurrence.

The rules themselves are events.recurrence's; every field change goes through
events.actions (create_event, update_event, publish_event, cancel_event).
"""

import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.events import actions, queries, recurrence
from townsquare.events.models import (
    Event,
    EventHost,
    EventSeries,
    EventStatus,
    RegistrationQuestion,
)
from townsquare.forum import actions as forum_actions

# How far ahead occurrences exist as rows (at least the next one is always there).
HORIZON = timedelta(days=90)

ONCE, WEEKLY, MONTHLY_WEEKDAY, MONTHLY_DAY, CUSTOM = (
    "once", "weekly", "monthly_weekday", "monthly_day", "custom",
)  # fmt: skip
REPEAT_CHOICES = [
    (ONCE, gettext_lazy("Does not repeat")),
    (WEEKLY, gettext_lazy("Every week")),
    (MONTHLY_WEEKDAY, gettext_lazy("Every month, same weekday (e.g. the second Tuesday)")),
    (MONTHLY_DAY, gettext_lazy("Every month, same day (e.g. the 10th)")),
    (CUSTOM, gettext_lazy("Custom rule (RRULE)")),
]
THIS, FOLLOWING = "this", "following"
SCOPE_CHOICES = [
    (THIS, gettext_lazy("This occurrence only")),
    (FOLLOWING, gettext_lazy("This and all following occurrences")),
]
# Occurrences a series edit may still change or extend from.
_OPEN = (EventStatus.DRAFT, EventStatus.PUBLISHED)


def local_start(event: Event) -> datetime:
    """The event's start as naive wall-clock time in its own zone."""
    return event.starts_at.astimezone(zoneinfo.ZoneInfo(event.timezone)).replace(tzinfo=None)


def first_local(series: EventSeries) -> datetime:
    return datetime.combine(series.starts_on, series.local_start)


def describe(series: EventSeries) -> str:
    """The series' rule in words, in the active language."""
    return recurrence.describe(series.rule, first_local(series), series.timezone)


def rule_for(repeat: str, first: datetime, custom: str = "") -> str | None:
    """The RRULE for a choice of the form or the API (None: does not repeat), checked
    against the first local start; errors name the ``rule`` (or ``repeat``) field."""
    if repeat == ONCE:
        return None
    presets = {
        WEEKLY: recurrence.weekly_rule,
        MONTHLY_WEEKDAY: lambda start: recurrence.monthly_rule(start, on="weekday"),
        MONTHLY_DAY: lambda start: recurrence.monthly_rule(start, on="day"),
    }
    if repeat == CUSTOM:
        text = custom
    elif repeat in presets:
        text = presets[repeat](first)
    else:
        raise ValidationError({"repeat": _("Choose how the event repeats.")})
    if repeat == CUSTOM and not (custom or "").strip():
        raise ValidationError({"rule": _("Write the rule, e.g. FREQ=WEEKLY;BYDAY=FR.")})
    try:
        return recurrence.validate_rule(text, first_start_local=first)
    except ValidationError as error:
        raise ValidationError({"rule": error.messages}) from error


def preset_of(series: EventSeries) -> str:
    """Which choice of the form gave this series' rule (CUSTOM when none did)."""
    first = first_local(series)
    for repeat in (WEEKLY, MONTHLY_WEEKDAY, MONTHLY_DAY):
        if rule_for(repeat, first) == series.rule:
            return repeat
    return CUSTOM


# --- Materialising occurrences ------------------------------------------------------------


def _copy(template: Event, series: EventSeries, start: datetime, end: datetime) -> Event:
    """A new occurrence with the template's fields, hosts and questions, published when
    the template is (which opens its own thread)."""
    fields = {
        name: getattr(template, name)
        for name in (
            "title", "slug", "description", "description_html", "timezone", "format",
            "video_url", "venue", "address", "capacity", "visibility", "group_id",
            "created_by_id",
        )
    }  # fmt: skip
    event = Event(**fields, starts_at=start, ends_at=end, series=series, recurrence_id=start)
    if template.cover:
        # Each occurrence owns its file: replacing one cover must not delete another's.
        with template.cover.open("rb") as source:
            event.cover.save("cover.webp", ContentFile(source.read()), save=False)
    event.save()
    EventHost.objects.bulk_create(
        EventHost(event=event, user_id=h.user_id, name=h.name, title=h.title, position=h.position)
        for h in EventHost.objects.filter(event=template)
    )
    RegistrationQuestion.objects.bulk_create(
        RegistrationQuestion(event=event, text=q.text, required=q.required, position=q.position)
        for q in RegistrationQuestion.objects.filter(event=template)
    )
    activity.record(
        template.created_by, "event.created", event, group=event.group_id, series=series.pk
    )
    if template.status == EventStatus.PUBLISHED:
        actions.publish_event(None, event)
    return event


def _extend(series: EventSeries, now: datetime) -> list[Event]:
    """Create the occurrences the rule gives after the last one materialised, up to
    HORIZON after now or the first start, whichever is later (at least the next one),
    copied from the latest occurrence still open and not edited on its own. Idempotent:
    existing recurrence ids are skipped."""
    template = (
        series.occurrences.filter(series_changed=False, status__in=_OPEN)
        .select_related("created_by")
        .order_by("-recurrence_id")
        .first()
    )
    if template is None or series.continued_by_id is not None:
        return []  # over, cancelled, or continued by the part split off from it
    last = series.occurrences.order_by("-recurrence_id").values_list("recurrence_id", flat=True)
    after = max(last[0] + timedelta(microseconds=1), now)
    expand = {
        "rule": series.rule,
        "first_start_local": first_local(series),
        "tz": series.timezone,
        "duration": series.duration,
        "after": after,
    }
    # The horizon counts from the first start when that is still ahead.
    begins = recurrence.to_utc(first_local(series), series.timezone)
    found = recurrence.occurrences(**expand, until=max(now, begins) + HORIZON)
    if not found and not series.occurrences.filter(starts_at__gt=now).exists():
        found = recurrence.occurrences(**expand, limit=1)
    existing = set(
        series.occurrences.filter(recurrence_id__in=[o.start for o in found]).values_list(
            "recurrence_id", flat=True
        )
    )
    return [_copy(template, series, o.start, o.end) for o in found if o.start not in existing]


def _start_series(actor: User | None, event: Event, rule: str) -> EventSeries:
    series = EventSeries.objects.create(
        rule=rule,
        timezone=event.timezone,
        starts_on=local_start(event).date(),
        local_start=local_start(event).time(),
        duration=event.ends_at - event.starts_at,
        created_by=event.created_by,
    )
    Event.objects.filter(pk=event.pk).update(
        series=series, recurrence_id=event.starts_at, series_changed=False
    )
    event.series, event.recurrence_id = series, event.starts_at
    activity.record(actor, "event.series_created", event, rule=rule, group=event.group_id)
    _extend(series, timezone.now())
    return series


@transaction.atomic
def create_event(actor: User | None, *, repeat: str = ONCE, rule: str = "", **fields: Any) -> Event:
    """events.actions.create_event, and with ``repeat`` (a preset or CUSTOM with ``rule``)
    the series and its next occurrences, drafts like the first."""
    event = actions.create_event(actor, **fields)  # the permission first, then the rule
    if repeat != ONCE:
        _start_series(actor, event, rule_for(repeat, local_start(event), rule))
    return event


@transaction.atomic
def publish_event(actor: User | None, event: Event) -> Event:
    """Publish an event and, in a series, the drafts that follow it, in the parts split off
    after it too (each opens its own thread)."""
    event = actions.publish_event(actor, event)
    if event.series_id is not None:
        following = Event.objects.filter(
            series__in=queries.series_chain(event.series),
            status=EventStatus.DRAFT,
            recurrence_id__gt=event.recurrence_id,
        ).order_by("recurrence_id")
        for occurrence in following:
            actions.publish_event(actor, occurrence)
    return event


def extend_all_series(now: datetime | None = None) -> int:
    """The daily job's work: every series gets its occurrences up to the horizon. Each
    series in its own transaction, its row locked so that two runs do not race."""
    now = now or timezone.now()
    created = 0
    growing = EventSeries.objects.filter(continued_by__isnull=True)
    for pk in growing.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():
            series = EventSeries.objects.select_for_update().get(pk=pk)
            created += len(_extend(series, now))
    return created


# --- Editing --------------------------------------------------------------------------------


@transaction.atomic
def update_event(
    actor: User | None,
    event: Event,
    *,
    scope: str = THIS,
    repeat: str | None = None,
    rule: str = "",
    **changes: Any,
) -> Event:
    """Edit an event. Outside a series, ``repeat`` may make it repeat. In a series,
    ``scope=THIS`` edits this occurrence alone (series edits skip it from then on);
    ``scope=FOLLOWING`` edits it and every later occurrence not edited on its own, with
    ``repeat``/``rule`` as the new rule (the rule stays when ``repeat`` is None).
    Other keyword arguments are those of events.actions.update_event."""
    if event.series_id is None:
        event = actions.update_event(actor, event, **changes)
        if repeat not in (None, ONCE):
            _start_series(actor, event, rule_for(repeat, local_start(event), rule))
        return event
    if scope == THIS:
        event = actions.update_event(actor, event, **changes)
        Event.objects.filter(pk=event.pk).update(series_changed=True)
        event.series_changed = True
        return event
    if scope != FOLLOWING:
        raise ValidationError({"scope": _("Choose which occurrences to change.")})
    return _update_following(actor, event, repeat, rule, changes)


def _count_before(series: EventSeries, instant: datetime) -> int:
    return len(
        recurrence.occurrences(
            series.rule,
            first_local(series),
            series.timezone,
            series.duration,
            until=instant - timedelta(microseconds=1),
        )
    )


def _rule_parts(rule: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in rule.split(";"))


def _with_end(rule: str, *, count: int | None = None, until: datetime | None = None) -> str:
    """The rule with its COUNT/UNTIL replaced (validate_rule puts the parts in order)."""
    parts = {k: v for k, v in _rule_parts(rule).items() if k not in ("COUNT", "UNTIL")}
    if count is not None:
        parts["COUNT"] = str(count)
    if until is not None:
        parts["UNTIL"] = until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return recurrence.validate_rule(";".join(f"{k}={v}" for k, v in parts.items()))


def _remove(actor: User | None, event: Event) -> None:
    """An occurrence the new rule no longer gives: deleted when nobody answered and nobody
    replied in its thread (which its author then deletes, as authors may while nobody has
    replied), otherwise cancelled so that the answers and the discussion stay."""
    topic = event.topic
    opening = topic.posts.select_related("author").get(number=1) if topic is not None else None
    if (
        event.registrations.exists()
        or (topic is not None and topic.reply_count > 0)
        or (opening is not None and opening.author is None)
    ):
        actions.cancel_event(actor, event)
        return
    if opening is not None:
        try:
            forum_actions.delete_post(opening.author, opening, audited=False)
        except PermissionDenied:  # the author may no longer see it: keep it, cancelled
            actions.cancel_event(actor, event)
            return
    activity.record(actor, "event.removed", event, series=event.series_id, group=event.group_id)
    event.delete()


def _update_following(
    actor: User | None, event: Event, repeat: str | None, rule: str, changes: dict[str, Any]
) -> Event:
    if actor is not None and not permissions.may_manage_event(actor, event):
        raise PermissionDenied
    series = EventSeries.objects.select_for_update().get(pk=event.series_id)
    anchor_id = event.recurrence_id
    per_event = {k: v for k, v in changes.items() if k not in ("starts_at", "ends_at", "cover")}
    cover = changes.get("cover")
    event = actions.update_event(actor, event, **changes)
    start = local_start(event)
    new_rule = None
    if repeat != ONCE:
        new_rule = series.rule if repeat is None else rule_for(repeat, start, rule)
        if new_rule == series.rule and "COUNT" in _rule_parts(new_rule):
            # The same rule from here on: only the occurrences still to come count.
            left = int(_rule_parts(new_rule)["COUNT"]) - _count_before(series, anchor_id)
            new_rule = _with_end(new_rule, count=max(left, 1))
    # "All following" reaches into the parts split off by earlier edits: they become one.
    chain = queries.series_chain(series)
    following = Event.objects.filter(series__in=chain, recurrence_id__gte=anchor_id)
    first_of_series = not series.occurrences.filter(recurrence_id__lt=anchor_id).exists()
    series.continued_by = None
    if new_rule is None:
        # The host ends the series here.
        series.rule = _with_end(series.rule, until=anchor_id - timedelta(seconds=1))
        target = None
    elif first_of_series:
        target = series
    else:
        # The earlier occurrences keep their series, which no longer extends: its
        # continuation, from this occurrence on, is a new series.
        target = EventSeries(created_by=series.created_by)
    if target is not None:
        target.rule, target.timezone = new_rule, event.timezone
        target.starts_on, target.local_start = start.date(), start.time()
        target.duration = event.ends_at - event.starts_at
        target.save()
        if target is not series:
            series.continued_by = target
    series.save()

    later = following.exclude(pk=event.pk)
    kept_apart = list(later.exclude(series_changed=False, status__in=_OPEN))
    open_ones = list(later.filter(series_changed=False, status__in=_OPEN).order_by("recurrence_id"))
    original = {o.pk: o.recurrence_id for o in [*open_ones, *kept_apart]}
    # Free the recurrence ids while they are reassigned (the pair is unique).
    following.update(recurrence_id=None)
    home = target or series

    def put_back(occurrence: Event) -> None:
        Event.objects.filter(pk=occurrence.pk).update(
            series=home, recurrence_id=original[occurrence.pk]
        )

    # Occurrences edited on their own or cancelled move along unchanged, with their ids.
    for occurrence in kept_apart:
        put_back(occurrence)
    Event.objects.filter(pk=event.pk).update(
        series=target, recurrence_id=event.starts_at if target else None, series_changed=False
    )
    event.series = target
    if target is None:
        for occurrence in open_ones:
            put_back(occurrence)
            _remove(actor, occurrence)
        EventSeries.objects.filter(pk__in=chain[1:]).delete()
        activity.record(actor, "event.series_updated", event, rule="", group=event.group_id)
        return event

    horizon = max([max(timezone.now(), event.starts_at) + HORIZON, *original.values()])
    wanted = [
        o
        for o in recurrence.occurrences(
            target.rule, first_local(target), target.timezone, target.duration, until=horizon
        )
        if o.start != event.starts_at
    ]
    # Every later occurrence is a slot. A slot the new rule still gives at its instant
    # stays there; the others take the remaining instants in order (a new hour or weekday
    # moves them all along). Slots edited on their own or cancelled take their instant
    # without changing, so that no other occurrence lands on their day.
    by_instant = {o.start: o for o in wanted}
    slots = sorted([*open_ones, *kept_apart], key=lambda o: original[o.pk])
    paired = {o.pk: by_instant.pop(original[o.pk]) for o in slots if original[o.pk] in by_instant}
    rest = sorted(by_instant.values(), key=lambda o: o.start)
    unpaired = [o for o in slots if o.pk not in paired]
    paired |= {o.pk: new for o, new in zip(unpaired, rest, strict=False)}
    if cover is not None:
        per_event["cover"] = cover
    for occurrence in open_ones:
        new = paired.get(occurrence.pk)
        if new is None:
            put_back(occurrence)
            _remove(actor, occurrence)
            continue
        if hasattr(cover, "seek"):
            cover.seek(0)  # the same upload, re-encoded for each occurrence
        actions.update_event(actor, occurrence, starts_at=new.start, ends_at=new.end, **per_event)
        Event.objects.filter(pk=occurrence.pk).update(series=target, recurrence_id=new.start)
    EventSeries.objects.filter(pk__in=[pk for pk in chain[1:] if pk != target.pk]).delete()
    activity.record(actor, "event.series_updated", event, rule=target.rule, group=event.group_id)
    template = Event.objects.get(pk=event.pk)
    for new in rest[len(unpaired) :]:
        _copy(template, target, new.start, new.end)
    return event
