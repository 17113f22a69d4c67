"""Reads of the surveys: whom to ask now. Each answer is one indexed lookup."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Avg, Count
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.core.models import Community
from townsquare.events.models import Event
from townsquare.forum.models import Topic
from townsquare.surveys.models import Kind, SurveyAnswer

#: A member is asked how likely they are to recommend the community at most this often;
#: an answer and a "not now" both count.
NPS_INTERVAL = timedelta(days=90)


def topic_context(topic: Topic) -> str:
    return f"topic:{topic.pk}"


def asked_nps_recently(member: User) -> bool:
    """Answered, or dismissed, the NPS question in the last 90 days."""
    since = timezone.now() - NPS_INTERVAL
    return SurveyAnswer.objects.filter(member=member, kind=Kind.NPS, created_at__gt=since).exists()


def answered_nps_recently(member: User) -> bool:
    """Gave a score (not just "not now") in the last 90 days: one opinion per quarter."""
    since = timezone.now() - NPS_INTERVAL
    return SurveyAnswer.objects.filter(
        member=member, kind=Kind.NPS, created_at__gt=since, score__isnull=False
    ).exists()


def nps_prompt_due(user: User) -> bool:
    """Show the NPS panel to this reader now?"""
    return permissions.may_answer_nps(user) and not asked_nps_recently(user)


def rated_topic(member: User, topic: Topic) -> bool:
    return SurveyAnswer.objects.filter(
        member=member, kind=Kind.CSAT, context=topic_context(topic)
    ).exists()


def csat_prompt_due(user: User, community: Community, topic: Topic) -> bool:
    """Offer the asker of this solved question to rate the answer, once per topic."""
    return permissions.may_rate_answer(user, community, topic) and not rated_topic(user, topic)


# --- Event feedback ("How was it?") ----------------------------------------------------


def event_context(event: Event) -> str:
    return f"event:{event.pk}"


def gave_event_feedback(member: User, event: Event) -> bool:
    return SurveyAnswer.objects.filter(
        member=member, kind=Kind.CSAT, context=event_context(event)
    ).exists()


@dataclass
class EventFeedback:
    """What the hosts see: how many answered, the average score, the comments."""

    count: int
    average: float | None
    comments: list[SurveyAnswer]


def event_feedback(event: Event, comments: int = 50) -> EventFeedback:
    """The event's feedback for its hosts, in two queries: the count and average, and
    the latest comments (with their members)."""
    answers = SurveyAnswer.objects.filter(
        kind=Kind.CSAT, context=event_context(event), score__isnull=False
    )
    figures = answers.aggregate(count=Count("pk"), average=Avg("score"))
    latest = answers.exclude(comment="").select_related("member").order_by("-created_at", "-pk")
    return EventFeedback(figures["count"], figures["average"], list(latest[:comments]))
