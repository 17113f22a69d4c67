"""The satisfaction page over a large answers table.

    PYTHONPATH=src .venv/bin/python bench/satisfaction.py                     # both databases
    PYTHONPATH=src .venv/bin/python bench/satisfaction.py --answers 1000000 --databases sqlite
    # before/after on the same data: measure another checkout's code on these databases
    PYTHONPATH=/tmp/before/src .venv/bin/python bench/satisfaction.py --reuse --suffix=-before

For each database (made anew, as bench/generate.py does: the SQLite file deleted, the
PostgreSQL database — its name must start with ``ts_bench`` — dropped and created) it
bulk-writes ``--members`` members and ``--answers`` survey answers spread over the 365 days
before today (80 % NPS, of which a fifth "not now"; 20 % CSAT, each about its own topic; a
third with a comment), BYPASSING THE ACTIONS, then times GET /manage/analytics/satisfaction/
as a manager through the Django test client for the last 30 and 365 days (one warm-up, then
7 runs: median and max; the warm-up is ``first_ms``: the trend's months not yet cached),
and ``metrics.series("nps")`` alone; then the 365-day page after each of 7 answers
dated 200 days ago written through the actions (the month they change is counted again,
the other months come from the cache). As after any import that bypasses the actions, the
months of the answers then get their stamps (what ``townsquare rollup --rebuild`` does),
so the trend's months can be cached. ``--reuse`` measures the databases a previous run
made, as they are (no load, no migration, no stamps): with PYTHONPATH pointing at an
older checkout, that is the "before" on the same data.

A real community has far fewer answers: a member is asked once every 90 days at most, so
100,000 members answering every time they are asked give about 400,000 a year.

Results go to bench/results/satisfaction-<database><--suffix>.json.
"""

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
DATABASES = {
    "sqlite": f"sqlite:///{Path('/tmp/ts-bench-satisfaction/db.sqlite3')}",
    "postgresql": "postgres://postgres@127.0.0.1:5432/ts_bench_satisfaction",
}


def load(members: int, answers: int) -> None:
    from townsquare.accounts.models import Role, User
    from townsquare.surveys.models import SurveyAnswer

    chooser = random.Random(1)
    now = datetime.now(UTC)
    User.objects.bulk_create(
        [
            User(handle=f"b{n}", email=f"b{n}@example.com", display_name=f"Member {n}")
            for n in range(members)
        ],
        batch_size=5000,
    )
    User.objects.create(
        handle="bench_manager", email="m@example.com", display_name="M", role=Role.MANAGER
    )
    ids = list(User.objects.exclude(role=Role.MANAGER).values_list("pk", flat=True))
    batch = []
    for n in range(answers):
        at = now - timedelta(seconds=chooser.randint(0, 365 * 86400))
        member = chooser.choice(ids)
        comment = "Good people, slow search" if chooser.random() < 0.33 else ""
        if chooser.random() < 0.8:
            score = None if chooser.random() < 0.2 else chooser.randint(0, 10)
            row = SurveyAnswer(member_id=member, kind="nps", score=score, context="prompt")
        else:
            score = chooser.randint(1, 5)
            row = SurveyAnswer(member_id=member, kind="csat", score=score, context=f"topic:{n + 1}")
        row.created_at, row.comment = at, comment if score is not None else ""
        batch.append(row)
        if len(batch) == 10_000:
            SurveyAnswer.objects.bulk_create(batch)
            batch = []
    SurveyAnswer.objects.bulk_create(batch)


def timed(call, runs: int = 7) -> dict:
    start = time.perf_counter()
    call()  # warm-up
    first = (time.perf_counter() - start) * 1000
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return {
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "first_ms": round(first, 1),
    }


def measure(database: str, members: int, answers: int, reuse: bool) -> dict:
    from generate import fresh_database, setup_django

    url = DATABASES[database]
    if not reuse:
        fresh_database(url)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from townsquare.accounts.models import User
    from townsquare.analytics import metrics
    from townsquare.analytics.periods import Period
    from townsquare.surveys.models import SurveyAnswer

    loaded = 0.0
    if not reuse:
        call_command("migrate", verbosity=0)
        start = time.perf_counter()
        load(members, answers)
        from townsquare.surveys.actions import restamp_months

        restamp_months()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        loaded = time.perf_counter() - start
    members = User.objects.count() - 1  # the manager
    answers = SurveyAnswer.objects.count()
    setup_test_environment()
    client = Client()
    client.force_login(User.objects.get(handle="bench_manager"))
    today = datetime.now(UTC).date()
    results = {"database": database, "members": members, "answers": answers}
    results["load_s"] = round(loaded, 1)
    for days in (30, 365):
        start_day = today - timedelta(days=days - 1)
        url = f"/manage/analytics/satisfaction/?from={start_day}&to={today}"

        def get(url=url) -> None:
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        results[f"page_{days}_days"] = timed(get)
        period = Period(start_day, today)
        results[f"nps_series_{days}_days"] = timed(lambda p=period: metrics.series("nps", p))
    results["page_365_days_after_a_backdated_answer"] = after_backdated_answers(get)
    return results


def after_backdated_answers(get, runs: int = 7) -> dict:
    """The 365-day page (``get``, the last one timed) each time after an answer dated 200
    days ago is written through the actions (untimed): its month is counted again."""
    from townsquare.accounts.models import User
    from townsquare.surveys import actions

    chooser = random.Random(2)
    members = list(User.objects.exclude(handle="bench_manager")[:100])
    times = []
    for _ in range(runs):
        at = datetime.now(UTC) - timedelta(days=200)
        actions.answer(None, "nps", chooser.randint(0, 10), member=chooser.choice(members), at=at)
        start = time.perf_counter()
        get()
        times.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=400_000)
    parser.add_argument("--databases", nargs="+", default=list(DATABASES), choices=DATABASES)
    parser.add_argument("--reuse", action="store_true", help="Measure the databases as they are.")
    parser.add_argument("--suffix", default="", help="of the results file, e.g. -before")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child process: one database
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    if args.one:
        print(json.dumps(measure(args.one, args.members, args.answers, args.reuse)))
        return
    for database in args.databases:
        # Each database in its own process: Django is set up once per process.
        child = [sys.executable, __file__, "--one", database]
        child += ["--members", str(args.members), "--answers", str(args.answers)]
        child += ["--reuse"] if args.reuse else []
        out = subprocess.run(child, check=True, capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        (RESULTS / f"satisfaction-{database}{args.suffix}.json").write_text(
            json.dumps(result, indent=2) + "\n"
        )
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
