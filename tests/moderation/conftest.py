"""Moderation fixtures: the forum's categories and roles (tests.forum.conftest)."""

from tests.forum.conftest import (  # noqa: F401  (fixtures)
    bob,
    general,
    lounge,
    manager,
    moderator,
    newcomers,
    questions,
)
