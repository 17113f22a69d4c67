"""Notification fixtures: the forum's, a few more members, and a way to let the
on-commit fan-out run (tests run inside a transaction that never commits)."""

import pytest

from tests.conftest import make_member
from tests.forum.conftest import (  # noqa: F401  (fixtures)
    bob,
    general,
    lounge,
    manager,
    moderator,
    newcomers,
    questions,
)
from townsquare.accounts.models import User
from townsquare.celery import app
from townsquare.notifications.models import Notification


@pytest.fixture(autouse=True)
def _jobs_raise():
    """An error in the eager fan-out fails the test instead of being retried quietly."""
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_eager_propagates = False


@pytest.fixture
def carol(guidelines) -> User:
    return make_member("carol", guidelines)


@pytest.fixture
def dave(guidelines) -> User:
    return make_member("dave", guidelines)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed(): action()`` runs the action's on-commit work (the fan-out)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def kinds(user: User) -> list[str]:
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))
