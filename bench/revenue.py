"""The CRM import and the revenue comparison at size.

    PYTHONPATH=src .venv/bin/python bench/revenue.py                       # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ts_bench_revenue \\
        PYTHONPATH=src .venv/bin/python bench/revenue.py --database postgresql

In a fresh database (the SQLite file is deleted; the PostgreSQL database, whose name must
start with ``ts_bench``, is dropped and created) it writes ``--members`` members with
confirmed addresses and, for ``--active`` of them, one active day in each of the last 30
days (rows written RAW, as the rollup would, bypassing the actions). Then it times:

* ``check``: ``crm_actions.check_upload`` of a CSV with one account per member (the
  import's limit is 50,000 rows), and ``import``: ``crm_actions.run_import`` of it (upsert,
  matching every account by email); ``reimport``: the same file again (all updates);
* ``compare``: ``revenue.compare`` for the last 30 days and the 30 before (7 runs after a
  warm-up, median), and GET /manage/analytics/revenue/ as a manager.

Results go to bench/results/revenue-<database>.json.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--active", type=float, default=0.3)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    data_dir = Path(os.environ.get("TOWNSQUARE_DATA_DIR", "/tmp/ts-bench-revenue"))
    os.environ["TOWNSQUARE_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    os.environ["ALLOWED_HOSTS"] = "testserver"  # the Django test client's host
    if args.database == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        data_dir.mkdir(parents=True, exist_ok=True)
        for leftover in data_dir.glob("*.sqlite3*"):
            leftover.unlink()
    else:
        url = os.environ["DATABASE_URL"]
        name = url.rsplit("/", 1)[-1]
        if not name.startswith("ts_bench"):
            sys.exit("The PostgreSQL database's name must start with ts_bench.")
        base = url.rsplit("/", 1)[0] + "/postgres"
        for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
            subprocess.run(["psql", base, "-qc", sql], check=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    results = {"database": args.database, "members": args.members, "active": args.active}
    results |= run(args.members, args.active)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"revenue-{args.database}.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))


def run(members: int, active_share: float) -> dict:
    from allauth.account.models import EmailAddress
    from django.test import Client

    from townsquare.accounts.models import Profile, Role, User
    from townsquare.analytics import crm_actions, revenue
    from townsquare.analytics.models import CrmAccount, DailyActiveMember
    from townsquare.analytics.periods import Period

    manager = User.objects.create(
        email="maja@example.com", handle="maja", display_name="Maja", role=Role.MANAGER
    )
    Profile.objects.create(user=manager)
    users = User.objects.bulk_create(
        [
            User(email=f"m{n}@example.com", handle=f"m{n}", display_name=f"M {n}")
            for n in range(members)
        ],
        batch_size=2000,
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
        batch_size=2000,
    )
    today = datetime.now(UTC).date()
    active = users[: int(members * active_share)]
    DailyActiveMember.objects.bulk_create(
        [
            DailyActiveMember(day=today - timedelta(days=d), member_id=u.pk, contributions=1)
            for u in active
            for d in range(0, 30, 3)
        ],
        batch_size=5000,
    )
    lines = ["crm_id,email,account_value,customer_since,status,churned_on"]
    for n, user in enumerate(users):
        churned = n % 11 == 0
        lines.append(
            f"C-{n},{user.email},{100 + (n * 37) % 9000}.50,2023-01-01,"
            + ("churned,2026-01-01" if churned else "active,")
        )
    data = ("\n".join(lines) + "\n").encode()
    timings: dict = {"file_bytes": len(data)}
    started = time.perf_counter()
    checked = crm_actions.check_upload(manager, "bench.csv", data)
    timings["check_s"] = round(time.perf_counter() - started, 2)
    assert checked.is_clean, (checked.file_errors, checked.row_errors[:3])
    started = time.perf_counter()
    crm_actions.run_import(manager, checked)
    timings["import_s"] = round(time.perf_counter() - started, 2)
    assert CrmAccount.objects.filter(member__isnull=False).count() == members
    again = crm_actions.check_upload(manager, "bench.csv", data)
    started = time.perf_counter()
    crm_actions.run_import(manager, again)
    timings["reimport_s"] = round(time.perf_counter() - started, 2)
    period = Period.ending(today, 30)
    runs = []
    for _ in range(8):
        started = time.perf_counter()
        now, _before = revenue.compare(period, period.previous())
        runs.append(time.perf_counter() - started)
    timings["compare_median_ms"] = round(1000 * statistics.median(runs[1:]), 1)
    timings["compare_result"] = {
        "active": now.active.__dict__,
        "inactive": now.inactive.__dict__,
        "uplift": now.value_uplift,
    }
    client = Client()
    client.force_login(manager)
    page = []
    for _ in range(8):
        started = time.perf_counter()
        assert client.get("/manage/analytics/revenue/").status_code == 200
        page.append(time.perf_counter() - started)
    timings["page_median_ms"] = round(1000 * statistics.median(page[1:]), 1)
    return timings


if __name__ == "__main__":
    main()
