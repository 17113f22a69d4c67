"""Jobs for the job-system tests, declared like the real ones (core.jobs.job).

The real-worker tests load this module into the worker with ``celery worker -I``. Each job
leaves its mark as a CompletedJob row, which has a unique key: a job that completed twice
would break the constraint and be recorded as a failed job.
"""

import logging
import time

from townsquare.core.jobs import job
from townsquare.core.models import CompletedJob

logger = logging.getLogger(__name__)


@job(max_attempts=4, backoff=1, backoff_max=4, bind=True)
def flaky(task, key: str, failures: int) -> int:
    """Fails its first ``failures`` attempts with a transient error, then succeeds."""
    attempt = task.request.retries + 1
    logger.warning("flaky %s attempt %d", key, attempt)
    if attempt <= failures:
        raise ConnectionRefusedError(f"attempt {attempt}: the service is away")
    CompletedJob.objects.create(key=f"done:{key}")
    return attempt


@job(max_attempts=3, backoff=1, backoff_max=4)
def always_fails(key: str) -> None:
    raise ConnectionRefusedError(f"{key}: the service never answers")


@job(max_attempts=3, backoff=1, backoff_max=4)
def fails_until_fixed(key: str) -> None:
    """Fails until a CompletedJob "fixed:<key>" says the cause is gone."""
    if not CompletedJob.objects.filter(key=f"fixed:{key}").exists():
        raise TimeoutError(f"{key} is still broken")
    CompletedJob.objects.create(key=f"done:{key}")


@job(max_attempts=3, backoff=1)
def not_retryable(key: str) -> None:
    raise ValueError(f"{key}: bad input, waiting will not help")


@job(max_attempts=3, backoff=1)
def slow(key: str, seconds: float) -> None:
    """Announces itself in the log, works for a while, then records its one completion."""
    logger.warning("slow %s started", key)
    time.sleep(seconds)
    CompletedJob.objects.create(key=f"done:{key}")
    logger.warning("slow %s finished", key)
