"""Moderation fixtures: the forum's categories and roles."""

from tests.forum.conftest import (  # noqa: F401  (fixtures)
    bob,
    general,
    manager,
    moderator,
)
