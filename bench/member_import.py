"""The members import at its size limit: check a 10,000-row CSV file, then import it.

    PYTHONPATH=src .venv/bin/python bench/member_import.py              # SQLite and PostgreSQL
    PYTHONPATH=src .venv/bin/python bench/member_import.py --rows 2000 --databases sqlite

For each database (made anew: the SQLite file is deleted, the PostgreSQL database, whose
name must start with ``ts_bench``, is dropped and created) it migrates, makes a manager and
a group through the actions, and writes a CSV file of ``--rows`` new members (name, email,
company, the group), as the manager would upload at /manage/members/import/. Then, in one
process per database, it times:

* ``check``: ``imports.actions.check_upload`` — the dry run that reads every row, finds
  duplicates and derives handles (the page the manager sees after the upload);
* ``import``: ``imports.actions.start_import`` of all rows, with no broker configured, so
  the job runs in the process, as it does for a community without Redis: every member
  created in batches of 500 with a verified address and the group membership, and the
  invitation mail queued and delivered (to memory: ``EMAIL_URL=memory://``).

The test suite checks that 10,000 rows import correctly (tests/imports); how long it
takes is measured here. Results go to bench/results/member-import-<database>.json.
"""

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fanout import DATA_DIR, RESULTS, ROOT, git_commit, reset_database, run  # shared helpers

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/ts_bench_member_import"


def members_file(rows: int) -> bytes:
    lines = ["name,email,company,groups"]
    lines += [f"Member {n},member{n}@example.com,Company {n % 97},newcomers" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def measure(rows: int) -> dict:
    """Check and import ``rows`` members in the database Django is configured for."""
    import django

    django.setup()
    from django.core import mail

    from townsquare.accounts import actions as account_actions
    from townsquare.accounts.models import Role, User
    from townsquare.groups import actions as group_actions
    from townsquare.imports import actions
    from townsquare.imports.models import ImportStatus

    manager = account_actions.register_member(
        email="manager@example.com", handle="manager", display_name="Maja", password=None,
        role=Role.MANAGER,
    )  # fmt: skip
    group_actions.create_group(None, name="Newcomers", slug="newcomers")
    data = members_file(rows)
    started = time.perf_counter()
    checked = actions.check_upload(manager, "members.csv", data)
    check_seconds = time.perf_counter() - started
    assert checked.rows_total == rows and not checked.rows_bad, checked.row_errors[:3]
    started = time.perf_counter()
    actions.start_import(manager, checked, only_good_rows=False, site_url="http://testserver")
    import_seconds = time.perf_counter() - started
    checked.refresh_from_db()
    assert checked.status == ImportStatus.DONE and checked.imported_count == rows, checked.failure
    assert User.objects.filter(email__startswith="member").count() == rows
    return {
        "rows": rows,
        "file_bytes": len(data),
        "check_seconds": round(check_seconds, 2),
        "import_seconds": round(import_seconds, 2),
        "import_rows_per_second": round(rows / import_seconds),
        "mails_delivered": len(getattr(mail, "outbox", [])),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def bench_one(vendor: str, url: str, args: argparse.Namespace) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "EMAIL_URL", "CELERY_BROKER_URL"}
    }
    env.update(
        DATABASE_URL=url,
        EMAIL_URL="memory://",
        DJANGO_SETTINGS_MODULE="townsquare.settings",
        PYTHONPATH=str(ROOT / "src"),
    )
    reset_database(url)
    run([sys.executable, "-m", "django", "migrate", "--noinput", "-v0"], env)
    figures = json.loads(run([sys.executable, __file__, "measure", "--rows", str(args.rows)], env))
    print(f"[{vendor}] {figures}", flush=True)
    return {
        "benchmark": "members import: check and import of a CSV file",
        "command": args.command,
        "database": vendor,
        "commit": git_commit(),
        **figures,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", nargs="?", default="bench", choices=["bench", "measure"])
    parser.add_argument("--rows", type=int, default=10_000, help="the import's limit")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--sqlite-url", default=f"sqlite:///{DATA_DIR / 'member-import.sqlite3'}", help="made anew"
    )
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL), help="made anew"
    )
    parser.add_argument("--command", default="make bench-member-import")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.mode == "measure":
        print(json.dumps(measure(args.rows)))
        return
    urls = {"sqlite": args.sqlite_url, "postgresql": args.pg_url}
    for vendor in args.databases.split(","):
        result = bench_one(vendor, urls[vendor], args)
        if not args.no_write:
            RESULTS.mkdir(parents=True, exist_ok=True)
            path = RESULTS / f"member-import-{vendor}.json"
            path.write_text(json.dumps(result, indent=2) + "\n")
            print(f"Written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
