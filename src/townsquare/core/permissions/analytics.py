"""The analytics dashboard and its API, and the satisfaction surveys that feed it: who may
read the community's numbers, and who is asked for their opinion."""

from datetime import timedelta

from django.utils import timezone

from townsquare.core.models import Community
from townsquare.core.permissions.community import AnyUser, is_manager, is_member, is_staff
from townsquare.core.permissions.forum import may_view_topic
from townsquare.core.permissions.moderation import is_suspended
from townsquare.forum.models import CategoryKind, Topic

#: Members are asked how likely they are to recommend the community once they have known
#: it this long (a first impression is not a recommendation).
NPS_MIN_MEMBERSHIP = timedelta(days=14)


def may_view_analytics(user: AnyUser) -> bool:
    """Community managers and admins read the dashboard, its CSV exports and
    /api/v1/metrics; the figures are about everyone, so no one else does."""
    return is_manager(user)


def may_answer_nps(user: AnyUser) -> bool:
    """Members (not staff: the team's own view of the community would skew its score) who
    joined at least two weeks ago. How often they are asked is surveys.queries' rule."""
    return (
        is_member(user)
        and not is_staff(user)
        and not is_suspended(user)
        and user.date_joined <= timezone.now() - NPS_MIN_MEMBERSHIP
    )


def may_rate_answer(user: AnyUser, community: Community, topic: Topic) -> bool:
    """The asker of a solved question in a Q&A category rates the answer they got (CSAT);
    whether they already did is surveys.queries' rule."""
    return (
        is_member(user)
        and not is_suspended(user)
        and topic.author_id == user.pk
        and topic.accepted_post_id is not None
        and topic.category.kind == CategoryKind.QA
        and may_view_topic(user, community, topic)
    )


def may_manage_goals(user: AnyUser) -> bool:
    """Community managers and admins set, change and remove the community's goals (and
    own them): the people who read the numbers steer by them."""
    return is_manager(user)


def may_own_goal(user: AnyUser) -> bool:
    """A goal's owner is answerable for it: a community manager or admin."""
    return is_manager(user)


def may_import_crm(user: AnyUser) -> bool:
    """Community managers and admins bring in CRM accounts (CSV or API), see the ones not
    matched to a member and link them: business data about members, like the dashboard."""
    return is_manager(user)


def may_change_analytics_settings(user: AnyUser) -> bool:
    """The analytics settings (when a member counts as lost, the cost of a support
    ticket, the currency) change what the dashboard reports: managers and admins."""
    return is_manager(user)
