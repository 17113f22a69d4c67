"""Trust levels and the limits of each level.

PLACEHOLDER (owner: H3): only what screening needs (``Limits``, ``limits_for``), with the
new-member limits H3's ModerationSettings defaults to. H3's module replaces this file.
"""

from dataclasses import dataclass

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.moderation.models import ModerationSettings


@dataclass(frozen=True)
class Limits:
    links: int | None
    images: int | None
    mentions: int | None
    posts_per_day: int | None
    new_conversations_per_day: int | None
    may_message: bool


UNLIMITED = Limits(None, None, None, None, None, True)


def limits_for(
    user: User, config: ModerationSettings | None = None
) -> Limits:  # PLACEHOLDER (owner: H3)
    if permissions.is_staff(user) or user.trust_level >= 1:
        return UNLIMITED
    return Limits(
        links=2,
        images=1,
        mentions=2,
        posts_per_day=10,
        new_conversations_per_day=3,
        may_message=True,
    )
