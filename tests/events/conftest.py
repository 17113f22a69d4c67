"""Fixtures for the events tests: a manager, a published event and a secret group's."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests.conftest import make_member
from tests.notifications.conftest import committed  # noqa: F401  (fixture)
from townsquare.accounts.models import Role, User
from townsquare.events import actions
from townsquare.events.models import Event
from townsquare.groups import actions as group_actions
from townsquare.groups.models import Group, JoinPolicy


@pytest.fixture
def manager(guidelines) -> User:
    return make_member("boss", guidelines, role=Role.MANAGER)


def make_event(creator: User | None, *, publish: bool = True, **fields) -> Event:
    """An event a week from now (an hour long), published unless asked not to."""
    start = fields.pop("starts_at", timezone.now().replace(microsecond=0) + timedelta(days=7))
    fields.setdefault("title", "Weekly community session")
    event = actions.create_event(
        creator if creator is not None and creator.role != Role.MEMBER else None,
        created_by=creator,
        starts_at=start,
        ends_at=fields.pop("ends_at", start + timedelta(hours=1)),
        **fields,
    )
    return actions.publish_event(None, event) if publish else event


@pytest.fixture
def event(manager) -> Event:
    return make_event(
        manager, description="Bring **questions**.", video_url="https://meet.example/x"
    )


@pytest.fixture
def secret_group(guidelines) -> Group:
    return group_actions.create_group(None, name="Advisory board", policy=JoinPolicy.SECRET)


@pytest.fixture
def board_member(guidelines, secret_group) -> User:
    user = make_member("insider", guidelines)
    group_actions.add_member(None, secret_group, user)
    return user


@pytest.fixture
def secret_event(manager, secret_group) -> Event:
    return make_event(
        manager,
        title="Board roadmap preview",
        group=secret_group,
        visibility="community",
        starts_at=datetime(2031, 3, 7, 15, 0, tzinfo=UTC),
    )
