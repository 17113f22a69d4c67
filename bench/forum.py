"""Server-side time of the forum at scale: p50, p95 and p99 of warm requests, against targets.

Runs the real middleware stack in-process (django.test.Client, DEBUG off) on a community
built by bench/generate.py, for a visitor and for a signed-in member, with database
connections handled as under a WSGI server (Django's close_old_connections before and
after each request: SQLite reconnects every request, as CONN_MAX_AGE=0 in settings;
PostgreSQL keeps its connection). Items are interleaved request by request, so all of
them see the same machine state. Besides wall time, the serving thread's CPU time is kept
(steadier on a busy machine). After the timed rounds a few more requests per item give its
SQL (count, time, the slowest queries) and its template rendering time; for an item that
misses its target the slowest query is shown with its plan (EXPLAIN QUERY PLAN on SQLite,
EXPLAIN ANALYZE on PostgreSQL).

Targets (issue: forum speed, on a 2-core machine): pages p50 < 30 ms and p99 < 150 ms;
search p95 < 100 ms; creating a post p50 < 50 ms. Ratios in the results are measured time
over target (below 1 meets it).

    PYTHONPATH=src .venv/bin/python bench/forum.py --database-url sqlite:////path/forum.sqlite3
    PYTHONPATH=src .venv/bin/python bench/forum.py \\
        --database-url postgres://postgres@127.0.0.1:5432/ts_bench
    ... --only 'topic' --rounds 50 --profile 'member topic: big, last page'

Results go to bench/results/forum-<sqlite|postgresql>.json (or --output). Creating posts
writes replies into one ordinary topic of the benchmark database.
"""

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"
DATA_DIR = Path(os.environ.get("BENCH_DATA_DIR", ROOT / "var" / "bench"))
DEFAULT_URL = f"sqlite:///{DATA_DIR / 'forum.sqlite3'}"
PAGE_TARGET = {"p50": 30.0, "p99": 150.0}
SEARCH_TARGET = {"p95": 100.0}
POST_TARGET = {"p50": 50.0}
SEARCH_QUERIES = {"en": "dashboard filters", "zh-hans": "导出 乱码", "pl": "uprawnienia grupy"}
BENCH_HANDLE = "bench_member"


@dataclass
class Item:
    name: str
    kind: str  # page, search, post
    user: str  # visitor, member
    run: object  # callable(client) -> response or None
    target: dict
    path: str = ""
    timings: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    statuses: set = field(default_factory=set)
    bytes: int = 0


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("TOWNSQUARE_DATA_DIR", str(DATA_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DEBUG"] = "0"
    import django

    django.setup()


def search_available() -> tuple[bool, str]:
    from django.apps import apps

    try:
        from townsquare.search.queries import search  # noqa: F401
    except ImportError as error:
        return False, f"townsquare.search.queries is not importable ({error}); search not merged"
    if not apps.is_installed("townsquare.search"):
        return False, "townsquare.search is not in INSTALLED_APPS"
    return True, ""


def fixtures() -> dict:
    """What the items are measured on, found in the generated community."""
    from townsquare.accounts.models import User
    from townsquare.forum.models import Category, Post, Topic

    public = Category.objects.filter(read_access="everyone")
    big = Topic.objects.order_by("-highest_post_number", "id").first()
    if big is None:
        sys.exit("No topics: build the community first (bench/generate.py).")
    typical = list(
        Topic.objects.filter(
            category__in=public,
            is_closed=False,
            deleted_at__isnull=True,
            is_listed=True,
            reply_count__range=(15, 25),
        )
        .exclude(pk=big.pk)
        .order_by("id")[:2000:100]
    )
    if len(typical) < 2:
        typical = list(Topic.objects.exclude(pk=big.pk).order_by("id")[:2])
    families: dict[int, int] = {}
    for pk, parent_id, topics in Category.objects.values_list("pk", "parent_id", "topic_count"):
        families[parent_id or pk] = families.get(parent_id or pk, 0) + topics
    category = Category.objects.get(pk=max(families, key=lambda pk: (families[pk], -pk)))
    sizes = {
        "members": User.objects.count(),
        "topics": Topic.objects.count(),
        "posts": Post.objects.count(),
        "big_topic_posts": big.highest_post_number,
        "categories": Category.objects.count(),
    }
    member = User.objects.filter(handle=BENCH_HANDLE).first()
    if member is None:
        sys.exit(f"No member @{BENCH_HANDLE}: build the community with bench/generate.py.")
    return {
        "big": big,
        "typical": typical[len(typical) // 2],
        "reply_topic": typical[len(typical) // 2 + 1],
        "category": category,
        "member": member,
        "sizes": sizes,
    }


def build_items(fx: dict, with_search: bool) -> list[Item]:
    from django.conf import settings

    from townsquare.core.queries import get_community
    from townsquare.forum import actions

    big, typical, category = fx["big"], fx["typical"], fx["category"]
    per_page = settings.FORUM_POSTS_PER_PAGE
    last_page = -(-big.highest_post_number // per_page)
    middle_page = last_page // 2
    big_url, typical_url = big.get_absolute_url(), typical.get_absolute_url()
    pages = [
        ("guidelines (baseline: the stack and base template)", "/guidelines/"),
        ("latest", "/latest/"),
        ("categories", "/categories/"),
        (f"category /c/{category.slug}/", f"/c/{category.slug}/"),
        ("top, month", "/top/?period=month"),
        ("topic: big, first page", big_url),
        ("topic: big, last page", f"{big_url}?page={last_page}"),
        ("topic: big, page before last", f"{big_url}?page={max(last_page - 1, 1)}"),
        ("topic: big, middle page", f"{big_url}?page={middle_page}"),
        ("topic: typical", typical_url),
    ]
    items = []
    for user in ("visitor", "member"):
        for name, path in pages:
            items.append(
                Item(f"{user} {name}", "page", user, _getter(path), PAGE_TARGET, path=path)
            )
    # What a member's browser asks for right after a list (the New and Unread badges) and
    # after a topic page (the reply composer), through htmx.
    for name, path in [
        ("new and unread badges (htmx, after a list)", "/reader-counts/"),
        ("reply composer (htmx, after a topic page)", f"/t/{typical.pk}/reply/"),
    ]:
        items.append(
            Item(
                f"member {name}", "page", "member", _getter(path, htmx=True), PAGE_TARGET, path=path
            )
        )
    if with_search:
        from townsquare.search.queries import search

        for lang, query in SEARCH_QUERIES.items():
            path = f"/search/?q={query}"
            for user in ("visitor", "member"):
                items.append(
                    Item(
                        f"{user} search {lang} (page)",
                        "search",
                        user,
                        _getter(path),
                        SEARCH_TARGET,
                        path=path,
                    )
                )

            def searcher(client, query=query):
                search(client.bench_user, get_community(), query)

            items.append(
                Item(
                    f"member search {lang} (search())",
                    "search",
                    "member",
                    searcher,
                    SEARCH_TARGET,
                    path=f"search(q={query!r})",
                )
            )
    reply_topic = fx["reply_topic"]
    counter = iter(range(10**9))
    reply_path = f"/t/{reply_topic.pk}/reply/"

    def post_reply(client):
        n = next(counter)
        return client.post(
            reply_path,
            HTTP_REFERER=REFERER,
            data={
                "body": f"Benchmark reply {n}: the numbers look right to me, thanks for "
                f"checking them again ({time.time_ns()}).",
                "client_token": f"bench-{time.time_ns()}-{n}",
            },
        )

    def create_post(client):
        n = next(counter)
        actions.create_post(
            client.bench_user,
            reply_topic,
            body=f"Benchmark reply {n} through the action ({time.time_ns()}).",
        )

    items.append(
        Item(
            "member reply (web composer POST)",
            "post",
            "member",
            post_reply,
            POST_TARGET,
            path=f"POST {reply_path}",
        )
    )
    items.append(
        Item(
            "member reply (actions.create_post)",
            "post",
            "member",
            create_post,
            POST_TARGET,
            path="actions.create_post",
        )
    )
    return items


# Members and visitors click through the community: pages come from a page of the site, so
# the visit source is "internal" (a visit from outside would also write the session).
REFERER = "http://testserver/latest/"


def _getter(path: str, htmx: bool = False):
    headers = {"HTTP_REFERER": REFERER} | ({"HTTP_HX_REQUEST": "true"} if htmx else {})

    def get(client):
        return client.get(path, **headers)

    return get


class QueryLog:
    """Every query of a request, timed (an execute wrapper; works with DEBUG off)."""

    def __init__(self) -> None:
        self.entries: list[tuple[float, str, object]] = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.entries.append((time.perf_counter() - start, sql, None if many else params))


def call(item: Item, client):
    """One request as a WSGI server would serve it, including connection handling."""
    from django.db import close_old_connections

    close_old_connections()
    response = item.run(client)
    close_old_connections()
    return response


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def explain(sql: str, params) -> list[str]:
    from django.db import connection

    if not sql.lstrip().upper().startswith("SELECT"):
        return ["(not a SELECT; not explained)"]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            depth: dict[int, int] = {0: -1}
            lines = []
            for node, parent, _unused, detail in cursor.fetchall():
                depth[node] = depth.get(parent, -1) + 1
                lines.append("  " * depth[node] + detail)
            return lines
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [row[0] for row in cursor.fetchall()]


class RenderTimer:
    """Time spent rendering the page's template (queries run lazily from the template,
    such as a topic's tags, are counted in both)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self):
        from django.template.backends.django import Template

        self.original = Template.render
        timer = self

        def render(template, *args, **kwargs):
            start = time.perf_counter()
            try:
                return timer.original(template, *args, **kwargs)
            finally:
                timer.seconds += time.perf_counter() - start

        Template.render = render
        return self

    def __exit__(self, *exc) -> None:
        from django.template.backends.django import Template

        Template.render = self.original


def inspect_queries(item: Item, client, with_plan: bool, repeat: int = 7) -> dict:
    """SQL of the item's request (count, time, the slowest), and where its time goes: the
    median over a few requests of SQL time, template rendering and the whole request."""
    from django.db import connection

    runs = []
    for _ in range(repeat):
        log = QueryLog()
        start, start_cpu = time.perf_counter(), time.thread_time()
        with connection.execute_wrapper(log), RenderTimer() as render:
            call(item, client)
        runs.append(
            (
                time.perf_counter() - start,
                time.thread_time() - start_cpu,
                sum(e[0] for e in log.entries),
                render.seconds,
                log.entries,
            )
        )
    runs.sort(key=lambda run: run[0])
    total, cpu, sql_seconds, render_seconds, entries = runs[len(runs) // 2]
    entries = sorted(entries, key=lambda e: e[0], reverse=True)
    report = {
        "queries": len(entries),
        "query_ms_total": round(sql_seconds * 1000, 2),
        "breakdown_ms": {
            "request": round(total * 1000, 2),
            "cpu": round(cpu * 1000, 2),
            "sql": round(sql_seconds * 1000, 2),
            "template": round(render_seconds * 1000, 2),
        },
        "slowest": [
            {"ms": round(seconds * 1000, 2), "sql": sql[:1500]} for seconds, sql, _p in entries[:3]
        ],
    }
    if with_plan and entries:
        _seconds, sql, params = entries[0]
        try:
            report["slowest_plan"] = explain(sql, params)
        except Exception as error:
            report["slowest_plan"] = [f"could not explain: {error}"]
    return report


def show_queries(item: Item, client, warmup: int) -> None:
    from django.db import connection

    for _ in range(warmup):
        call(item, client)
    log = QueryLog()
    start = time.perf_counter()
    with connection.execute_wrapper(log):
        call(item, client)
    total = (time.perf_counter() - start) * 1000
    spent = sum(e[0] for e in log.entries) * 1000
    print(f"{item.name}: {total:.1f} ms, {len(log.entries)} queries taking {spent:.1f} ms")
    for seconds, sql, params in log.entries:
        print(f"{seconds * 1000:8.2f} ms  {sql[:400]}  {str(params)[:120]}")
    seconds, sql, params = max(log.entries)
    print("Plan of the slowest:")
    print("\n".join(explain(sql, params)))


def measure(items: list[Item], clients: dict, rounds: int, warmup: int) -> None:
    for _ in range(warmup):
        for item in items:
            response = call(item, clients[item.user])
            _check(item, response)
    for _ in range(rounds):
        for item in items:
            client = clients[item.user]
            start, start_cpu = time.perf_counter(), time.thread_time()
            response = call(item, client)
            item.cpu.append(time.thread_time() - start_cpu)
            item.timings.append(time.perf_counter() - start)
            _check(item, response)


def _check(item: Item, response) -> None:
    if response is None:
        return
    item.statuses.add(response.status_code)
    expected = 302 if item.kind == "post" else 200
    if response.status_code != expected:
        raise SystemExit(f"{item.name}: {item.path} answered {response.status_code}")
    item.bytes = len(response.content)


def summarise(item: Item) -> dict:
    ms = [t * 1000 for t in item.timings]
    figures = {
        "p50": percentile(ms, 0.50),
        "p95": percentile(ms, 0.95),
        "p99": percentile(ms, 0.99),
    }
    ratios = {key: round(figures[key] / limit, 3) for key, limit in item.target.items()}
    return {
        "name": item.name,
        "kind": item.kind,
        "user": item.user,
        "path": item.path,
        "requests": len(ms),
        "p50_ms": round(figures["p50"], 2),
        "p95_ms": round(figures["p95"], 2),
        "p99_ms": round(figures["p99"], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        # CPU time of the serving thread (Python, templates, and SQLite, which runs in
        # process; not PostgreSQL's own work): steadier than wall time on a busy machine.
        "cpu_p50_ms": round(percentile([t * 1000 for t in item.cpu], 0.5), 2),
        "max_ms": round(max(ms), 2),
        "target_ms": item.target,
        "ratio_to_target": ratios,
        "meets_target": all(r < 1 for r in ratios.values()),
        "response_bytes": item.bytes,
    }


def profile(item: Item, client, requests: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        call(item, client)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()


def machine(vendor: str) -> dict:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if vendor == "sqlite" else "SELECT version()")
        version = cursor.fetchone()[0]
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": f"{vendor} {version.split(' on ')[0]}",
    }


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def print_table(rows: list[dict], extra: dict) -> None:
    header = (
        f"{'item':44} {'p50':>7} {'p95':>7} {'p99':>7} {'cpu50':>6} {'target':>16} "
        f"{'ratio':>11} {'SQL':>4} {'sql ms':>7} {'tmpl ms':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        target = " ".join(f"{k}<{v:g}" for k, v in row["target_ms"].items())
        ratio = " ".join(f"{v:.2f}" for v in row["ratio_to_target"].values())
        mark = "" if row["meets_target"] else "  MISS"
        print(
            f"{row['name'][:44]:44} {row['p50_ms']:7.1f} {row['p95_ms']:7.1f} "
            f"{row['p99_ms']:7.1f} {row['cpu_p50_ms']:6.1f} {target:>16} {ratio:>11} "
            f"{row['queries']:>4} {row['breakdown_ms']['sql']:7.1f} "
            f"{row['breakdown_ms']['template']:7.1f}{mark}"
        )
    for key, value in extra.items():
        print(f"{key}: {value}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--rounds", type=int, default=200, help="measured requests per item")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured requests per item")
    parser.add_argument("--only", help="measure only items whose name matches this regex")
    parser.add_argument("--profile", help="cProfile the item with this exact name and stop")
    parser.add_argument("--show-queries", help="print every query of the item with this name")
    parser.add_argument("--explain-all", action="store_true", help="plans for every item")
    parser.add_argument("--output", help="results file (default bench/results/forum-<db>.json)")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        help="override CONN_MAX_AGE (settings force 0 on SQLite), to measure what it costs",
    )
    parser.add_argument("--command", default="", help="how this run was started, for the record")
    args = parser.parse_args(argv)
    setup_django(args.database_url)
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    # One client searches hundreds of times a minute here: the limit is still counted on
    # every search (its cost is measured), just never reached.
    settings.SEARCH_RATE_LIMIT_VISITORS = settings.SEARCH_RATE_LIMIT_MEMBERS = 10**9
    if args.conn_max_age is not None:
        settings.DATABASES["default"]["CONN_MAX_AGE"] = args.conn_max_age
        connection.close()
    with_search, search_reason = search_available()
    fx = fixtures()
    items = build_items(fx, with_search)
    if args.only:
        items = [i for i in items if re.search(args.only, i.name)]
    clients = {"visitor": Client(), "member": Client()}
    clients["member"].force_login(fx["member"])
    for client in clients.values():
        client.bench_user = fx["member"]
    if args.profile:
        item = next((i for i in items if i.name == args.profile), None)
        if item is None:
            sys.exit(f"No item {args.profile!r}; items: {[i.name for i in items]}")
        for _ in range(args.warmup):
            call(item, clients[item.user])
        print(profile(item, clients[item.user], args.rounds))
        return
    if args.show_queries:
        item = next((i for i in items if i.name == args.show_queries), None)
        if item is None:
            sys.exit(f"No item {args.show_queries!r}; items: {[i.name for i in items]}")
        show_queries(item, clients[item.user], args.warmup)
        return
    started = time.perf_counter()
    load_start = [round(x, 2) for x in os.getloadavg()]
    measure(items, clients, args.rounds, args.warmup)
    rows = []
    for item in items:
        row = summarise(item)
        row |= inspect_queries(
            item, clients[item.user], args.explain_all or not row["meets_target"]
        )
        rows.append(row)
    vendor = connection.vendor
    result = {
        "benchmark": "forum pages, search and posting at scale (bench/forum.py)",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "command": args.command or " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "machine": machine(vendor),
        "database": vendor,
        "connections": "close_old_connections before and after each request, as under a "
        f"WSGI server (CONN_MAX_AGE={settings.DATABASES['default']['CONN_MAX_AGE']})",
        "community": fx["sizes"],
        "fixtures": {
            "big_topic": fx["big"].pk,
            "typical_topic": fx["typical"].pk,
            "reply_topic": fx["reply_topic"].pk,
            "big_category": fx["category"].slug,
            "member": fx["member"].handle,
        },
        "load_average": {"start": load_start, "end": [round(x, 2) for x in os.getloadavg()]},
        "rounds": args.rounds,
        "warmup": args.warmup,
        "seconds": round(time.perf_counter() - started, 1),
        "search": {"measured": with_search, "reason_skipped": search_reason or None},
        "targets_ms": {"pages": PAGE_TARGET, "search": SEARCH_TARGET, "post": POST_TARGET},
        "missed": [row["name"] for row in rows if not row["meets_target"]],
        "items": rows,
    }
    extra = {"database": result["machine"]["database"], "community": fx["sizes"]}
    if not with_search:
        extra["search"] = f"SKIPPED: {search_reason}"
    print_table(rows, extra)
    output = Path(args.output) if args.output else RESULTS / f"forum-{vendor}.json"
    if args.only and not args.output:
        output = DATA_DIR / f"forum-{vendor}-partial.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"Results: {output}")


if __name__ == "__main__":
    main()
