"""The demo community's goals: a few a manager would set, owned by the demo manager."""

from datetime import UTC, timedelta

from django.utils import timezone

from townsquare.accounts.models import Role, User
from townsquare.analytics import goal_actions
from townsquare.analytics.models import Goal

# (metric, target, days since the start, days to the deadline, note)
GOALS = [
    ("posts", 600, 60, 30, "Spring push: more questions answered in the open."),
    ("mau", 60, 90, 60, "Grow the regulars before the summer meetup."),
    ("engagement_rate", 40, 30, 90, "Turn readers into contributors."),
    ("new_members", 80, 45, 45, "Sign-ups from the newsletter campaign."),
]


def load() -> dict[str, int]:
    """Set the demo goals once (nothing when any goal exists, or no manager does)."""
    if Goal.objects.exists():
        return {}
    owner = User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk").first()
    if owner is None:
        return {}
    today = timezone.now().astimezone(UTC).date()
    for metric, target, since, until, note in GOALS:
        goal_actions.create_goal(
            owner,
            metric=metric,
            target=target,
            start=today - timedelta(days=since),
            deadline=today + timedelta(days=until),
            owner=owner,
            note=note,
        )
    return {"goals": len(GOALS)}
