from townsquare.core.jobs import job
from townsquare.notifications import actions


@job(max_attempts=5)  # idempotent: a retry or a redelivery creates nothing twice
def fan_out(name: str, object_id: int, extra: dict | None = None) -> int:
    """Deliver one event to everyone who should hear of it, in batches. Running it twice
    creates nothing twice (one row per member and event)."""
    return actions.fan_out_now(name, object_id, extra)
