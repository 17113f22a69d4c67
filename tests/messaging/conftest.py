import pytest
from django.test import Client

from tests.conftest import make_member
from townsquare.accounts.models import Role, User
from townsquare.core.queries import get_community
from townsquare.messaging import actions


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def old_member(handle: str, guidelines) -> User:
    """A member who joined long ago and rose to trust level 1: not under the new-member
    limits (moderation.trust.limits_for)."""
    user = make_member(handle, guidelines)
    User.objects.filter(pk=user.pk).update(date_joined="2020-01-01T00:00:00Z", trust_level=1)
    user.refresh_from_db()
    return user


@pytest.fixture
def alice(guidelines) -> User:
    return old_member("alice", guidelines)


@pytest.fixture
def bob(guidelines) -> User:
    return old_member("bob", guidelines)


@pytest.fixture
def carol(guidelines) -> User:
    return old_member("carol", guidelines)


@pytest.fixture
def moderator(guidelines) -> User:
    return make_member("mod", guidelines, role=Role.MODERATOR)


@pytest.fixture
def admin(guidelines) -> User:
    return make_member("root", guidelines, role=Role.ADMIN)


@pytest.fixture
def chat(alice, bob):
    """alice wrote to bob."""
    return actions.start_conversation(alice, get_community(), ["bob"], "Hello **Bob**")
