"""Reads of the surveys: whom to ask now. Each answer is one indexed lookup."""

from datetime import timedelta

from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.core.models import Community
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
