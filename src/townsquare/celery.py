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


@app.on_after_configure.connect
def _in_memory_transport_without_a_broker(sender: Celery, **kwargs) -> None:
    # Eager tasks still go through a producer, to serialise their arguments as a real send
    # would. Give it kombu's in-memory transport, with a host so that kombu does not warn
    # "No hostname was supplied" in every process that runs a job.
    if not sender.conf.broker_url:
        sender.conf.broker_url = "memory://localhost/"


app.autodiscover_tasks()
