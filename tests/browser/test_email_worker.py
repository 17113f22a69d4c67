"""The real job path for mail: Redis broker -> Celery worker process -> SMTP server.

Skipped only when Redis does not answer at REDIS_TEST_URL (default database 15 on
127.0.0.1). The test works on a queue of its own and removes it afterwards.
"""

import base64
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from django.core.mail import EmailMessage

from townsquare.celery import app as celery_app
from townsquare.core.tasks import deliver_email

pytestmark = pytest.mark.redis

SUBJECT = "Zażółć gęślą jaźń — 你好"
BODY = "Zażółć gęślą jaźń — 你好\n\nDruga linijka: łódź, 北京.\n"
SENDER = "Townsquare <noreply@example.com>"
RECIPIENT = "zofia@example.com"


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        pytest.skip(f"Redis is not reachable at REDIS_TEST_URL ({url}): {error}")
    finally:
        client.close()
    yield url


@pytest.fixture
def queue_name(redis_url) -> Iterator[str]:
    """A queue nobody else uses; emptied and deleted from Redis afterwards."""
    name = f"townsquare-test-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    try:
        # kombu keeps a queue as a list named after it (plus one list per priority) and
        # its binding in a set named after the exchange, which Celery names after the queue.
        keys = [
            name,
            f"_kombu.binding.{name}",
            f"_kombu.binding_permanent.{name}",
            *client.scan_iter(match=f"{name}\x06\x16*"),
        ]
        client.delete(*keys)
    finally:
        client.close()


@dataclass
class Worker:
    process: subprocess.Popen
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines[-60:])

    def wait_for_line(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return True
            time.sleep(0.05)
        return False

    def read_output(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)


def migrate_worker_database(env: dict[str, str], cwd: Path) -> None:
    """Migrate the database a worker started with ``env`` will use."""
    migrated = subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--noinput", "-v0"],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr


@pytest.fixture
def smtp_worker(tmp_path, redis_url, queue_name, smtp_server) -> Iterator[Worker]:
    """A real Celery worker process consuming only our queue, delivering to smtp_server."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "CELERY_BROKER_URL"}
    }
    env.update(
        CELERY_BROKER_URL=redis_url,
        EMAIL_URL=f"smtp://{smtp_server.host}:{smtp_server.port}",
        DJANGO_SETTINGS_MODULE="townsquare.settings",
        TOWNSQUARE_DATA_DIR=str(tmp_path / "worker-data"),
        PYTHONUNBUFFERED="1",
    )
    # The worker writes its delivery keys (core.jobs.once) to its own database.
    migrate_worker_database(env, tmp_path)
    command = [
        sys.executable, "-m", "celery", "-A", "townsquare", "worker",
        "--pool=solo", "--concurrency=1", "--loglevel=INFO", "-Q", queue_name,
        "-n", f"{queue_name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    worker = Worker(process)
    reader = threading.Thread(target=worker.read_output, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 30
        while not worker.wait_for_line(" ready.", timeout=0.1):
            if process.poll() is not None:
                reader.join(timeout=5)
                pytest.fail(
                    f"The Celery worker exited with {process.returncode}:\n{worker.output}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"The Celery worker was not ready within 30 s:\n{worker.output}",
                    pytrace=False,
                )
        yield worker
    finally:
        process.terminate()  # warm shutdown
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        reader.join(timeout=5)


@pytest.fixture
def redis_producer(redis_url) -> Iterator:
    """A producer on its own Redis connection, with the project's app queueing jobs.

    The app's own producer pool is left alone: in eager mode Celery already made one for
    the in-memory transport (townsquare.celery), and a job sent through it would stay there.
    """
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        with (
            celery_app.connection_for_write(redis_url) as connection,
            connection.Producer() as producer,
        ):
            assert connection.transport_cls == "redis"
            yield producer
    finally:
        celery_app.conf.task_always_eager = eager


def compose_wire() -> str:
    """The message as core.mail.QueuedEmailBackend hands it to the job."""
    message = EmailMessage(SUBJECT, BODY, SENDER, [RECIPIENT])
    return base64.b64encode(message.message().as_bytes()).decode("ascii")


def test_worker_delivers_queued_mail_over_smtp(
    smtp_server, smtp_worker, redis_producer, queue_name
):
    assert deliver_email.name == "townsquare.core.tasks.deliver_email"
    assert deliver_email.app is celery_app

    deliver_email.apply_async(
        args=[compose_wire(), SENDER, [RECIPIENT]], queue=queue_name, producer=redis_producer
    )

    # Wait for the mail, but stop early when the worker reports that the job failed.
    deadline = time.monotonic() + 20
    received = smtp_server.received
    while not received and time.monotonic() < deadline:
        if any(marker in smtp_worker.output for marker in ("raised unexpected", "Retry in")):
            break
        received = smtp_server.wait_for_mail(count=1, timeout=0.2)
    if not received:
        pytest.fail(
            f"The job did not deliver the mail. Worker log:\n{smtp_worker.output}",
            pytrace=False,
        )
    assert len(received) == 1
    assert received[0].mail_from == "noreply@example.com"
    assert received[0].rcpt_tos == [RECIPIENT]
    message = received[0].parsed()
    assert message["Subject"] == SUBJECT
    assert message["To"] == RECIPIENT
    assert message["From"].addresses[0].addr_spec == "noreply@example.com"
    assert message.get_content_charset() == "utf-8"
    # SMTP carries CRLF line ends, which the parser keeps in an 8-bit body.
    assert message.get_content().replace("\r\n", "\n") == BODY
    assert smtp_worker.wait_for_line("succeeded", timeout=10), smtp_worker.output
