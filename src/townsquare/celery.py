"""The Celery application.

With no ``CELERY_BROKER_URL`` the tasks run in-process, right after the transaction that
enqueued them commits, so a laptop needs no broker. With a broker (Redis in production),
``townsquare worker`` runs the same tasks in separate processes.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")

app = Celery("townsquare")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
