"""Median page time with page-view tracking on vs off, as a ratio (target <= 1.05).

Runs the real middleware stack in-process against a demo community on SQLite, alternating
on and off request by request so both see the same machine state. Results go to
bench/results/pageviews.json.

    make bench        # or: .venv/bin/python bench/pageview_overhead.py --requests 400
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "pageviews.json"
PAGES = ["/", "/members/", "/u/admin/", "/guidelines/"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300, help="per page and setting")
    args = parser.parse_args()
    os.environ["TOWNSQUARE_DATA_DIR"] = tempfile.mkdtemp(prefix="townsquare-bench-")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from townsquare.core.models import PageView

    call_command("migrate", verbosity=0)
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    timings: dict[str, list[float]] = {"on": [], "off": []}
    for page in PAGES:  # warm caches and template loading
        client.get(page)
    for round_number in range(args.requests):
        # Alternate which setting goes first: the first of two identical requests is slower.
        order = ("on", "off") if round_number % 2 else ("off", "on")
        for page in PAGES:
            for mode in order:
                settings.PAGEVIEW_TRACKING = mode == "on"
                start = time.perf_counter()
                response = client.get(page, HTTP_REFERER="https://www.google.com/")
                timings[mode].append(time.perf_counter() - start)
                assert response.status_code == 200, (page, response.status_code)
    from townsquare.core.traffic import buffer

    buffer.flush()
    median_on = statistics.median(timings["on"])
    median_off = statistics.median(timings["off"])
    result = {
        "requests_per_setting": len(timings["on"]),
        "median_ms_tracking_on": round(median_on * 1000, 3),
        "median_ms_tracking_off": round(median_off * 1000, 3),
        "ratio_on_over_off": round(median_on / median_off, 4),
        "target_ratio": 1.05,
        "page_views_recorded": PageView.objects.count(),
        "python": sys.version.split()[0],
        "database": "sqlite",
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
