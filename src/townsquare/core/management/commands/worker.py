from django.core.management.base import BaseCommand

from townsquare.celery import app


class Command(BaseCommand):
    help = "Run a Celery worker for background jobs (needs CELERY_BROKER_URL)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args, **options) -> None:
        app.worker_main(["worker", "--loglevel=INFO", f"--concurrency={options['concurrency']}"])
