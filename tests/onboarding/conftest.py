import pytest

from townsquare.celery import app as celery_app


@pytest.fixture(autouse=True)
def _jobs_in_process():
    """The hourly job queues its chunks; run them in-process whatever the environment."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager
