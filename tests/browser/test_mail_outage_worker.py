# ruff: noqa: F811 - the worker fixtures are imported from test_job_worker and test_email_worker
"""The mail server is down: queued mail waits and retries; once it is back, every message
arrives, and none twice.

A real Celery worker process on a real Redis (a private queue of database 15) delivers
``deliver_email`` jobs to a real SMTP server (aiosmtpd, tests/smtp.py) on a fixed port,
which is stopped while the mail is queued and started again later on the same port. Retry
delays are scaled down a hundredfold (TOWNSQUARE_JOB_BACKOFF_SCALE); the visibility
timeout stays longer than the longest retry delay, as in production (settings.py). Skipped
only when Redis does not answer at REDIS_TEST_URL.
"""

import base64
import time

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid

from tests.browser.test_email_worker import (  # noqa: F401 - fixtures
    queue_name,
    redis_producer,
    redis_url,
)
from tests.browser.test_job_worker import (  # noqa: F401 - fixtures
    query,
    start_worker,
    wait_for,
    worker_data,
)
from tests.smtp import MailCollector, free_port
from townsquare.core.tasks import deliver_email

pytestmark = pytest.mark.redis

SENDER = "Townsquare <noreply@example.com>"
MESSAGES = 10


def smtp_controller(port: int, collector: MailCollector) -> Controller:
    controller = Controller(collector, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    return controller


def test_mail_waits_while_the_smtp_server_is_down_and_arrives_once_when_it_is_back(
    start_worker, worker_data, redis_producer, queue_name
):
    port = free_port()
    # The server was there, and went away: the port is known and refuses connections.
    smtp_controller(port, MailCollector()).stop()
    worker = start_worker(
        EMAIL_URL=f"smtp://127.0.0.1:{port}?timeout=5",
        TOWNSQUARE_JOB_BACKOFF_SCALE="0.01",  # 30 s, 60 s, 120 s ... become 0.3 s, 0.6 s ...
        TOWNSQUARE_JOB_VISIBILITY_TIMEOUT="120",
    )

    ids = {}
    for number in range(MESSAGES):
        message_id = make_msgid(domain="example.com")
        message = EmailMessage(
            f"Outage test {number}",
            f"Message {number}: Zażółć gęślą jaźń — 你好\n",
            SENDER,
            [f"member{number}@example.com"],
            headers={"Message-ID": message_id},
        )
        wire = base64.b64encode(message.message().as_bytes()).decode("ascii")
        deliver_email.apply_async(
            args=[wire, SENDER, [f"member{number}@example.com"]],
            queue=queue_name,
            producer=redis_producer,
        )
        ids[message_id] = f"Outage test {number}"

    # Each message failed at least twice and waits for its next attempt.
    wait_for(lambda: _retries(worker) >= 2 * MESSAGES, timeout=30, worker=worker)
    assert "ConnectionRefusedError" in "".join(worker.lines)
    assert query(worker_data, "SELECT key FROM core_completedjob") == []

    collector = MailCollector()
    controller = smtp_controller(port, collector)  # the server is back, on the same port
    try:
        wait_for(lambda: len(collector.received) >= MESSAGES, timeout=40, worker=worker)
        time.sleep(2)  # would a message come twice? None may.
    finally:
        controller.stop()

    received = [mail.parsed() for mail in collector.received]
    assert sorted(message["Message-ID"] for message in received) == sorted(ids)
    assert sorted(message["Subject"] for message in received) == sorted(ids.values())
    assert len(query(worker_data, "SELECT key FROM core_completedjob")) == MESSAGES
    assert query(worker_data, "SELECT task_name FROM core_failedjob") == []


def _retries(worker) -> int:
    return sum("will retry" in line for line in worker.lines)
