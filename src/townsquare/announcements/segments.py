"""Who a segment is: one queryset of members per kind, and counts for the editing form.

Members are active accounts that accepted the guidelines (``visible_members``' rule); the
segment narrows them. Unsubscribed and bouncing members are part of the segment (they are
counted and skipped when it is sent), so the numbers a manager sees add up.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Lower
from django.utils import timezone

from townsquare.accounts.models import Profile, Role, User
from townsquare.announcements.models import Segment
from townsquare.core.models import MailboxStatus

SEGMENT_FIELDS = (
    "segment",
    "segment_group",
    "segment_role",
    "segment_days",
    "segment_field",
    "segment_value",
)
FIELD_NAMES_CACHE_KEY = "announcements:custom-field-names"


def members() -> QuerySet[User]:
    return User.objects.filter(is_active=True, guidelines_version__isnull=False)


def resolve(values: Any, now: datetime | None = None) -> QuerySet[User]:
    """The members of a segment. ``values`` is an Announcement or anything with the
    ``segment*`` attributes (a form's cleaned data wrapped in SegmentValues). An incomplete
    segment (a group segment without its group) matches nobody."""
    now = now or timezone.now()
    kind = values.segment
    qs = members()
    if kind == Segment.EVERYONE:
        return qs
    if kind == Segment.GROUP:
        group_id = getattr(values, "segment_group_id", None)
        if group_id is None:
            return qs.none()
        return qs.filter(group_memberships__group_id=group_id)
    if kind == Segment.ROLE:
        return (
            qs.filter(role=values.segment_role) if values.segment_role in Role.values else qs.none()
        )
    days = values.segment_days
    if kind in {Segment.JOINED_WITHIN, Segment.INACTIVE_FOR} and days is None:
        return qs.none()
    if kind == Segment.JOINED_WITHIN:
        return qs.filter(date_joined__gte=now - timedelta(days=days))
    if kind == Segment.INACTIVE_FOR:
        cutoff = now - timedelta(days=days)
        return qs.filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=cutoff))
    if kind == Segment.CUSTOM_FIELD:
        name, value = values.segment_field.strip(), values.segment_value.strip()
        if not name:
            return qs.none()
        profiles = Profile.objects.annotate(
            field_value=KeyTextTransform(name, "custom_fields")
        ).filter(field_value__iexact=value)
        return qs.filter(Exists(profiles.filter(user=OuterRef("pk"))))
    return qs.none()


@dataclass
class SegmentValues:
    """A segment that is not (yet) an Announcement: the editing form's live count."""

    segment: str
    segment_group_id: int | None = None
    segment_role: str = ""
    segment_days: int | None = None
    segment_field: str = ""
    segment_value: str = ""


@dataclass(frozen=True)
class Reach:
    """How many members a segment matches, and how many of them would be skipped."""

    matching: int
    unsubscribed: int
    bouncing: int

    @property
    def reachable(self) -> int:
        return self.matching - self.unsubscribed - self.bouncing


def reach(values: Any) -> Reach:
    """Three counting queries, whatever the size of the segment. A member who is both
    unsubscribed and bouncing counts as unsubscribed."""
    qs = resolve(values)
    bounced = MailboxStatus.objects.filter(
        email=Lower(OuterRef("email")), bouncing_since__isnull=False
    )
    unsubscribed = Q(mail_settings__announcements=False)
    return Reach(
        matching=qs.count(),
        unsubscribed=qs.filter(unsubscribed).count(),
        bouncing=qs.filter(Exists(bounced)).exclude(unsubscribed).count(),
    )


def custom_field_names() -> list[str]:
    """The custom profile fields members have (members import), for the form's choices.
    Read from every profile that has one, so cached for ten minutes."""
    names = cache.get(FIELD_NAMES_CACHE_KEY)
    if names is None:
        found: set[str] = set()
        rows = Profile.objects.exclude(custom_fields={}).values_list("custom_fields", flat=True)
        for fields in rows.iterator(chunk_size=2000):
            if isinstance(fields, dict):
                found.update(str(key) for key in fields)
        names = sorted(found)
        cache.set(FIELD_NAMES_CACHE_KEY, names, 600)
    return names
