"""Survey fixtures: members old enough to be asked, and a solved question."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import make_member
from townsquare.accounts.models import User
from townsquare.forum import actions as forum_actions
from townsquare.forum.models import CategoryKind, Topic


def joined(user: User, days_ago: int) -> User:
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(days=days_ago))
    user.refresh_from_db()
    return user


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def settled(guidelines) -> User:
    """A member of three weeks: asked the NPS question."""
    return joined(make_member("sam", guidelines, display_name="Sam Settled"), 21)


@pytest.fixture
def settled_client(settled) -> Client:
    return client_for(settled)


@pytest.fixture
def solved(guidelines, settled) -> Topic:
    """Sam's question, answered by Hugo and marked solved."""
    questions = forum_actions.create_category(None, name="Questions", kind=CategoryKind.QA)
    helper = make_member("hugo", guidelines)
    topic = forum_actions.create_topic(settled, questions, title="How to export?", body="Help")
    answer = forum_actions.create_post(helper, topic, body="Use the CSV link.")
    forum_actions.accept_answer(settled, answer)
    topic.refresh_from_db()
    return topic
