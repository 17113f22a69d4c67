from townsquare.core.jobs import job
from townsquare.notifications import actions, mailing


@job(max_attempts=5)  # idempotent: a retry or a redelivery creates nothing twice
def fan_out(name: str, object_id: int, extra: dict | None = None) -> int:
    """Deliver one event to everyone who should hear of it, in batches. Running it twice
    creates nothing twice (one row per member and event)."""
    return actions.fan_out_now(name, object_id, extra)


@job(max_attempts=3, backoff=30)
def send_notification_mail() -> int:
    """Every minute: queue ``mail_notifications`` for the members with notification mail
    due, in chunks (notifications.mailing). Returns how many members were queued."""
    return mailing.sweep(lambda user_ids: mail_notifications.delay(user_ids))


@job(max_attempts=5)  # idempotent: each member is re-checked under a lock
def mail_notifications(user_ids: list[int]) -> int:
    """One notification mail per member who has some due; returns how many were sent."""
    return mailing.mail_members(user_ids)
