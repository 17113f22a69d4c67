from townsquare.core.jobs import job
from townsquare.notifications import actions, digest, mailing


@job(max_attempts=5, bind=True)  # idempotent: a retry or a redelivery creates nothing twice
def fan_out(task, name: str, object_id: int, extra: dict | None = None) -> int:
    """Deliver one event to everyone who should hear of it, in batches. Running it twice
    creates nothing twice (one row per member and event).

    An event for many members (over ``actions.JOB_SIZE``) is shared out: one
    ``deliver_batch`` job per slice, on the queue this job came from, so every worker
    takes a part. Each is idempotent too, so a fan-out job delivered again after its
    worker died only queues slices that find their work done.
    """
    delivery = task.request.delivery_info or {}
    queue = delivery.get("routing_key") or None

    def share(by_kind: dict[str, list[int]]) -> None:
        deliver_batch.apply_async(args=[name, object_id, extra or {}, by_kind], queue=queue)

    return actions.fan_out_now(name, object_id, extra, share=share)


@job(max_attempts=5)  # idempotent, like fan_out
def deliver_batch(name: str, object_id: int, extra: dict, recipients: dict[str, list[int]]) -> int:
    """Deliver one slice of a shared fan-out: ``recipients`` is ``{kind: [member ids]}``."""
    return actions.deliver_share(name, object_id, extra, recipients)


@job(max_attempts=3, backoff=30)
def send_notification_mail() -> int:
    """Every minute: queue ``mail_notifications`` for the members with notification mail
    due, in chunks (notifications.mailing). Returns how many members were queued."""
    return mailing.sweep(lambda user_ids: mail_notifications.delay(user_ids))


@job(max_attempts=5)  # idempotent: each member is re-checked under a lock
def mail_notifications(user_ids: list[int]) -> int:
    """One notification mail per member who has some due; returns how many were sent."""
    return mailing.mail_members(user_ids)


@job(max_attempts=3, backoff=60)
def send_digests() -> int:
    """Every half hour: queue ``send_digest_batch`` for the members whose digest is due
    (their local digest hour has come, and none was sent this period), in chunks
    (notifications.digest). Returns how many members were queued."""
    return digest.sweep(lambda user_ids: send_digest_batch.delay(user_ids))


@job(max_attempts=5)  # idempotent: the batch re-checks every member under a lock
def send_digest_batch(user_ids: list[int]) -> int:
    """The digest of every member of the batch still due; returns how many were mailed."""
    return digest.send_batch(user_ids)
