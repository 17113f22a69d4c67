"""What mentoring pages read: suggested mentors, one's requests, the managers' overview."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.core.models import Community
from townsquare.mentoring.models import MentoringProfile, MentorRequest, RequestStatus
from townsquare.messaging.models import Block

# Mentors ranked in Python for time zones: the best by shared areas, a bounded number.
CANDIDATES = 200


@dataclass(frozen=True)
class Suggestion:
    profile: MentoringProfile
    shared_areas: int
    hours_apart: float


def utc_offset_hours(zone: str, at: datetime) -> float:
    try:
        offset = at.astimezone(ZoneInfo(zone)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0.0
    return offset.total_seconds() / 3600 if offset else 0.0


def hours_apart(zone_a: str, zone_b: str, at: datetime) -> float:
    """How far apart two time zones are now, around the clock (at most 12 hours)."""
    difference = abs(utc_offset_hours(zone_a, at) - utc_offset_hours(zone_b, at)) % 24
    return min(difference, 24 - difference)


def _mentees_taken() -> Subquery:
    accepted = (
        MentorRequest.objects.filter(mentor=OuterRef("user"), status=RequestStatus.ACCEPTED)
        .values("mentor")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(accepted, output_field=IntegerField()), 0)


def suggested_mentors(mentee: User, community: Community, limit: int = 10) -> list[Suggestion]:
    """Mentors with room for a mentee, ranked by how many of the mentee's areas they share,
    then by how close their time zone is; mentors already asked are left out."""
    wanted = list(
        MentoringProfile.areas.through.objects.filter(mentoringprofile__user=mentee).values_list(
            "expertisetag_id", flat=True
        )
    )
    asked = MentorRequest.objects.filter(
        mentee=mentee, status__in=[RequestStatus.PENDING, RequestStatus.ACCEPTED]
    ).values("mentor_id")
    blocks = Block.objects.filter(Q(blocker=mentee) | Q(blocked=mentee))
    profiles = (
        MentoringProfile.objects.filter(
            is_mentor=True, user__in=permissions.visible_members(mentee, community)
        )
        .exclude(user=mentee)
        .exclude(user__in=asked)
        .exclude(user__in=blocks.values("blocker_id"))
        .exclude(user__in=blocks.values("blocked_id"))
        .annotate(
            shared=Count("areas", filter=Q(areas__in=wanted), distinct=True),
            taken=_mentees_taken(),
        )
        .filter(taken__lt=F("capacity"))
        .select_related("user")
        .prefetch_related("areas")
        .order_by("-shared", "user__display_name", "user__pk")[:CANDIDATES]
    )
    now = timezone.now()
    ranked = [
        Suggestion(
            profile, profile.shared, hours_apart(mentee.timezone, profile.user.timezone, now)
        )
        for profile in profiles
    ]
    ranked.sort(key=lambda s: (-s.shared_areas, s.hours_apart))  # stable: names stay in order
    return ranked[:limit]


def requests_for(member: User) -> tuple[QuerySet[MentorRequest], QuerySet[MentorRequest]]:
    """The requests a member sent and received, newest first."""
    base = MentorRequest.objects.select_related("mentee", "mentor")
    return base.filter(mentee=member), base.filter(mentor=member)


def overview() -> tuple[QuerySet[MentorRequest], QuerySet[MentorRequest]]:
    """Every accepted pair and every waiting request, for community managers."""
    base = MentorRequest.objects.select_related("mentee", "mentor").order_by("-created_at")
    return base.filter(status=RequestStatus.ACCEPTED), base.filter(status=RequestStatus.PENDING)
