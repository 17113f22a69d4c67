"""Whether members already did what a step asks: one query per goal for a whole batch."""

from collections.abc import Callable, Sequence

from townsquare.accounts.models import Profile
from townsquare.core.queries import get_community
from townsquare.forum.models import Post
from townsquare.groups.models import GroupMembership
from townsquare.onboarding.models import Goal


def profile_complete(user_ids: Sequence[int]) -> set[int]:
    """An "about me" text and at least one area of expertise."""
    return set(
        Profile.objects.filter(user__in=user_ids, expertise__isnull=False)
        .exclude(bio="")
        .values_list("user_id", flat=True)
    )


def has_posted(user_ids: Sequence[int]) -> set[int]:
    """A topic or a reply that is still there."""
    return set(
        Post.objects.filter(author__in=user_ids, deleted_at__isnull=True).values_list(
            "author_id", flat=True
        )
    )


def has_replied(user_ids: Sequence[int]) -> set[int]:
    """A reply (not a topic's first post) that is still there."""
    return set(
        Post.objects.filter(author__in=user_ids, deleted_at__isnull=True, number__gt=1).values_list(
            "author_id", flat=True
        )
    )


def joined_group(user_ids: Sequence[int]) -> set[int]:
    """A group of their choice: the newcomers group everyone joins does not count."""
    memberships = GroupMembership.objects.filter(user__in=user_ids)
    newcomers = get_community().newcomers_group_id
    if newcomers is not None:
        memberships = memberships.exclude(group_id=newcomers)
    return set(memberships.values_list("user_id", flat=True))


GOALS: dict[str, Callable[[Sequence[int]], set[int]]] = {
    Goal.PROFILE_COMPLETE: profile_complete,
    Goal.HAS_POSTED: has_posted,
    Goal.HAS_REPLIED: has_replied,
    Goal.JOINED_GROUP: joined_group,
}


def met(goal: str, user_ids: Sequence[int]) -> set[int]:
    """The members among ``user_ids`` who reached ``goal`` (none for Goal.NONE)."""
    check = GOALS.get(goal)
    return check(list(user_ids)) if check is not None and user_ids else set()
