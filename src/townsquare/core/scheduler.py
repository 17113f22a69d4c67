"""Periodic jobs without a broker: on a laptop there is no celery beat, so the web process
runs the same schedule (``CELERY_BEAT_SCHEDULE``) in a background thread.

Every periodic job is safe to run from several processes at once (each locks what it
works on), so two web workers ticking side by side do no harm.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections

from townsquare.celery import app

logger = logging.getLogger(__name__)


def _interval(entry: dict) -> float:
    schedule = entry["schedule"]
    return float(getattr(schedule, "total_seconds", lambda: schedule)())


def run_due(last_run: dict[str, float], now: float) -> list[str]:
    """Run every job whose interval has passed since it last ran; return their names."""
    ran = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        if now - last_run.get(name, 0.0) < _interval(entry):
            continue
        last_run[name] = now
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
    last_run: dict[str, float] = {}
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
