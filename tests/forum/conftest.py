"""Forum fixtures: a community with categories of every kind and members in every role."""

import pytest
from django.test import Client

from tests.conftest import make_member
from townsquare.accounts.models import Role, User
from townsquare.forum import actions
from townsquare.forum.models import Audience, Category, CategoryKind, Topic


@pytest.fixture
def moderator(guidelines) -> User:
    return make_member("mod", guidelines, role=Role.MODERATOR)


@pytest.fixture
def manager(guidelines) -> User:
    return make_member("maja", guidelines, role=Role.MANAGER)


@pytest.fixture
def bob(guidelines) -> User:
    return make_member("bob", guidelines)


@pytest.fixture
def general(db) -> Category:
    return actions.create_category(None, name="General", kind=CategoryKind.DISCUSSION)


@pytest.fixture
def questions(db) -> Category:
    return actions.create_category(None, name="Questions", kind=CategoryKind.QA)


@pytest.fixture
def newcomers(db) -> Category:
    return actions.create_category(None, name="Newcomers", kind=CategoryKind.ANONYMOUS)


@pytest.fixture
def lounge(db) -> Category:
    return actions.create_category(
        None, name="Lounge", kind=CategoryKind.DISCUSSION, read_access=Audience.MEMBERS
    )


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def start_topic(author: User, category: Category, title: str = "How do I export a report?",
                body: str = "I need the quarterly numbers as CSV.", **extra) -> Topic:  # fmt: skip
    return actions.create_topic(author, category, title=title, body=body, **extra)
