"""Member directory search at scale: p50/p95 of a handful of searches over 100,000 members.

Builds its own community (a fresh database: the SQLite file is deleted, or a PostgreSQL
database whose name starts with ``ts_dirbench`` is dropped and created; the migrations
run first), then times each search twice: through the real view (``/members/`` with the
middleware stack, django.test.Client, DEBUG off, signed in as an ordinary member, so the
per-field visibility conditions apply) and through the query function the view uses
(``accounts.queries.search_members`` + one page + its count + ``show_fields``).

Members, profiles, expertise and group memberships are written in bulk (bulk_create),
bypassing the actions, as bench/generate.py does: 100,000 accounts a minute through the
actions would take hours. Each profile has a company (of 400), a location (of 150), one to
three areas of expertise (of 120); 15 % hide their location from visitors, 5 % from
everyone, 5 % hide their company; members belong to zero to two of 60 groups.

    PYTHONPATH=src .venv/bin/python bench/directory.py                   # SQLite
    PYTHONPATH=src .venv/bin/python bench/directory.py \\
        --database-url postgres://postgres@127.0.0.1:5432/ts_dirbench      # PostgreSQL
    ... --members 10000 --rounds 10                                       # smaller, quicker

Target (issue 4): p95 < 100 ms for each search. Results go to
bench/results/directory-<sqlite|postgresql>.json (or --output).
"""

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"
DATA_DIR = Path(os.environ.get("BENCH_DATA_DIR", ROOT / "var" / "bench"))
DEFAULT_URL = f"sqlite:///{DATA_DIR / 'directory.sqlite3'}"
TARGET_P95_MS = 100.0

FIRST = [
    "Anna",
    "Jan",
    "Piotr",
    "Maria",
    "Li",
    "Wei",
    "Fang",
    "Chen",
    "John",
    "Emma",
    "Olivia",
    "Noah",
    "Liam",
    "Ava",
    "Mia",
    "Zofia",
]
LAST = [
    "Kowalski",
    "Nowak",
    "Wang",
    "Zhang",
    "Liu",
    "Smith",
    "Brown",
    "Garcia",
    "Müller",
    "Novak",
    "Chen",
    "Lopez",
    "Rossi",
]

# name -> query string of /members/ (the same filters go to search_members)
SEARCHES = {
    "name prefix": {"q": "anna"},
    "company": {"company": "company 17"},
    "location": {"location": "city 42"},
    "expertise": {"expertise": "skill-7"},
    "group": {"group": "group-3"},
    "combined": {"company": "company 1", "location": "city 1", "expertise": "skill-1"},
    "no filter": {},
}


def fresh_database(url: str) -> None:
    import dj_database_url

    config = dj_database_url.parse(url)
    if config["ENGINE"].endswith("sqlite3"):
        path = Path(config["NAME"])
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    if not config["NAME"].startswith("ts_dirbench"):
        sys.exit(f"Refusing to drop {config['NAME']!r}: use a name starting with ts_dirbench.")
    import psycopg

    with psycopg.connect(
        dbname="postgres",
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{config["NAME"]}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("TOWNSQUARE_DATA_DIR", str(DATA_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def build(members: int, seed: int) -> dict:
    """The community: guidelines and the benchmark's viewer through the actions, the
    crowd in bulk."""
    from allauth.account.models import EmailAddress
    from django.core.management import call_command
    from django.db import transaction

    from townsquare.accounts import actions as account_actions
    from townsquare.accounts.models import ExpertiseTag, FieldAudience, Profile, User
    from townsquare.core import actions as core_actions
    from townsquare.core.maintenance import analyze_database
    from townsquare.groups.models import Group, GroupMembership

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    guidelines = core_actions.publish_guidelines(None, "## Be kind", "First version")
    viewer = account_actions.register_member(
        email="viewer@example.com", handle="bench_viewer", display_name="Bench Viewer",
        password=None,
    )  # fmt: skip
    EmailAddress.objects.create(user=viewer, email=viewer.email, verified=True, primary=True)
    account_actions.accept_guidelines(viewer, guidelines)

    rng = random.Random(seed)
    now = datetime.now(UTC)
    tags = ExpertiseTag.objects.bulk_create(ExpertiseTag(name=f"skill-{i}") for i in range(120))
    groups = Group.objects.bulk_create(
        Group(name=f"Group {i}", slug=f"group-{i}") for i in range(60)
    )
    batch = 5000
    with transaction.atomic():
        for start in range(0, members, batch):
            users = User.objects.bulk_create(
                User(
                    email=f"m{i}@example.com",
                    handle=f"m{i}",
                    display_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    password="!",
                    guidelines_version=guidelines.version,
                    last_seen_at=now - timedelta(days=rng.randint(0, 400)),
                )
                for i in range(start, min(start + batch, members))
            )
            # auto_now_add wrote "now" for everyone: spread joining over three years.
            for user in users:
                user.date_joined = now - timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
            User.objects.bulk_update(users, ["date_joined"])
            profiles = Profile.objects.bulk_create(
                Profile(
                    user=user,
                    company=f"Company {rng.randint(0, 399)}",
                    job_title=rng.choice(["Engineer", "Analyst", "Manager", "Designer"]),
                    location=f"City {rng.randint(0, 149)}",
                    bio="",
                    field_visibility=_visibility(rng, FieldAudience),
                )
                for user in users
            )
            through = Profile.expertise.through
            through.objects.bulk_create(
                through(profile_id=profile.pk, expertisetag_id=tag.pk)
                for profile in profiles
                for tag in rng.sample(tags, rng.randint(1, 3))
            )
            GroupMembership.objects.bulk_create(
                GroupMembership(user=user, group=group)
                for user in users
                for group in rng.sample(groups, rng.choice([0, 0, 1, 1, 2]))
            )
    analyze = analyze_database()
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return {"seconds": round(time.monotonic() - started, 1), "sqlite_analyze": analyze}


def _visibility(rng: random.Random, audience) -> dict:
    roll = rng.random()
    visibility = {}
    if roll < 0.15:
        visibility["location"] = audience.MEMBERS
    elif roll < 0.20:
        visibility["location"] = audience.NOBODY
    if rng.random() < 0.05:
        visibility["company"] = audience.NOBODY
    return visibility


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(rounds: int) -> dict:
    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser
    from django.core.paginator import Paginator
    from django.db import close_old_connections
    from django.test import Client

    from townsquare.accounts.forms import DirectoryForm
    from townsquare.accounts.models import User
    from townsquare.accounts.queries import search_members, show_fields
    from townsquare.accounts.views import DIRECTORY_PAGE_SIZE
    from townsquare.core.permissions import visible_groups
    from townsquare.core.queries import get_community

    settings.ALLOWED_HOSTS = ["*"]
    viewer = User.objects.get(handle="bench_viewer")
    client = Client()
    client.force_login(viewer)
    community = get_community()

    def through_view(params: dict) -> int:
        close_old_connections()
        response = client.get("/members/", params)
        close_old_connections()
        assert response.status_code == 200, response.status_code
        return response.content.count(b'class="card"')

    def through_query(params: dict, who) -> int:
        form = DirectoryForm(params, list(visible_groups(who, community)))
        assert form.is_valid(), form.errors
        members = search_members(who, community, form.filters())
        page = Paginator(members, DIRECTORY_PAGE_SIZE).get_page(1)
        show_fields(who, list(page.object_list))
        return page.paginator.count

    runs = {
        "view, member": lambda p: through_view(p),
        "query, member": lambda p: through_query(p, viewer),
        "query, visitor": lambda p: through_query(p, AnonymousUser()),
    }
    results = {}
    for how, run in runs.items():
        for name, params in SEARCHES.items():
            found = run(params)  # warm up
            samples = []
            for _round in range(rounds):
                start = time.perf_counter()
                run(params)
                samples.append((time.perf_counter() - start) * 1000)
            p95 = percentile(samples, 0.95)
            results[f"{how}: {name}"] = {
                "params": params,
                "found": found,
                "p50_ms": round(statistics.median(samples), 1),
                "p95_ms": round(p95, 1),
                "ratio_p95_to_target": round(p95 / TARGET_P95_MS, 2),
            }
            print(f"{how:15} {name:12} p50 {statistics.median(samples):7.1f} ms"
                  f"  p95 {p95:7.1f} ms  ({found} found)")  # fmt: skip
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--reuse", action="store_true", help="Measure an existing database.")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    if not args.reuse:
        fresh_database(args.database_url)
    setup_django(args.database_url)
    from django.db import connection

    built = None if args.reuse else build(args.members, args.seed)
    vendor = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    results = measure(args.rounds)
    worst = max(item["p95_ms"] for item in results.values())
    report = {
        "benchmark": "directory",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": vendor,
        "members": args.members,
        "rounds": args.rounds,
        "target_p95_ms": TARGET_P95_MS,
        "build": built,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "worst_p95_ms": worst,
        "meets_target": worst < TARGET_P95_MS,
        "results": results,
    }
    output = args.output or RESULTS / f"directory-{vendor}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"worst p95 {worst} ms (target {TARGET_P95_MS} ms) -> {output}")
    return report


if __name__ == "__main__":
    main()
