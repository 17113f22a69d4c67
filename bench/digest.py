"""The daily digest for many members, through real worker processes and a real SMTP server.

    PYTHONPATH=src .venv/bin/python bench/digest.py                     # SQLite and PostgreSQL
    PYTHONPATH=src .venv/bin/python bench/digest.py --members 10000 --databases sqlite

For each database it builds a community (made anew: the SQLite file is deleted, the
PostgreSQL database, whose name must start with ``ts_bench``, is dropped and created):
``--members`` members in eight time zones, every one on a daily digest whose local hour is
the hour it is now where they live (so all of them are due at once: the worst case), last
seen two days ago; ``--topics`` topics of the last day in public, members-only and group
categories, a fifth of them questions in a Q&A category tagged with an area of expertise;
a fifth of the members with two areas of expertise; every member in one of 50 groups, 2 %
of them joined today; a tenth with a reply notification routed to the digest.

Then it starts an SMTP server (aiosmtpd, in this process, counting what it receives) and
``--workers`` real Celery worker processes (``--pool=solo``) on a private queue of Redis
database 14, enqueues ``notifications.tasks.send_digests`` — the half-hourly job — and
measures the wall time until every member has been handled (``digest_sent_at`` set) and
until the last mail has reached the SMTP server: the sweep, the ``send_digest_batch`` jobs
and one ``deliver_email`` job per mail, all through the queue. Results go to
bench/results/digest-<database>.json.

The community is written in bulk (BYPASSING THE ACTIONS, as bench/generate.py and
bench/fanout.py do, with the values the actions would write); guidelines, categories,
groups and the author go through the actions.
"""

import argparse
import json
import logging
import os
import platform
import random
import socket
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fanout import (  # the fan-out benchmark's helpers
    DATA_DIR,
    RESULTS,
    ROOT,
    WorkerProcess,
    analyze,
    clear_queue,
    current_rss_kib,
    environment,
    git_commit,
    peak_rss_kib,
    reset_database,
    run,
)

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/ts_bench_digest"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
CHUNK = 5000
ZONES = [
    "UTC", "Europe/Warsaw", "Europe/London", "America/New_York", "America/Los_Angeles",
    "Asia/Shanghai", "Asia/Kolkata", "Australia/Sydney",
]  # fmt: skip
EXPERTISE = ["api", "billing", "security", "design", "data", "mobile", "hiring", "legal"]
LANGUAGES = ["en", "en", "en", "pl", "zh-hans"]


def populate(members: int, topics: int) -> dict:
    """Build the community in the database Django is configured for (already migrated)."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from townsquare.accounts import actions as account_actions
    from townsquare.accounts.models import ExpertiseTag, Profile, Role, User
    from townsquare.core import actions as core_actions
    from townsquare.forum import actions as forum_actions
    from townsquare.forum.models import Audience, CategoryKind, Post, Tag, Topic, TopicTag
    from townsquare.groups import actions as group_actions
    from townsquare.groups.models import GroupMembership
    from townsquare.notifications.models import (
        Channel,
        DigestFrequency,
        Kind,
        MailSettings,
        Notification,
    )

    rng = random.Random(5)
    now = timezone.now()
    guidelines = core_actions.publish_guidelines(None, "## Be kind\n\nNo spam.", "First")
    public = [forum_actions.create_category(None, name=f"Public {n}") for n in range(4)]
    lounge = forum_actions.create_category(
        None, name="Lounge", read_access=Audience.MEMBERS, kind=CategoryKind.DISCUSSION
    )
    qa = forum_actions.create_category(None, name="Questions", kind=CategoryKind.QA)
    groups = [group_actions.create_group(None, name=f"Group {n}") for n in range(50)]
    author = account_actions.register_member(
        email="author@example.com", handle="author", display_name="Author", password=None
    )
    account_actions.accept_guidelines(author, guidelines)
    tags = {name: ExpertiseTag.objects.create(name=name) for name in EXPERTISE}
    forum_tags = {name: Tag.objects.create(name=name) for name in EXPERTISE}

    password = make_password(None)
    two_days_ago = now - timedelta(days=2)
    with transaction.atomic():
        user_ids: list[int] = []
        for start in range(0, members, CHUNK):
            numbers = range(start, min(start + CHUNK, members))
            users = User.objects.bulk_create(
                User(
                    email=f"member{n}@example.com",
                    handle=f"member{n}",
                    display_name=f"Member {n}",
                    password=password,
                    role=Role.MEMBER,
                    guidelines_version=guidelines.version,
                    timezone=ZONES[n % len(ZONES)],
                    language=LANGUAGES[n % len(LANGUAGES)],
                    last_seen_at=two_days_ago,
                )
                for n in numbers
            )
            if users[0].pk is None:  # backends that do not return ids from bulk inserts
                users = list(User.objects.filter(handle__in=[f"member{n}" for n in numbers]))
            user_ids += [user.pk for user in users]
            # Daily, at the hour it is now where each member lives: all due at once.
            MailSettings.objects.bulk_create(
                MailSettings(
                    user_id=user.pk,
                    digest=DigestFrequency.DAILY,
                    digest_hour=now.astimezone(_zone(user.timezone)).hour,
                    digest_sent_at=now - timedelta(days=1, hours=1),
                )
                for user in users
            )
            experts = [user for n, user in zip(numbers, users, strict=True) if n % 5 == 0]
            profiles = Profile.objects.bulk_create(Profile(user_id=user.pk) for user in experts)
            if profiles and profiles[0].pk is None:
                profiles = list(Profile.objects.filter(user_id__in=[u.pk for u in experts]))
            Profile.expertise.through.objects.bulk_create(
                Profile.expertise.through(profile_id=profile.pk, expertisetag_id=tag.pk)
                for profile in profiles
                for tag in rng.sample(list(tags.values()), 2)
            )
            GroupMembership.objects.bulk_create(
                GroupMembership(group=groups[n % len(groups)], user_id=user.pk)
                for n, user in zip(numbers, users, strict=True)
            )
        # created_at is auto_now_add: 98 % of the joins move back a month.
        GroupMembership.objects.filter(user_id__in=user_ids).exclude(
            user_id__in=user_ids[::50]
        ).update(created_at=now - timedelta(days=30))

        categories = public + [lounge] + [group.category for group in groups[:5]]
        made = []
        for number in range(topics):
            question = number % 5 == 0
            created = now - timedelta(minutes=rng.randrange(60, 22 * 60))
            made.append(
                Topic(
                    category=qa if question else categories[number // 5 % len(categories)],
                    title=f"{'How do I' if question else 'Topic'} number {number}?",
                    slug=f"topic-number-{number}",
                    author=author,
                    created_at=created,
                    last_posted_at=created,
                    last_poster=author,
                    highest_post_number=1,
                    reply_count=0 if question else rng.randrange(0, 40),
                    view_count=rng.randrange(0, 2000),
                    reaction_count=rng.randrange(0, 30),
                )
            )
        made = Topic.objects.bulk_create(made)
        if made[0].pk is None:
            made = list(Topic.objects.order_by("pk"))
        Post.objects.bulk_create(
            Post(
                topic=topic,
                number=1,
                author=author,
                body=f"The opening post of {topic.title}",
                body_html=f"<p>The opening post of {topic.title}</p>",
                text=f"The opening post of {topic.title}",
                created_at=topic.created_at,
            )
            for topic in made
        )
        TopicTag.objects.bulk_create(
            TopicTag(topic=topic, tag=forum_tags[EXPERTISE[topic.pk % len(EXPERTISE)]])
            for topic in made
            if topic.category_id == qa.pk
        )
        replied = [topic for topic in made if topic.category_id in {c.pk for c in public}][:50]
        Notification.objects.bulk_create(
            Notification(
                recipient_id=user_id,
                kind=Kind.REPLY,
                channel=Channel.DIGEST,
                actor=author,
                topic=topic,
                data={"title": topic.title},
                event_key=f"bench:{user_id}",
                group_key=f"reply:{topic.pk}",
                created_at=now - timedelta(hours=3),
            )
            for user_id, topic in zip(
                user_ids[::10], (replied * (members // 10 // len(replied) + 1)), strict=False
            )
        )
    return {"members": members, "topics": len(made)}


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


# --- The benchmark ------------------------------------------------------------------------


class Sink:
    """An SMTP server that counts what it accepts (and the time of the last one)."""

    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0
        self.last = 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.count += 1
            self.bytes += len(envelope.content)
            self.last = time.perf_counter()
        return "250 OK"


def start_sink():
    from aiosmtpd.controller import Controller

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line per command
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    return sink, controller


def handled(database_url: str) -> int:
    sql = "SELECT count(*) FROM notifications_mailsettings WHERE digest_sent_at > %s"
    if database_url.startswith("sqlite:///"):
        import sqlite3

        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30)
        try:
            cutoff = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() - 3600))
            return connection.execute(sql.replace("%s", "?"), (cutoff,)).fetchone()[0]
        finally:
            connection.close()
    import psycopg

    with psycopg.connect(database_url) as connection:
        return connection.execute(sql.replace("%s", "now() - interval '1 hour'"), ()).fetchone()[0]


def queue_length(redis_url: str, queue: str) -> int:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return client.llen(queue)
    finally:
        client.close()


def bench_one(vendor: str, url: str, args: argparse.Namespace) -> dict:
    sink, controller = start_sink()
    env = environment(url, args.redis_url)
    queue = f"townsquare-bench-{uuid.uuid4().hex[:10]}"
    env.update(
        EMAIL_URL=f"smtp://127.0.0.1:{controller.port}",
        TOWNSQUARE_JOB_QUEUE=queue,
        SITE_URL="https://community.example",
    )
    print(f"[{vendor}] building {args.members:,} members ...", flush=True)
    started = time.perf_counter()
    reset_database(url)
    run([sys.executable, "-m", "django", "migrate", "--noinput", "-v0"], env)
    command = [sys.executable, __file__, "populate", "--members", str(args.members)]
    built = json.loads(run([*command, "--topics", str(args.topics)], env))
    analyze(url)
    build_seconds = time.perf_counter() - started
    print(f"[{vendor}] built in {build_seconds:.0f} s: {built}", flush=True)

    workers = [WorkerProcess(env, queue, index) for index in range(args.workers)]
    try:
        for worker in workers:
            worker.wait_ready()
        idle_rss = [current_rss_kib(worker.process.pid) for worker in workers]
        os.environ.update(env)
        import django

        django.setup()
        from townsquare.celery import app
        from townsquare.notifications.tasks import send_digests

        with (
            app.connection_for_write(args.redis_url) as connection,
            connection.Producer() as producer,
        ):
            enqueued = time.perf_counter()
            send_digests.apply_async(queue=queue, producer=producer)
        samples = []
        deadline = enqueued + args.timeout
        done_handling = None
        stable_since = None
        last_count = -1
        while time.perf_counter() < deadline:
            count = handled(url)
            elapsed = round(time.perf_counter() - enqueued, 1)
            samples.append((elapsed, count, sink.count))
            if done_handling is None and count >= args.members:
                done_handling = time.perf_counter() - enqueued
            if done_handling is not None:
                if sink.count == last_count and queue_length(args.redis_url, queue) == 0:
                    stable_since = stable_since or time.perf_counter()
                    if time.perf_counter() - stable_since > 5:
                        break
                else:
                    stable_since = None
            last_count = sink.count
            time.sleep(1.0)
        time.sleep(1.0)
        peaks = [peak_rss_kib(worker.process.pid) for worker in workers]
        jobs = [worker.count("succeeded in") for worker in workers]
    finally:
        for worker in workers:
            worker.stop()
        clear_queue(args.redis_url, queue)
        controller.stop()
    mailed_seconds = sink.last - enqueued if sink.count else None
    complete = done_handling is not None
    result = {
        "benchmark": "the daily digest for every member at once (all due in the same sweep)",
        "command": args.command,
        "database": vendor,
        "members": args.members,
        "topics": built["topics"],
        "workers": args.workers,
        "complete": complete,
        "members_handled_seconds": round(done_handling, 1) if complete else None,
        "mails_received": sink.count,
        "mail_megabytes": round(sink.bytes / 1e6, 1),
        "last_mail_seconds": round(mailed_seconds, 1) if mailed_seconds else None,
        "mails_per_second": round(sink.count / mailed_seconds) if mailed_seconds else None,
        "target_seconds": 600,
        "build_seconds": round(build_seconds),
        "worker_idle_rss_mib": [round(kib / 1024, 1) for kib in idle_rss],
        "worker_peak_rss_mib": [round(kib / 1024, 1) for kib in peaks],
        "jobs_done_per_worker": jobs,
        "progress_seconds_handled_mailed": samples[:: max(1, len(samples) // 40)],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "git_commit": git_commit(),
    }
    print(
        f"[{vendor}] {args.members:,} members handled in {result['members_handled_seconds']} s, "
        f"{sink.count:,} mails received by {result['last_mail_seconds']} s with "
        f"{args.workers} workers; peak RSS {result['worker_peak_rss_mib']} MiB",
        flush=True,
    )
    if not complete:
        print("".join(workers[0].lines[-30:]))
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", nargs="?", default="bench", choices=["bench", "populate"])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--topics", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--sqlite-url", default=f"sqlite:///{DATA_DIR / 'digest.sqlite3'}", help="made anew"
    )
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL), help="made anew"
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--command", default="make bench-digest")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.mode == "populate":
        print(json.dumps(populate(args.members, args.topics)))
        return
    urls = {"sqlite": args.sqlite_url, "postgresql": args.pg_url}
    for vendor in args.databases.split(","):
        if vendor == "postgresql" and not urls[vendor]:
            print("No PostgreSQL URL: skipped.")
            continue
        result = bench_one(vendor, urls[vendor], args)
        if not args.no_write:
            RESULTS.mkdir(parents=True, exist_ok=True)
            path = RESULTS / f"digest-{vendor}.json"
            path.write_text(json.dumps(result, indent=2) + "\n")
            print(f"Written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
