import pytest
from django.test import Client

from tests.conftest import make_member
from townsquare.accounts.models import Role, User
from townsquare.celery import app as celery_app


@pytest.fixture(autouse=True)
def _jobs_in_process():
    """A send queues its batch jobs; run them in-process whatever the environment."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def manager(guidelines) -> User:
    return make_member("maja", guidelines, role=Role.MANAGER, display_name="Maja K")


@pytest.fixture
def manager_client(manager) -> Client:
    client = Client()
    client.force_login(manager)
    return client
