from celery import shared_task

from townsquare.notifications import actions


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5, acks_late=True)
def fan_out(name: str, object_id: int, extra: dict | None = None) -> int:
    """Deliver one event to everyone who should hear of it, in batches. Running it twice
    creates nothing twice (one row per member and event)."""
    return actions.fan_out_now(name, object_id, extra)
