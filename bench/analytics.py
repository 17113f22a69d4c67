"""The analytics rollups over a year of activity: rebuild, incremental run, dashboard.

    PYTHONPATH=src .venv/bin/python bench/analytics.py                   # SQLite and PostgreSQL
    PYTHONPATH=src .venv/bin/python bench/analytics.py --events 10000000 --databases postgresql

For each database (made anew: the SQLite file is deleted, the PostgreSQL database, whose
name must start with ``ts_bench``, is dropped and created) it writes ``--events`` activity
events and ``--pageviews`` page views (as many as events by default) spread over the 365
UTC days before today, by ``--members`` members in twelve categories and six traffic
sources. Activity is skewed as in real communities: a member's weight follows a power law
(a few heavy members, a long tail of lurkers who mostly only read), weekdays are busier
than weekends, and 60 % of page views come from signed-out visitors.

The rows are written RAW, BYPASSING THE ACTIONS (executemany of plain tuples on SQLite,
COPY on PostgreSQL, in id order = time order, as the log grows), with the values the
actions would write; members and categories are bulk-created or made through the actions.

Then, each step in its own process (so its peak RSS is its own):

* ``rebuild``: ``rollups.rebuild()`` — every day from the first event to today;
* ``incremental``: one more day of events and page views (today's, as many as an average
  day) plus 200 late events backdated 40 days, then ``rollups.rollup_recent()``, which
  recomputes today, yesterday, the late day and WAU/MAU of the 30 days after it;
* ``dashboard``: GET /manage/analytics/ through the Django test client as a manager, for
  the last 30 and 365 days (7 runs each after one warm-up, median and max), and
  ``metrics.report`` alone.

Results go to bench/results/analytics-<database><--suffix>.json.
"""

import argparse
import json
import os
import platform
import random
import resource
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fanout import (  # the fan-out benchmark's helpers
    DATA_DIR,
    RESULTS,
    ROOT,
    analyze,
    environment,
    git_commit,
    reset_database,
    run,
)

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/ts_bench_analytics"
CHUNK = 50_000
DAYS = 365
CATEGORIES = 12
LATE_EVENTS = 200
LATE_DAYS_AGO = 40
RUNS = 7
# Verbs and their share of the log; the last ones are not counted by any metric.
VERBS = {
    "post.created": 40,
    "post.reacted": 30,
    "topic.created": 8,
    "poll.voted": 2,
    "member.followed": 10,
    "profile.updated": 5,
    "topic.subscribed": 5,
}
SOURCES = ["direct", "search", "email", "social", "referral", "internal"]
SOURCE_WEIGHTS = [25, 30, 5, 10, 5, 25]
REFERRERS = [f"site{n}.example" for n in range(200)]
ROUTES = ["forum:topic", "forum:category", "forum:index", "accounts:profile", "search:results"]


def _django() -> None:
    import django

    django.setup()


def _rss_mib() -> float:
    """This process's peak RSS (ru_maxrss is KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class Log:
    """Writes raw activity events and page views for given days, with a fixed skew."""

    def __init__(self, member_ids: list[int], categories: list[int], seed: int) -> None:
        self.rng = random.Random(seed)
        self.members = member_ids
        # A power law over members: the first few write most, the tail almost nothing.
        weights = [1 / (rank + 1) ** 1.1 for rank in range(len(member_ids))]
        total = 0.0
        self.cumulative = []
        for weight in weights:
            total += weight
            self.cumulative.append(total)
        self.categories = categories
        self.verbs = list(VERBS)
        self.verb_cum = _cumulative(VERBS.values())
        self.source_cum = _cumulative(SOURCE_WEIGHTS)
        from django.db import connection

        self.connection = connection
        self.postgresql = connection.vendor == "postgresql"

    def _stamp(self, day: date, second: int) -> datetime | str:
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=second)
        # SQLite stores naive UTC text, exactly what Django's adapter would write.
        return moment if self.postgresql else str(moment.replace(tzinfo=None))

    def events(self, day: date, count: int) -> list[tuple]:
        rng = self.rng
        actors = rng.choices(self.members, cum_weights=self.cumulative, k=count)
        verbs = rng.choices(self.verbs, cum_weights=self.verb_cum, k=count)
        sources = rng.choices(SOURCES, cum_weights=self.source_cum, k=count)
        seconds = sorted(rng.randrange(86_400) for _ in range(count))
        rows = []
        for actor, verb, source, second in zip(actors, verbs, sources, seconds, strict=True):
            category = self.categories[actor % len(self.categories)]
            if rng.random() < 0.3:  # members also post outside their favourite category
                category = rng.choice(self.categories)
            rows.append(
                (self._stamp(day, second), actor, verb, "", "", "web", source,
                 f'{{"category": {category}}}')
            )  # fmt: skip
        return rows

    def pageviews(self, day: date, count: int) -> list[tuple]:
        rng = self.rng
        readers = rng.choices(self.members, cum_weights=self.cumulative, k=count)
        sources = rng.choices(SOURCES, cum_weights=self.source_cum, k=count)
        seconds = sorted(rng.randrange(86_400) for _ in range(count))
        visitors = max(1, count // 4)
        rows = []
        for reader, source, second in zip(readers, sources, seconds, strict=True):
            signed_in = rng.random() < 0.4
            visitor = reader if signed_in else len(self.members) + rng.randrange(visitors)
            referrer = rng.choice(REFERRERS) if source in ("referral", "social") else ""
            rows.append(
                (self._stamp(day, second), reader if signed_in else None,
                 f"{day:%j}{visitor:029x}"[:32], f"/t/{rng.randrange(50_000)}/",
                 rng.choice(ROUTES), "forum", source, referrer, 200, "web")
            )  # fmt: skip
        return rows

    def write(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        with self.connection.cursor() as cursor:
            if self.postgresql:
                raw = cursor.cursor  # psycopg 3: COPY is the fast way in
                with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
                )


EVENT_COLUMNS = [
    "created_at", "actor_id", "verb", "target_id", "target_label", "channel", "source", "data",
]  # fmt: skip
VIEW_COLUMNS = [
    "created_at", "user_id", "visitor_key", "path", "route", "area", "source",
    "referrer_host", "status", "channel",
]  # fmt: skip


def _cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _day_counts(total: int, days: list[date], rng: random.Random) -> list[int]:
    """``total`` spread over the days: weekends at 60 %, some noise, growth over the year."""
    shares = [
        (0.6 if day.weekday() >= 5 else 1.0) * (0.7 + 0.6 * n / len(days)) * rng.uniform(0.9, 1.1)
        for n, day in enumerate(days)
    ]
    scale = total / sum(shares)
    counts = [int(share * scale) for share in shares]
    counts[-1] += total - sum(counts)
    return counts


def _write_days(log: Log, days: list[date], events: list[int], views: list[int]) -> None:
    from django.db import transaction

    for day, n_events, n_views in zip(days, events, views, strict=True):
        with transaction.atomic():
            for start in range(0, n_events, CHUNK):
                rows = log.events(day, min(CHUNK, n_events - start))
                log.write("core_activityevent", EVENT_COLUMNS, rows)
            for start in range(0, n_views, CHUNK):
                rows = log.pageviews(day, min(CHUNK, n_views - start))
                log.write("core_pageview", VIEW_COLUMNS, rows)


def _setup(members: int) -> tuple[list[int], list[int]]:
    from django.contrib.auth.hashers import make_password

    from townsquare.accounts.models import Role, User
    from townsquare.core import actions as core_actions
    from townsquare.forum import actions as forum_actions

    guidelines = core_actions.publish_guidelines(None, "## Be kind\n\nNo spam.", "First")
    categories = [
        forum_actions.create_category(None, name=f"Category {n}").pk for n in range(CATEGORIES)
    ]
    password = make_password(None)
    User.objects.bulk_create(
        User(
            email=f"member{n}@example.com",
            handle=f"member{n}",
            display_name=f"Member {n}",
            password=password,
            role=Role.MANAGER if n == 0 else Role.MEMBER,
            guidelines_version=guidelines.version,
        )
        for n in range(members)
    )
    ids = list(User.objects.order_by("pk").values_list("pk", flat=True))
    return ids, categories


def populate(events: int, pageviews: int, members: int) -> dict:
    _django()
    from django.utils import timezone

    member_ids, categories = _setup(members)
    today = timezone.now().astimezone(UTC).date()
    days = [today - timedelta(days=DAYS - n) for n in range(DAYS)]
    rng = random.Random(7)
    log = Log(member_ids, categories, seed=11)
    started = time.perf_counter()
    _write_days(log, days, _day_counts(events, days, rng), _day_counts(pageviews, days, rng))
    # Sign-ups: one per member, on a day of the year (counted as new members).
    signups = [
        (log._stamp(rng.choice(days), rng.randrange(86_400)), member, "member.signed_up",
         "", "", "web", "direct", "{}")
        for member in member_ids
    ]  # fmt: skip
    log.write("core_activityevent", EVENT_COLUMNS, signups)
    seconds = time.perf_counter() - started
    return {
        "events": events + len(signups),
        "pageviews": pageviews,
        "members": members,
        "categories": CATEGORIES,
        "first_day": days[0].isoformat(),
        "insert_seconds": round(seconds, 1),
        "rows_per_second": round((events + pageviews + len(signups)) / seconds),
    }


def step_rebuild() -> dict:
    _django()
    from townsquare.analytics import rollups
    from townsquare.analytics.models import (
        DailyActiveMember,
        DailyMetric,
        DailyTopic,
        MemberTenure,
        MonthlyActiveMember,
    )

    started = time.perf_counter()
    days = rollups.rebuild()
    seconds = time.perf_counter() - started
    return {
        "rebuild_seconds": round(seconds, 1),
        "rebuild_days": days,
        "rebuild_peak_rss_mib": _rss_mib(),
        "daily_metric_rows": DailyMetric.objects.count(),
        "daily_active_member_rows": DailyActiveMember.objects.count(),
        "monthly_active_member_rows": MonthlyActiveMember.objects.count(),
        "member_tenure_rows": MemberTenure.objects.count(),
        "daily_topic_rows": DailyTopic.objects.count(),
    }


def step_incremental(events: int, pageviews: int) -> dict:
    _django()
    from django.db import transaction
    from django.utils import timezone

    from townsquare.analytics import rollups

    member_ids = _member_ids()
    categories = _category_ids()
    today = timezone.now().astimezone(UTC).date()
    log = Log(member_ids, categories, seed=13)
    _write_days(log, [today], [events // DAYS], [pageviews // DAYS])
    late_day = today - timedelta(days=LATE_DAYS_AGO)
    with transaction.atomic():
        log.write("core_activityevent", EVENT_COLUMNS, log.events(late_day, LATE_EVENTS))
    started = time.perf_counter()
    days = rollups.rollup_recent()
    seconds = time.perf_counter() - started
    return {
        "incremental_seconds": round(seconds, 2),
        "incremental_days": days,
        "incremental_new_events": events // DAYS + LATE_EVENTS,
        "incremental_peak_rss_mib": _rss_mib(),
    }


def _member_ids() -> list[int]:
    from townsquare.accounts.models import User

    return list(User.objects.order_by("pk").values_list("pk", flat=True))


def _category_ids() -> list[int]:
    from townsquare.forum.models import Category

    return list(Category.objects.order_by("pk").values_list("pk", flat=True))


def _timed(call, runs: int = RUNS, before=None) -> dict:
    call()  # warm-up: connection, templates, translations
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}


def step_dashboard() -> dict:
    _django()
    from django.core.cache import cache
    from django.test import Client
    from django.utils import timezone

    from townsquare.accounts.models import Role, User
    from townsquare.analytics import metrics, rollups

    manager = User.objects.get(role=Role.MANAGER)
    client = Client()
    client.force_login(manager)
    today = timezone.now().astimezone(UTC).date()
    result = {}
    for days in (30, 365):
        period = metrics.Period.ending(today, days)
        query = {"from": period.start.isoformat(), "to": period.end.isoformat()}

        def page(query=query) -> None:
            response = client.get("/manage/analytics/", query)
            if response.status_code != 200:
                sys.exit(f"/manage/analytics/ answered {response.status_code}")

        def forget_counts(period=period) -> None:
            version = rollups.member_rows_version()
            cache.delete_many(
                [metrics.distinct_key(p, version) for p in (period, period.previous())]
            )

        # Cold: the distinct members not counted yet, as at the first open after a rollup
        # when the hourly job has not counted this period ahead; then as every later open.
        result[f"dashboard_{days}_days_cold"] = _timed(page, before=forget_counts)
        result[f"dashboard_{days}_days"] = _timed(page)
        result[f"report_{days}_days_cold"] = _timed(
            lambda period=period: metrics.report(period), before=forget_counts
        )
    # Distinct members of the year: from the monthly rows (whole months) and the edge days,
    # against the daily rows alone (the query before the monthly table), same data, same run.
    year = metrics.Period.ending(today, 365)
    result["distinct_365_days_monthly_rows"] = _timed(lambda: metrics._count_distinct(year))
    result["distinct_365_days_daily_rows"] = _timed(lambda: _distinct_from_daily_rows(year))
    result["distinct_same_answer"] = metrics._count_distinct(year) == _distinct_from_daily_rows(
        year
    )
    return result


def _distinct_from_daily_rows(period) -> dict[str, int]:
    """What ``metrics._distinct`` was before the monthly table: every member-day of the
    period grouped by member."""
    from django.db.models import Count, Q, Sum

    from townsquare.analytics.metrics import OCCASIONAL_MAX
    from townsquare.analytics.models import DailyActiveMember

    return (
        DailyActiveMember.objects.filter(day__range=(period.start, period.end))
        .values("member_id")
        .annotate(c=Sum("contributions"))
        .aggregate(
            active=Count("member_id"),
            lurkers=Count("member_id", filter=Q(c=0)),
            occasional=Count("member_id", filter=Q(c__gte=1, c__lte=OCCASIONAL_MAX)),
            regular=Count("member_id", filter=Q(c__gt=OCCASIONAL_MAX)),
        )
    )


# --- The benchmark ------------------------------------------------------------------------


def bench_one(vendor: str, url: str, args: argparse.Namespace) -> dict:
    env = environment(url, os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    env["ALLOWED_HOSTS"] = "testserver"
    sizes = ["--events", str(args.events), "--pageviews", str(args.pageviews)]
    print(f"[{vendor}] writing {args.events:,} events, {args.pageviews:,} page views ...")
    started = time.perf_counter()
    reset_database(url)
    run([sys.executable, "-m", "django", "migrate", "--noinput", "-v0"], env)
    built = json.loads(
        run([sys.executable, __file__, "populate", *sizes, "--members", str(args.members)], env)
    )
    analyze(url)
    build_seconds = time.perf_counter() - started
    print(f"[{vendor}] built in {build_seconds:.0f} s: {built}", flush=True)
    result: dict = {
        "benchmark": "analytics rollups: rebuild, incremental run, dashboard",
        "command": args.command,
        "database": vendor,
        **built,
        "build_seconds": round(build_seconds),
    }
    for step in ("rebuild", "incremental", "dashboard"):
        figures = json.loads(run([sys.executable, __file__, step, *sizes], env))
        print(f"[{vendor}] {step}: {figures}", flush=True)
        result.update(figures)
        if step == "rebuild":
            analyze(url)  # the aggregate tables are new: give the planner their sizes
    million = result["events"] / 1e6
    result.update(
        rebuild_seconds_per_million_events=round(result["rebuild_seconds"] / million, 1),
        rebuild_seconds_at_10m_events_linear=round(result["rebuild_seconds"] / million * 10),
        incremental_over_rebuild=round(
            result["incremental_seconds"] / result["rebuild_seconds"], 4
        ),
        targets={"rebuild_seconds": 600, "incremental_seconds": 30, "dashboard_ms": 500,
                 "at_events": 10_000_000},
        machine={
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        git_commit=git_commit(),
    )  # fmt: skip
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "mode",
        nargs="?",
        default="bench",
        choices=["bench", "populate", "rebuild", "incremental", "dashboard"],
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--pageviews", type=int, help="as many as --events if not given")
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--sqlite-url", default=f"sqlite:///{DATA_DIR / 'analytics.sqlite3'}", help="made anew"
    )
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL), help="made anew"
    )
    parser.add_argument("--command", default="make bench-analytics")
    parser.add_argument("--suffix", default="", help="of the results file, e.g. -10m")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.pageviews is None:
        args.pageviews = args.events
    if args.mode == "populate":
        print(json.dumps(populate(args.events, args.pageviews, args.members)))
        return
    if args.mode == "rebuild":
        print(json.dumps(step_rebuild()))
        return
    if args.mode == "incremental":
        print(json.dumps(step_incremental(args.events, args.pageviews)))
        return
    if args.mode == "dashboard":
        print(json.dumps(step_dashboard()))
        return
    urls = {"sqlite": args.sqlite_url, "postgresql": args.pg_url}
    for vendor in args.databases.split(","):
        if vendor == "postgresql" and not urls[vendor]:
            print("No PostgreSQL URL: skipped.")
            continue
        result = bench_one(vendor, urls[vendor], args)
        if not args.no_write:
            RESULTS.mkdir(parents=True, exist_ok=True)
            path = RESULTS / f"analytics-{vendor}{args.suffix}.json"
            path.write_text(json.dumps(result, indent=2) + "\n")
            print(f"Written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
