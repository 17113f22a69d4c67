import os
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from gunicorn.app.base import BaseApplication

from townsquare.core import scheduler
from townsquare.search.analysis import load_dictionaries
from townsquare.wsgi import application


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return application


def _worker_started(worker) -> None:
    # Without a broker there is no celery beat: each worker ticks the schedule.
    scheduler.start()
    # In the background, so the worker answers at once; the first search would wait for them.
    threading.Thread(target=load_dictionaries, name="search-dictionaries", daemon=True).start()


class Command(BaseCommand):
    help = "Serve the community with gunicorn (production-grade, multi-threaded)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        # Without Redis the cache and rate limits live in the process, so one process with
        # threads is the safe default; with REDIS_URL, run several.
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1"))
        )
        parser.add_argument("--threads", type=int, default=int(os.environ.get("THREADS", "8")))

    def handle(self, *args, **options) -> None:
        if options["workers"] > 1 and not settings.REDIS_URL:
            self.stderr.write("Several workers without REDIS_URL do not share rate limits.")
        self.stdout.write(f"Townsquare at http://{options['host']}:{options['port']}/")
        _Gunicorn(
            {
                "bind": f"{options['host']}:{options['port']}",
                "workers": options["workers"],
                "threads": options["threads"],
                "worker_class": "gthread",
                "accesslog": "-",
                "timeout": 60,
                "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
                "post_worker_init": _worker_started,
            }
        ).run()
