# ruff: noqa: F811 - the worker and Redis fixtures are imported from the other worker tests
"""A member's data export built by a real Celery worker on a real Redis, as in production:
the web process only queues the job; the worker writes the zip where the web process
serves it from, and marks the export ready. Skipped only when Redis does not answer at
REDIS_TEST_URL, like the other worker tests."""

import json
import subprocess
import sys
import zipfile

import pytest

from tests.browser.test_email_worker import redis_producer, redis_url  # noqa: F401
from tests.browser.test_job_worker import (  # noqa: F401 - fixtures
    query,
    queue_name,
    start_worker,
    wait_for,
    worker_data,
    worker_environment,
)
from townsquare.accounts.tasks import build_data_export

pytestmark = pytest.mark.redis

SETUP = """
from townsquare.accounts import actions
from townsquare.accounts.models import DataExport
member = actions.register_member(
    email="worker.export@example.org", handle="workerx", display_name="Worker X",
    password=None,
)
print(DataExport.objects.create(member=member).pk)
"""


def test_a_worker_builds_the_export_and_marks_it_ready(
    tmp_path, start_worker, worker_data, redis_url, redis_producer, queue_name
):
    made = subprocess.run(
        [sys.executable, "-m", "django", "shell", "-c", SETUP],
        env=worker_environment(worker_data, ""),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    export_id = int(made.stdout.strip().splitlines()[-1])
    worker = start_worker()
    build_data_export.apply_async(args=[export_id], queue=queue_name, producer=redis_producer)

    def ready() -> list[tuple]:
        return query(
            worker_data,
            "SELECT file, size FROM accounts_dataexport WHERE id = ? AND status = 'ready'",
            export_id,
        )

    [(name, size)] = wait_for(ready, timeout=60, worker=worker)
    stored = worker_data / "media" / name
    assert stored.stat().st_size == size
    data = json.loads(zipfile.ZipFile(stored).read("data.json"))
    assert data["account"]["handle"] == "workerx"
    entries = query(
        worker_data, "SELECT COUNT(*) FROM moderation_auditentry WHERE action = ?",
        "member.data_exported",
    )  # fmt: skip
    assert entries == [(1,)]
