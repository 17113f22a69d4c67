# ruff: noqa: F811 - the Redis fixtures are imported from test_email_worker
"""The job system with real worker processes on a real Redis: back-off retries, failed
jobs, and a worker killed in the middle of a job.

The workers load the test jobs (tests.job_tasks) and share a SQLite database of their own,
migrated once for this module; the tests read it directly. Retry delays are scaled down
(TOWNSQUARE_JOB_BACKOFF_SCALE) and a lost job is handed out again after one second
(TOWNSQUARE_JOB_VISIBILITY_TIMEOUT), so the module runs in seconds. Skipped only when
Redis does not answer at REDIS_TEST_URL, like test_email_worker.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import job_tasks
from tests.browser.test_email_worker import (  # noqa: F401 - fixtures
    Worker,
    migrate_worker_database,
    queue_name,
    redis_producer,
    redis_url,
)

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[2]


def worker_environment(data_dir: Path, redis_url: str, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "CELERY_BROKER_URL"}
    }
    env.update(
        CELERY_BROKER_URL=redis_url,
        DJANGO_SETTINGS_MODULE="townsquare.settings",
        TOWNSQUARE_DATA_DIR=str(data_dir),
        # This checkout's code (and the test jobs), whatever is installed.
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        PYTHONUNBUFFERED="1",
        TOWNSQUARE_JOB_BACKOFF_SCALE="0.2",
        TOWNSQUARE_JOB_VISIBILITY_TIMEOUT="1",
    )
    env.update(extra)  # may override the above
    return env


@pytest.fixture(scope="module")
def worker_data(tmp_path_factory) -> Path:
    """A migrated database for the workers (any REDIS_TEST_URL, any DATABASE_URL)."""
    data_dir = tmp_path_factory.mktemp("worker-data")
    migrate_worker_database(worker_environment(data_dir, ""), data_dir)
    return data_dir


def query(data_dir: Path, sql: str, *params: object) -> list[tuple]:
    connection = sqlite3.connect(data_dir / "townsquare.sqlite3", timeout=10)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def wait_for(check: Callable[[], object], timeout: float, worker: Worker | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    log = f"\nWorker log:\n{worker.output}" if worker is not None else ""
    pytest.fail(f"Nothing happened within {timeout} s.{log}", pytrace=False)


@pytest.fixture
def start_worker(tmp_path, worker_data, redis_url, queue_name) -> Iterator[Callable[..., Worker]]:
    """Starts real Celery worker processes on our queue (``start(NAME=value)`` adds to
    their environment); stops the ones still running."""
    started: list[tuple[Worker, threading.Thread]] = []

    def start(**extra_env: str) -> Worker:
        command = [
            sys.executable, "-m", "celery", "-A", "townsquare", "worker", "-I", "tests.job_tasks",
            "--pool=solo", "--concurrency=1", "--loglevel=INFO", "-Q", queue_name,
            "-n", f"{queue_name}-{len(started)}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        process = subprocess.Popen(
            command,
            env=worker_environment(worker_data, redis_url, **extra_env),
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
        started.append((worker, reader))
        deadline = time.monotonic() + 30
        while not worker.wait_for_line(" ready.", timeout=0.1):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The Celery worker did not start:\n{worker.output}", pytrace=False)
        return worker

    yield start
    for worker, reader in started:
        if worker.process.poll() is None:
            worker.process.terminate()
            try:
                worker.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(timeout=5)
        reader.join(timeout=5)


def done(data_dir: Path, key: str) -> list[tuple]:
    return query(data_dir, "SELECT key FROM core_completedjob WHERE key = ?", f"done:{key}")


def failed_jobs(data_dir: Path, task_id: str) -> list[tuple]:
    return query(
        data_dir,
        "SELECT task_name, attempts, exception_type, status FROM core_failedjob WHERE task_id = ?",
        task_id,
    )


def test_a_failing_job_is_retried_with_backoff_and_succeeds(
    start_worker, worker_data, redis_producer, queue_name
):
    worker = start_worker()
    key = uuid.uuid4().hex
    result = job_tasks.flaky.apply_async(args=[key, 2], queue=queue_name, producer=redis_producer)
    wait_for(lambda: done(worker_data, key), timeout=30, worker=worker)
    assert worker.wait_for_line("succeeded", timeout=10), worker.output
    assert worker.output.count("will retry") == 2
    assert f"flaky {key} attempt 3" in worker.output
    assert "Retry in" in worker.output  # Celery scheduled each retry with a countdown
    assert failed_jobs(worker_data, result.id) == []


def test_a_job_that_always_fails_ends_in_failed_jobs(
    start_worker, worker_data, redis_producer, queue_name
):
    worker = start_worker()
    result = job_tasks.always_fails.apply_async(
        args=["never"], queue=queue_name, producer=redis_producer
    )
    rows = wait_for(lambda: failed_jobs(worker_data, result.id), timeout=30, worker=worker)
    assert rows == [
        ("tests.job_tasks.always_fails", 3, "builtins.ConnectionRefusedError", "failed")
    ]
    assert "recorded as a failed job" in worker.output


def test_a_job_whose_worker_is_killed_completes_once_on_another_worker(
    start_worker, worker_data, redis_producer, queue_name
):
    first = start_worker()
    key = uuid.uuid4().hex
    result = job_tasks.slow.apply_async(args=[key, 2.0], queue=queue_name, producer=redis_producer)
    assert first.wait_for_line(f"slow {key} started", timeout=20), first.output
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=10)
    assert f"slow {key} finished" not in first.output
    assert done(worker_data, key) == []

    time.sleep(1.2)  # past the visibility timeout: the job counts as lost
    second = start_worker()
    wait_for(lambda: done(worker_data, key), timeout=30, worker=second)
    assert second.wait_for_line("succeeded", timeout=10), second.output
    assert f"slow {key} started" in second.output
    time.sleep(1.5)  # would a third delivery come? It must not.
    assert second.output.count(f"slow {key} started") == 1
    assert len(done(worker_data, key)) == 1
    assert failed_jobs(worker_data, result.id) == []
