"""Moderation fixtures: the forum's categories and members, a few trusted flaggers, and a
way to let on-commit work (search indexing, mail) run inside a test."""

import pytest

from tests.conftest import make_member
from tests.forum.conftest import (  # noqa: F401  (fixtures)
    bob,
    client_for,
    general,
    lounge,
    manager,
    moderator,
    newcomers,
    questions,
    start_topic,
)
from townsquare.accounts.models import User


@pytest.fixture
def carol(guidelines) -> User:
    return make_member("carol", guidelines)


def trusted(handle: str, guidelines, level: int = 1) -> User:
    user = make_member(handle, guidelines)
    User.objects.filter(pk=user.pk).update(trust_level=level)
    user.refresh_from_db()
    return user


@pytest.fixture
def flaggers(guidelines) -> list[User]:
    """Three members at trust level 1, whose flags count towards hiding."""
    return [trusted(f"flagger{n}", guidelines) for n in range(3)]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed(): action()`` runs the action's on-commit work."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
