"""Reading the audit log: filters, keyset pages, links to what an entry is about, and the
CSV export. The page, the CSV and the API share these. Nothing here writes."""

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.core.models import Community
from townsquare.forum.links import url_for
from townsquare.forum.models import Category, Post, Topic
from townsquare.groups.models import Group
from townsquare.moderation.models import AuditEntry

PAGE_SIZE = 50
MAX_LIMIT = 200
SEARCH_MAX = 200


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""  # a handle (with or without "@"), or "system"
    action: str = ""
    target_type: str = ""  # "app_label.model", e.g. "forum.topic"
    since: date | None = None  # days in the viewer's time zone, both included
    until: date | None = None
    q: str = ""  # in the reason and the target's label


def clean_filters(
    *,
    actor: str = "",
    action: str = "",
    target_type: str = "",
    since: date | None = None,
    until: date | None = None,
    q: str = "",
) -> AuditFilters:
    """Filters as typed, trimmed and checked; a ValidationError names the bad field."""
    target_type = target_type.strip().lower()
    if target_type and _content_type(target_type) is None:
        raise ValidationError({"target_type": _("Unknown target type.")})
    if since and until and since > until:
        raise ValidationError({"until": _("This date is before the start date.")})
    q = q.strip()
    if len(q) > SEARCH_MAX:
        raise ValidationError(
            {"q": _("Search for at most %(max)d characters.") % {"max": SEARCH_MAX}}
        )
    return AuditFilters(
        actor=actor.strip(),
        action=action.strip(),
        target_type=target_type,
        since=since,
        until=until,
        q=q,
    )


def _content_type(label: str) -> ContentType | None:
    app_label, _dot, model = label.partition(".")
    try:
        return ContentType.objects.get_by_natural_key(app_label, model)
    except ContentType.DoesNotExist:
        return None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered(filters: AuditFilters) -> QuerySet[AuditEntry]:
    """The entries matching ``filters``, newest first (by id: the order they were written)."""
    entries = AuditEntry.objects.order_by("-id")
    if filters.actor:
        # The label, not the account: entries of a deleted member still match.
        label = filters.actor if filters.actor == "system" else "@" + filters.actor.lstrip("@")
        entries = entries.filter(actor_label__iexact=label)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.target_type:
        entries = entries.filter(target_type=_content_type(filters.target_type))
    if filters.since:
        entries = entries.filter(created_at__gte=_start_of(filters.since))
    if filters.until:
        entries = entries.filter(created_at__lt=_start_of(filters.until + timedelta(days=1)))
    if filters.q:
        entries = entries.filter(
            Q(reason__icontains=filters.q) | Q(target_label__icontains=filters.q)
        )
    return entries


def page(
    filters: AuditFilters, *, cursor: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[AuditEntry], int | None]:
    """One page and the cursor of the next (None on the last page)."""
    entries = filtered(filters).select_related("target_type")
    if cursor:
        entries = entries.filter(id__lt=cursor)
    found = list(entries[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    return found, found[-1].pk if more and found else None


def action_choices() -> list[str]:
    """The actions the log holds (the filter's choices)."""
    return list(AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct())


def target_type_choices() -> list[tuple[str, str]]:
    """("app_label.model", readable name) of the target types the log holds."""
    ids = (
        AuditEntry.objects.filter(target_type__isnull=False)
        .order_by()
        .values_list("target_type", flat=True)
        .distinct()
    )
    types = ContentType.objects.filter(pk__in=ids)
    return sorted((f"{t.app_label}.{t.model}", str(t.name)) for t in types)


def diff(entry: AuditEntry) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for every field the entry mentions."""
    before, after = entry.before or {}, entry.after or {}
    return [(key, before.get(key), after.get(key)) for key in sorted({*before, *after})]


def target_links(viewer: User, community: Community, entries: Iterable[AuditEntry]) -> None:
    """Set ``entry.target_url`` where the viewer may still open what the entry is about,
    asking the permission policy: one query per kind of target on the page. An entry on
    something gone or out of the viewer's sight gets no link (its label stays)."""
    entries = list(entries)
    wanted: dict[type, set[int]] = {}
    for entry in entries:
        entry.target_url = None
        model = entry.target_type.model_class() if entry.target_type_id else None
        if model in _LINKERS and entry.target_id.isdigit():
            wanted.setdefault(model, set()).add(int(entry.target_id))
    urls: dict[tuple[type, str], str] = {}
    for model, ids in wanted.items():
        for pk, url in _LINKERS[model](viewer, community, ids):
            urls[model, str(pk)] = url
    for entry in entries:
        if entry.target_type_id:
            entry.target_url = urls.get((entry.target_type.model_class(), entry.target_id))


def _topics(viewer: User, community: Community, ids: set[int]) -> Iterator[tuple[int, str]]:
    topics = permissions.reachable_topics(viewer, community).filter(pk__in=ids)
    for pk, slug in topics.values_list("pk", "slug"):
        yield pk, url_for("forum:topic", slug, pk)


def _posts(viewer: User, community: Community, ids: set[int]) -> Iterator[tuple[int, str]]:
    topics = permissions.reachable_topics(viewer, community)
    posts = Post.objects.filter(pk__in=ids, topic__in=topics)
    for pk, topic_id, number in posts.values_list("pk", "topic_id", "number"):
        yield pk, url_for("forum:post_link", topic_id, number)


def _categories(viewer: User, community: Community, ids: set[int]) -> Iterator[tuple[int, str]]:
    categories = permissions.visible_categories(viewer, community).filter(pk__in=ids)
    for pk, slug in categories.values_list("pk", "slug"):
        yield pk, url_for("forum:category", slug)


def _groups(viewer: User, community: Community, ids: set[int]) -> Iterator[tuple[int, str]]:
    groups = permissions.visible_groups(viewer, community).filter(pk__in=ids)
    for pk, slug in groups.values_list("pk", "slug"):
        yield pk, url_for("groups:detail", slug)


def _members(viewer: User, community: Community, ids: set[int]) -> Iterator[tuple[int, str]]:
    members = permissions.visible_members(viewer, community).filter(pk__in=ids)
    for pk, handle in members.values_list("pk", "handle"):
        yield pk, url_for("member_detail", handle)


_LINKERS = {Topic: _topics, Post: _posts, Category: _categories, Group: _groups, User: _members}


# --- CSV ---------------------------------------------------------------------------------

CSV_HEADER = ["time", "actor", "action", "target_type", "target_id", "target", "reason",
              "before", "after"]  # fmt: skip
# A cell starting with one of these is a formula to a spreadsheet: it is written with a
# leading apostrophe, which spreadsheets show as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(filters: AuditFilters) -> Iterator[str]:
    """The filtered log as CSV lines, read in chunks: UTF-8 with a byte order mark, so
    spreadsheets read Chinese and Polish text right."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(CSV_HEADER)
    types = {t.pk: f"{t.app_label}.{t.model}" for t in ContentType.objects.all()}
    for entry in filtered(filters).iterator(chunk_size=2000):
        row = [
            timezone.localtime(entry.created_at).isoformat(),
            entry.actor_label,
            entry.action,
            types.get(entry.target_type_id, ""),
            entry.target_id,
            entry.target_label,
            entry.reason,
            json.dumps(entry.before, ensure_ascii=False) if entry.before else "",
            json.dumps(entry.after, ensure_ascii=False) if entry.after else "",
        ]
        yield writer.writerow([safe_cell(cell) for cell in row])
