"""Jobs without a broker (a laptop, `make demo`): Celery runs them in-process."""

import logging

import pytest

from townsquare.celery import app
from townsquare.search.tasks import index_posts


@pytest.mark.django_db
def test_without_a_broker_jobs_run_in_process_on_the_in_memory_transport(caplog):
    assert app.conf.task_always_eager
    with caplog.at_level(logging.WARNING, logger="kombu"):
        connection = app.connection_for_write()
        assert (connection.transport_cls, connection.hostname) == ("memory", "localhost")
        assert index_posts.delay([]).get() == 0
    # kombu warned "No hostname was supplied" in every process that ran a job.
    assert not [record for record in caplog.records if record.name.startswith("kombu")]
