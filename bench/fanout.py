"""Fan-out of one new topic to many watchers, through real worker processes.

    PYTHONPATH=src .venv/bin/python bench/fanout.py                     # SQLite and PostgreSQL
    PYTHONPATH=src .venv/bin/python bench/fanout.py --watchers 20000 --databases sqlite

For each database it builds a community (made anew: the SQLite file is deleted, the
PostgreSQL database, whose name must start with ``ts_bench``, is dropped and created) with
``--watchers`` members watching one category, and a topic in it. Then it starts
``--workers`` real Celery worker processes (``celery -A townsquare worker --concurrency=1``
each) on a private queue of Redis database 14, enqueues
``notifications.tasks.fan_out("post", <first post>)`` and measures the wall time from the
enqueue until every watcher has their notification, and each worker's peak memory (RSS
high-water mark, VmHWM in /proc). Results go to bench/results/fanout-<database>.json.

``populate`` is also used by the real-worker test (tests/browser/test_fanout_worker.py):

    python bench/fanout.py populate --watchers 5000   # in the environment of the workers

migrates nothing and prints the first post's id as JSON. The watchers are written in bulk
(BYPASSING THE ACTIONS, as bench/generate.py does; the values are those the actions would
write: an active member who accepted the current guidelines, watching the category); the
guidelines, the category, the author and the topic go through the actions.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("BENCH_DATA_DIR", ROOT / "var" / "bench"))
RESULTS = ROOT / "bench" / "results"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/ts_bench_fanout"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
CHUNK = 5000


def populate(watchers: int) -> dict:
    """Build the community in the database Django is configured for (already migrated)."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from townsquare.accounts import actions as account_actions
    from townsquare.accounts.models import Role, User
    from townsquare.core import actions as core_actions
    from townsquare.forum import actions as forum_actions
    from townsquare.forum.models import CategoryNotificationSetting, NotificationLevel

    guidelines = core_actions.publish_guidelines(None, "## Be kind\n\nNo spam.", "First")
    category = forum_actions.create_category(None, name="Announcements at scale")
    author = account_actions.register_member(
        email="author@example.com", handle="author", display_name="Author", password=None
    )
    account_actions.accept_guidelines(author, guidelines)
    # Before the watchers exist, so the topic's own fan-out (in-process here) tells nobody.
    topic = forum_actions.create_topic(
        author, category, title="A topic for everyone", body="Hello, all of you watching."
    )
    first_post = topic.posts.get(number=1)
    password = make_password(None)  # unusable, as register_member(password=None) leaves it
    with transaction.atomic():
        for start in range(0, watchers, CHUNK):
            numbers = range(start, min(start + CHUNK, watchers))
            users = User.objects.bulk_create(
                User(
                    email=f"watcher{n}@example.com",
                    handle=f"watcher{n}",
                    display_name=f"Watcher {n}",
                    password=password,
                    role=Role.MEMBER,
                    guidelines_version=guidelines.version,
                )
                for n in numbers
            )
            if users[0].pk is None:  # backends that do not return ids from bulk inserts
                users = User.objects.filter(handle__in=[f"watcher{n}" for n in numbers])
            CategoryNotificationSetting.objects.bulk_create(
                CategoryNotificationSetting(
                    user_id=user.pk, category=category, level=NotificationLevel.WATCHING
                )
                for user in users
            )
    return {"post": first_post.pk, "topic": topic.pk, "category": category.pk}


# --- The benchmark ------------------------------------------------------------------------


def environment(database_url: str, redis_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "CELERY_BROKER_URL"}
    }
    env.update(
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=redis_url,
        DJANGO_SETTINGS_MODULE="townsquare.settings",
        PYTHONPATH=str(ROOT / "src"),
        PYTHONUNBUFFERED="1",
    )
    return env


def reset_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    server, name = url.rsplit("/", 1)
    if not name.startswith("ts_bench"):
        sys.exit(f"Refusing to drop {name!r}: the benchmark database's name starts with ts_bench")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def analyze(url: str) -> None:
    if url.startswith("sqlite:///"):
        import sqlite3

        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            connection.execute("ANALYZE")
        finally:
            connection.close()
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def peak_rss_kib(pid: int) -> int:
    """The process's RSS high-water mark (KiB), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def current_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class WorkerProcess:
    def __init__(self, env: dict[str, str], queue: str, index: int) -> None:
        command = [
            sys.executable, "-m", "celery", "-A", "townsquare", "worker", "--pool=solo",
            "--concurrency=1", "--loglevel=INFO", "-Q", queue, "-n", f"{queue}-{index}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, errors="replace",
        )  # fmt: skip
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(" ready." in line for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                sys.exit("A worker did not start:\n" + "".join(self.lines[-40:]))
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.reader.join(timeout=5)

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines)


def count_notifications(database_url: str, event_key: str) -> int:
    if database_url.startswith("sqlite:///"):
        import sqlite3

        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30)
        try:
            sql = "SELECT count(*) FROM notifications_notification WHERE event_key = ?"
            return connection.execute(sql, (event_key,)).fetchone()[0]
        finally:
            connection.close()
    import psycopg

    with psycopg.connect(database_url) as connection:
        sql = "SELECT count(*) FROM notifications_notification WHERE event_key = %s"
        return connection.execute(sql, (event_key,)).fetchone()[0]


def clear_queue(redis_url: str, queue: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = [queue, f"_kombu.binding.{queue}", *client.scan_iter(match=f"{queue}\x06\x16*")]
        client.delete(*keys)
    finally:
        client.close()


def bench_one(vendor: str, url: str, args: argparse.Namespace) -> dict:
    env = environment(url, args.redis_url)
    print(f"[{vendor}] building {args.watchers:,} watchers ...", flush=True)
    started = time.perf_counter()
    reset_database(url)
    run([sys.executable, "-m", "django", "migrate", "--noinput", "-v0"], env)
    built = json.loads(
        run([sys.executable, __file__, "populate", "--watchers", str(args.watchers)], env)
    )
    analyze(url)  # as autovacuum (PostgreSQL) or the daily maintenance job (SQLite) would
    print(f"[{vendor}] built in {time.perf_counter() - started:.0f} s", flush=True)

    queue = f"townsquare-bench-{uuid.uuid4().hex[:10]}"
    workers = [WorkerProcess(env, queue, index) for index in range(args.workers)]
    try:
        for worker in workers:
            worker.wait_ready()
        idle_rss = [current_rss_kib(worker.process.pid) for worker in workers]

        # Enqueue the way the application does (fan_out.delay), on our queue.
        os.environ.update(env)
        import django

        django.setup()
        from townsquare.celery import app
        from townsquare.notifications.tasks import fan_out

        event_key = f"post:{built['post']}"
        with (
            app.connection_for_write(args.redis_url) as connection,
            connection.Producer() as producer,
        ):
            enqueued = time.perf_counter()
            fan_out.apply_async(args=["post", built["post"], {}], queue=queue, producer=producer)
        samples = []
        deadline = enqueued + args.timeout
        count = 0
        while time.perf_counter() < deadline:
            count = count_notifications(url, event_key)
            samples.append((round(time.perf_counter() - enqueued, 2), count))
            if count >= args.watchers:
                break
            time.sleep(0.25)
        elapsed = time.perf_counter() - enqueued
        # Let the workers finish acknowledging, then read their memory.
        time.sleep(1.0)
        peaks = [peak_rss_kib(worker.process.pid) for worker in workers]
        jobs = [worker.count("succeeded in") for worker in workers]
    finally:
        for worker in workers:
            worker.stop()
        clear_queue(args.redis_url, queue)
    complete = count >= args.watchers
    result = {
        "benchmark": "fan-out of one new topic to the watchers of its category",
        "command": args.command,
        "database": vendor,
        "watchers": args.watchers,
        "workers": args.workers,
        "notifications": count,
        "complete": complete,
        "seconds": round(elapsed, 2),
        "notifications_per_second": round(count / elapsed) if elapsed else None,
        "target_seconds": 60,
        "worker_idle_rss_mib": [round(kib / 1024, 1) for kib in idle_rss],
        "worker_peak_rss_mib": [round(kib / 1024, 1) for kib in peaks],
        "jobs_done_per_worker": jobs,
        "progress": samples[:: max(1, len(samples) // 40)],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "git_commit": git_commit(),
    }
    print(
        f"[{vendor}] {count:,} of {args.watchers:,} notifications in {elapsed:.1f} s "
        f"with {args.workers} workers; peak RSS {result['worker_peak_rss_mib']} MiB "
        f"(idle {result['worker_idle_rss_mib']}); jobs per worker {jobs}",
        flush=True,
    )
    if not complete:
        print("".join(workers[0].lines[-30:]))
    return result


def git_commit() -> str:
    if shutil.which("git") is None:
        return ""
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True)
    return done.stdout.decode().strip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", nargs="?", default="bench", choices=["bench", "populate"])
    parser.add_argument("--watchers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--sqlite-url", default=f"sqlite:///{DATA_DIR / 'fanout.sqlite3'}", help="made anew"
    )
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL), help="made anew"
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--command", default="make bench-fanout")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.mode == "populate":
        print(json.dumps(populate(args.watchers)))
        return
    urls = {"sqlite": args.sqlite_url, "postgresql": args.pg_url}
    for vendor in args.databases.split(","):
        if vendor == "postgresql" and not urls[vendor]:
            print("No PostgreSQL URL: skipped.")
            continue
        result = bench_one(vendor, urls[vendor], args)
        if not args.no_write:
            RESULTS.mkdir(parents=True, exist_ok=True)
            path = RESULTS / f"fanout-{vendor}.json"
            path.write_text(json.dumps(result, indent=2) + "\n")
            print(f"Written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
