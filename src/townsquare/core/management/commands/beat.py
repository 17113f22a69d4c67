from django.conf import settings
from django.core.management.base import BaseCommand

from townsquare.celery import app


class Command(BaseCommand):
    help = "Run celery beat, which queues periodic jobs (needs CELERY_BROKER_URL; run one)."

    def handle(self, *args, **options) -> None:
        schedule = settings.DATA_DIR / "celerybeat-schedule"
        app.start(["beat", "--loglevel=INFO", f"--schedule={schedule}"])
