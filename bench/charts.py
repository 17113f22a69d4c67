"""The analytics dashboard's charts for 30 and 365 days: build and render, before and after.

    PYTHONPATH=src .venv/bin/python bench/charts.py [--before 052a455] [--runs 15]
    PYTHONPATH=src .venv/bin/python bench/charts.py --page [--label after]

Builds what /manage/analytics/ draws — four sections, each a line chart of two series
(this period and the previous one) with the table of its daily numbers — from hand-made
daily values, and renders each through ``analytics/charts/figure.html`` (table closed, as
on the dashboard). The "before" side is ``charts.py`` and ``figure.html`` as they were at
``--before`` (read with ``git show`` and loaded as a module of their own), run in the same
process on the same numbers, so the ratio does not depend on the machine's mood. The HTML
of both sides is compared (chart ids aside) and must be the same.

"cold" clears the number and date formatter cache before every run (the first page in a
language after a restart); "warm" keeps it (the following pages). Median and max of
``--runs`` runs after one warm-up. Results go to bench/results/charts.json.

``--page`` measures the whole page instead: GET /manage/analytics/ as a manager through
Django's test client (middleware, queries, templates; DEBUG off) for the last 30 and 365
days, on a new SQLite database (var/bench/charts.sqlite3, or ``DATABASE_URL``) holding two
years of hand-made community-wide daily figures (bulk-created DailyMetric rows, no rollup).
It measures the code it imports: run it once with ``PYTHONPATH`` pointing at the old tree
(``--label before``) and once at the new one; results go under "page" in charts.json.
"""

import argparse
import importlib.util
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CHARTS = "src/townsquare/analytics/charts.py"
FIGURE = "src/townsquare/analytics/templates/analytics/charts/figure.html"
SECTIONS = ("Page views", "Daily active members", "Posts", "New members")


def git_show(commit: str, path: str) -> str:
    return subprocess.run(
        ["git", "show", f"{commit}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def load_before(commit: str):
    """The old charts module, under a name of its own so both can live side by side."""
    path = ROOT / "var" / "bench" / f"charts_before_{commit}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(git_show(commit, CHARTS))
    spec = importlib.util.spec_from_file_location("charts_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sections(days: int, end: date) -> list[tuple[str, list, list]]:
    """Daily values shaped like a community's: weekly rhythm, growth, a few zero days."""
    found = []
    for k, name in enumerate(SECTIONS):
        scale = (5000, 300, 120, 8)[k]

        def value(n: int, scale=scale) -> int:
            weekday = 0.6 if n % 7 in (5, 6) else 1.0
            return 0 if n % 53 == 0 else int(scale * weekday * (1 + n / 700) + (n * 37) % 11)

        current_start = end - timedelta(days=days - 1)
        before_start = current_start - timedelta(days=days)
        current = [(current_start + timedelta(days=n), value(days + n)) for n in range(days)]
        before = [(before_start + timedelta(days=n), value(n)) for n in range(days)]
        found.append((name, current, before))
    return found


def page(module, engine, template, data) -> str:
    html = []
    for name, current, before in data:
        chart = module.line_chart(
            [module.Series("This period", current), module.Series("Previous period", before)],
            title=name,
            description=f"{name}, day by day.",
            y_label=name,
        )
        html.append(template.render(engine_context(chart)))
    return "".join(html)


def engine_context(chart):
    from django.template import Context

    return Context({"chart": chart, "open_table": False})


def timed(fn, runs: int, before_each=None) -> dict[str, float]:
    fn()
    samples = []
    for _ in range(runs):
        if before_each:
            before_each()
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(samples), 2), "max_ms": round(max(samples), 2)}


STORED = ("pageviews", "visitors", "dau", "wau", "mau", "topics", "replies", "reactions",
          "new_members", "contributors")  # fmt: skip


def measure_page(runs: int) -> dict[str, dict]:
    """The dashboard page for 30 and 365 days, on a database made here."""
    from datetime import UTC

    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from townsquare.accounts.models import Role, User
    from townsquare.analytics.models import DailyMetric
    from townsquare.core import actions as core_actions

    call_command("migrate", verbosity=0)
    guidelines = core_actions.publish_guidelines(None, "## Be kind\n\nNo spam.", "First")
    manager = User.objects.create(
        email="manager@example.com",
        handle="manager",
        display_name="Manager",
        role=Role.MANAGER,
        guidelines_version=guidelines.version,
    )
    today = timezone.now().astimezone(UTC).date()
    DailyMetric.objects.bulk_create(
        DailyMetric(
            day=today - timedelta(days=n),
            metric=metric,
            value=0 if n % 41 == 0 else 100 + (n * 37 + i * 11) % 5000,
        )
        for n in range(730)
        for i, metric in enumerate(STORED)
    )
    client = Client()
    client.force_login(manager)
    found = {}
    for days in (30, 365):
        query = {
            "from": (today - timedelta(days=days - 1)).isoformat(),
            "to": today.isoformat(),
        }

        def get(query=query) -> None:
            response = client.get("/manage/analytics/", query)
            if response.status_code != 200:
                sys.exit(f"/manage/analytics/ answered {response.status_code}")

        found[f"{days}_days"] = timed(get, runs)
        print(days, "days:", json.dumps(found[f"{days}_days"]))
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", default="052a455", help="commit of the old charts")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--language", default="en")
    parser.add_argument("--page", action="store_true", help="time the whole dashboard page")
    parser.add_argument("--label", default="after", help="--page: name of this run's results")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")
    if args.page and "DATABASE_URL" not in os.environ:
        database = ROOT / "var" / "bench" / "charts.sqlite3"
        database.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    saved = RESULTS / "charts.json"
    if args.page:
        output = json.loads(saved.read_text()) if saved.exists() else {}
        import townsquare

        output.setdefault("page", {})[args.label] = {
            "code": str(Path(townsquare.__file__).parents[1]),
            "database": os.environ["DATABASE_URL"].split(":", 1)[0],
            "runs": args.runs,
            **measure_page(args.runs),
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(output, indent=2) + "\n")
        return
    from django.template import Engine
    from django.utils import translation

    from townsquare.analytics import charts, numbers

    old = load_before(args.before)
    engine = Engine(libraries={"i18n": "django.templatetags.i18n"})
    old_template = engine.from_string(git_show(args.before, FIGURE))
    new_template = engine.from_string((ROOT / FIGURE).read_text())
    end = date(2026, 11, 26)
    results: dict[str, dict] = {}
    with translation.override(args.language):
        for days in (30, 365):
            data = sections(days, end)
            before_html = page(old, engine, old_template, data)
            after_html = page(charts, engine, new_template, data)
            same = re.sub(r"chart-\d+", "chart-N", before_html) == re.sub(
                r"chart-\d+", "chart-N", after_html
            )
            if not same:
                sys.exit(f"{days} days: the new charts' HTML differs from the old")
            before = timed(lambda data=data: page(old, engine, old_template, data), args.runs)
            cold = timed(
                lambda data=data: page(charts, engine, new_template, data),
                args.runs,
                numbers._formatters.clear,
            )
            warm = timed(lambda data=data: page(charts, engine, new_template, data), args.runs)
            results[f"{days}_days"] = {
                "before": before,
                "after_cold": cold,
                "after_warm": warm,
                "speed_up_cold": round(before["median_ms"] / cold["median_ms"], 1),
                "speed_up_warm": round(before["median_ms"] / warm["median_ms"], 1),
                "html_bytes": len(after_html),
                "same_html": same,
            }
            print(days, "days:", json.dumps(results[f"{days}_days"]))
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    pages = json.loads(saved.read_text()).get("page") if saved.exists() else None
    output = {
        "benchmark": "analytics dashboard charts: 4 line charts × 2 series, built and rendered",
        "before_commit": args.before,
        "commit": commit,
        "language": args.language,
        "runs": args.runs,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "results": results,
    }
    if pages:
        output["page"] = pages  # kept from the --page runs
    RESULTS.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(output, indent=2) + "\n")


if __name__ == "__main__":
    main()
