"""Periodic jobs without a broker: on a laptop there is no celery beat, so the web process
runs the same schedule (``CELERY_BEAT_SCHEDULE``) in a background thread.

Every periodic job is safe to run from several processes at once (each locks what it
works on), so two web workers ticking side by side do no harm.
"""

import logging
import threading
import time
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from townsquare.celery import app

logger = logging.getLogger(__name__)


def _due(name: str, entry: dict, last_run: dict[str, float | datetime], now: float) -> bool:
    """Whether a job is due, and if so mark it run. Intervals count on the monotonic clock
    from the first tick (so every interval job runs at start); a crontab (the Monday
    report) goes by the wall clock and, as in celery beat, first runs at its next time."""
    schedule = entry["schedule"]
    if hasattr(schedule, "is_due"):
        wall = timezone.now()
        if not schedule.is_due(last_run.setdefault(name, wall)).is_due:
            return False
        last_run[name] = wall
        return True
    interval = float(getattr(schedule, "total_seconds", lambda: schedule)())
    if now - last_run.get(name, 0.0) < interval:
        return False
    last_run[name] = now
    return True


def run_due(last_run: dict[str, float | datetime], now: float) -> list[str]:
    """Run every job that is due (see ``_due``); return their names."""
    ran = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        if not _due(name, entry, last_run, now):
            continue
        try:
            if entry["task"] not in app.tasks:
                app.loader.import_default_modules()  # finds every app's tasks.py
            result = app.tasks[entry["task"]].apply()
            if result.failed():
                logger.error("Periodic job %s failed:\n%s", name, result.traceback)
        except Exception:  # a failing job must not stop the others
            logger.exception("Periodic job %s could not run", name)
        ran.append(name)
    return ran


def _loop(tick: float) -> None:
    last_run: dict[str, float | datetime] = {}
    while True:
        close_old_connections()
        run_due(last_run, time.monotonic())
        close_old_connections()
        time.sleep(tick)


def start(tick: float = 15.0) -> threading.Thread | None:
    """Start the embedded scheduler, unless a broker (and so celery beat) is configured."""
    if settings.CELERY_BROKER_URL:
        return None
    thread = threading.Thread(target=_loop, args=(tick,), name="townsquare-scheduler", daemon=True)
    thread.start()
    logger.info("Embedded scheduler started (no CELERY_BROKER_URL): periodic jobs run here.")
    return thread
