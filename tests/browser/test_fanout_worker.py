# ruff: noqa: F811 - the worker fixtures are imported from test_job_worker and test_email_worker
"""A large fan-out survives a worker killed in the middle of it: a new worker finishes
the work, every watcher ends up with exactly one notification, and those who asked for
these by email get exactly one mail (over a real SMTP server), even when the mail sweep
is delivered twice.

Real Celery worker processes on a real Redis (a private queue of database 15), with a
SQLite database of their own that bench/fanout.py's ``populate`` fills with members
watching one category (the benchmark's own builder, at a smaller size). A job whose worker
died is handed out again after one second (TOWNSQUARE_JOB_VISIBILITY_TIMEOUT, as in
test_job_worker). Skipped only when Redis does not answer at REDIS_TEST_URL.
"""

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import pytest

from tests.browser.test_email_worker import (  # noqa: F401 - fixtures
    queue_name,
    redis_producer,
    redis_url,
)
from tests.browser.test_job_worker import (  # noqa: F401 - fixtures
    ROOT,
    query,
    start_worker,
    wait_for,
    worker_data,
    worker_environment,
)
from townsquare.notifications.tasks import fan_out, send_notification_mail

pytestmark = pytest.mark.redis

WATCHERS = 20_000
EMAIL_WATCHERS = 150  # of them, these chose "email at once" for new topics they watch


def populate(data_dir, watchers: int) -> dict:
    script = str(ROOT / "bench" / "fanout.py")
    built = subprocess.run(
        [sys.executable, script, "populate", "--watchers", str(watchers)],
        env=worker_environment(data_dir, ""), cwd=data_dir, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    return json.loads(built.stdout.strip().splitlines()[-1])


def delivered(data_dir, event_key: str) -> int:
    sql = "SELECT count(*) FROM notifications_notification WHERE event_key = ?"
    return query(data_dir, sql, event_key)[0][0]


def choose_email(data_dir, category: int, count: int) -> set[str]:
    """The first ``count`` watchers want new topics by email; returns their addresses."""
    connection = sqlite3.connect(data_dir / "townsquare.sqlite3", timeout=10)
    try:
        with connection:
            connection.execute(
                "INSERT INTO notifications_preference (user_id, kind, channel)"
                " SELECT user_id, 'watched_topic', 'email' FROM forum_categorynotificationsetting"
                " WHERE category_id = ? ORDER BY user_id LIMIT ?",
                (category, count),
            )
    finally:
        connection.close()
    rows = query(
        data_dir,
        "SELECT lower(email) FROM accounts_user WHERE id IN"
        " (SELECT user_id FROM notifications_preference WHERE channel = 'email')",
    )
    return {address for (address,) in rows}


def test_a_worker_killed_in_a_large_fan_out_leaves_each_watcher_exactly_one_notification(
    start_worker, worker_data, redis_producer, queue_name, smtp_server
):
    built = populate(worker_data, WATCHERS)
    event_key = f"post:{built['post']}"
    assert delivered(worker_data, event_key) == 0  # the topic was made before its watchers
    by_email = choose_email(worker_data, built["category"], EMAIL_WATCHERS)
    assert len(by_email) == EMAIL_WATCHERS
    # Jobs the workers queue themselves (the mail sweep's chunks, deliveries) stay on our
    # queue; notification mail is due at once.
    mail_env = {
        "EMAIL_URL": f"smtp://{smtp_server.host}:{smtp_server.port}",
        "TOWNSQUARE_JOB_QUEUE": queue_name,
        "NOTIFICATION_EMAIL_DELAY": "0",
    }

    first = start_worker(**mail_env)
    fan_out.apply_async(args=["post", built["post"], {}], queue=queue_name, producer=redis_producer)
    # Kill it as soon as some (not all) notifications are there.
    wait_for(lambda: delivered(worker_data, event_key) >= 1000, timeout=30, worker=first)
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=10)
    at_kill = delivered(worker_data, event_key)
    assert 0 < at_kill < WATCHERS, f"{at_kill} of {WATCHERS} delivered when the worker died"
    assert "deliver_batch" in first.output  # the fan-out was shared out in slices

    time.sleep(1.2)  # past the visibility timeout: its job counts as lost
    second = start_worker(**mail_env)
    wait_for(lambda: delivered(worker_data, event_key) >= WATCHERS, timeout=50, worker=second)
    time.sleep(1.5)  # would more come (a job delivered twice)? None may.

    assert delivered(worker_data, event_key) == WATCHERS
    watchers = {
        user_id
        for (user_id,) in query(
            worker_data,
            "SELECT user_id FROM forum_categorynotificationsetting WHERE category_id = ?",
            built["category"],
        )
    }
    assert len(watchers) == WATCHERS
    counts = dict(
        query(
            worker_data,
            "SELECT recipient_id, count(*) FROM notifications_notification"
            " WHERE event_key = ? GROUP BY recipient_id",
            event_key,
        )
    )
    assert set(counts) == watchers
    assert set(counts.values()) == {1}
    assert query(worker_data, "SELECT task_name FROM core_failedjob") == []

    # The minute's mail sweep, delivered twice (as after a redelivery): one mail each.
    for _ in range(2):
        send_notification_mail.apply_async(queue=queue_name, producer=redis_producer)
    wait_for(lambda: len(smtp_server.received) >= EMAIL_WATCHERS, timeout=60, worker=second)
    time.sleep(1.5)  # would a second mail come? None may.
    mailed = Counter(address.lower() for mail in smtp_server.received for address in mail.rcpt_tos)
    assert set(mailed) == by_email
    assert set(mailed.values()) == {1}
    assert query(worker_data, "SELECT task_name FROM core_failedjob") == []
