"""The hourly job of the welcome series (CELERY_BEAT_SCHEDULE "onboarding")."""

from datetime import datetime

from django.utils import timezone

from townsquare.core.jobs import job
from townsquare.onboarding import actions
from townsquare.onboarding.queries import due_member_ids

CHUNK = 200


def _moment(now: str | None) -> datetime:
    return datetime.fromisoformat(now) if now else timezone.now()


@job(max_attempts=3)
def send_due_steps(now: str | None = None) -> int:
    """Find the members with a step due (one set query per step) and queue a job per
    chunk of CHUNK members. ``now`` (ISO 8601) is for tests and replays. Returns the number
    of members queued."""
    moment = _moment(now)
    ids = due_member_ids(moment)
    for start in range(0, len(ids), CHUNK):
        send_steps.delay(ids[start : start + CHUNK], moment.isoformat())
    return len(ids)


@job(max_attempts=5)  # idempotent: a step is decided once per member (unique row)
def send_steps(user_ids: list[int], now: str | None = None) -> dict[str, int]:
    return actions.send_steps(user_ids, _moment(now))
