"""The batch jobs of a send (queued by actions.send_announcement on commit)."""

from townsquare.announcements import actions
from townsquare.core.jobs import job


@job(max_attempts=5)  # idempotent: each delivery is claimed with a conditional update
def send_batch(announcement_id: int, user_ids: list[int]) -> dict[str, int]:
    return actions.send_batch(announcement_id, user_ids)
