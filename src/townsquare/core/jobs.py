"""Reliable background jobs: every task is declared with ``@job(...)``.

A job retries transient errors (database, network, SMTP) with exponential back-off and
jitter, up to a bounded number of attempts. When the attempts are used up, or the error is
not a transient one, the job is recorded as a ``FailedJob`` that admins can see and retry
(Manage > Failed jobs) and the failure is logged: a job is never dropped silently.

The same happens in eager mode (no broker): the retries run at once, at most
JOBS_EAGER_MAX_ATTEMPTS in all since nothing waits between them, and a job that still fails
is recorded without raising into the request that queued it.

Jobs must be idempotent, because with late acknowledgement a job whose worker died is
delivered again. A job with an outside effect that cannot be undone (mail) wraps it in
``once(key)``.
"""

import logging
import random
import smtplib
import traceback as tb
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

#: Errors worth trying again later: the database, the network or the mail server was away.
#: ``smtplib.SMTPException`` is an OSError already; it is listed to say so.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (DatabaseError, OSError, smtplib.SMTPException)
#: Errors that will not go away by waiting (a broken constraint): recorded at once.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (IntegrityError,)

TRACEBACK_LIMIT = 10_000


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1, 2, ...).

    Exponential (base, 2 base, 4 base ... up to cap), scaled by JOBS_BACKOFF_SCALE, with
    "equal jitter": a random point in the upper half, so retries of many jobs that failed
    together spread out.
    """
    delay = min(cap, base * 2 ** (attempt - 1)) * settings.JOBS_BACKOFF_SCALE
    return random.uniform(delay / 2, delay)


class Job(Task):
    """Celery task base: records the final failure, and marks admin retries resolved."""

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        record_failure(
            self.name,
            task_id,
            list(args or ()),
            dict(kwargs or {}),
            exc,
            einfo.traceback if einfo is not None else "",
            attempts=self.request.retries + 1,
        )

    def on_success(self, retval, task_id, args, kwargs) -> None:
        if _is_admin_retry(task_id):
            _resolve(task_id)


def _is_admin_retry(task_id: str) -> bool:
    return task_id.startswith(RETRY_PREFIX)


RETRY_PREFIX = "retry-"


def _resolve(task_id: str) -> None:
    from townsquare.core.models import FailedJob

    try:
        FailedJob.objects.filter(retry_task_id=task_id).update(
            status=FailedJob.Status.RESOLVED, resolved_at=timezone.now()
        )
    except DatabaseError:
        logger.exception("Could not mark the retried job %s as resolved", task_id)


def record_failure(
    task_name: str,
    task_id: str,
    args: list,
    kwargs: dict,
    exc: BaseException,
    traceback: str,
    *,
    attempts: int,
) -> None:
    """Keep a job that gave up, for admins; log it in any case (never silently dropped)."""
    from townsquare.core.models import FailedJob

    logger.error(
        "Job %s[%s] failed after %d attempt(s) and was recorded as a failed job: %s: %s",
        task_name,
        task_id,
        attempts,
        type(exc).__name__,
        exc,
    )
    now = timezone.now()
    values = {
        "exception_type": f"{type(exc).__module__}.{type(exc).__qualname__}"[:200],
        "exception_message": str(exc)[:2000],
        "traceback": (traceback or "".join(tb.format_exception(exc)))[-TRACEBACK_LIMIT:],
        "last_failed_at": now,
        "status": FailedJob.Status.FAILED,
        "resolved_at": None,
    }
    try:
        with transaction.atomic():
            earlier = (
                FailedJob.objects.select_for_update().filter(retry_task_id=task_id).first()
                if _is_admin_retry(task_id)
                else None
            )
            if earlier is not None:
                earlier.attempts += attempts
                for name, value in values.items():
                    setattr(earlier, name, value)
                earlier.save()
            else:
                FailedJob.objects.update_or_create(
                    task_id=task_id,
                    defaults=values,
                    create_defaults={
                        **values,
                        "task_name": task_name,
                        "args": args,
                        "kwargs": kwargs,
                        "attempts": attempts,
                        "first_failed_at": now,
                    },
                )
    except Exception:  # the database may be what failed; the log still has it all
        logger.exception(
            "Could not record the failed job %s[%s] (args %r, kwargs %r)",
            task_name,
            task_id,
            args,
            kwargs,
        )


def job(
    *,
    retry_on: tuple[type[BaseException], ...] = TRANSIENT_ERRORS,
    max_attempts: int = 5,
    backoff: float = 30.0,
    backoff_max: float = 3600.0,
    bind: bool = False,
    **options: Any,
) -> Callable[[Callable[..., Any]], Job]:
    """Declare a background job (a Celery shared task on ``Job``).

    ``max_attempts`` counts the first run. ``bind=True`` hands the task itself to the
    function as its first argument (for ``task.request.id``). Errors in ``retry_on`` but
    not in PERMANENT_ERRORS are retried; anything else fails the job at once.
    """

    def decorate(func: Callable[..., Any]) -> Job:
        def run(task: Job, *args: Any, **kwargs: Any) -> Any:
            try:
                return func(task, *args, **kwargs) if bind else func(*args, **kwargs)
            except PERMANENT_ERRORS:
                raise
            except retry_on as error:
                attempt = task.request.retries + 1
                limit = max_attempts
                if task.request.is_eager:
                    # Eager retries run back to back inside the request: a few are enough.
                    limit = min(max_attempts, settings.JOBS_EAGER_MAX_ATTEMPTS)
                if attempt >= limit:
                    raise
                logger.warning(
                    "Job %s[%s] attempt %d of %d failed, will retry: %s: %s",
                    task.name,
                    task.request.id,
                    attempt,
                    limit,
                    type(error).__name__,
                    error,
                )
                raise task.retry(
                    exc=error,
                    countdown=backoff_delay(attempt, backoff, backoff_max),
                    max_retries=max_attempts - 1,
                ) from error

        run.__name__ = func.__name__
        run.__qualname__ = func.__qualname__
        run.__module__ = func.__module__
        run.__doc__ = func.__doc__
        return shared_task(bind=True, base=Job, max_retries=max_attempts - 1, **options)(run)

    return decorate


def retry_failed_job(failed_job: Any) -> str:
    """Queue a failed job again, through the same task with the same arguments."""
    from celery import current_app

    task_id = f"{RETRY_PREFIX}{failed_job.pk}-{random.getrandbits(48):012x}"
    failed_job.retry_task_id = task_id
    failed_job.times_retried += 1
    failed_job.status = failed_job.Status.RETRIED
    failed_job.save(update_fields=["retry_task_id", "times_retried", "status"])
    task = current_app.tasks.get(failed_job.task_name)
    if task is None:
        current_app.loader.import_default_modules()
        task = current_app.tasks[failed_job.task_name]
    args, kwargs = list(failed_job.args), dict(failed_job.kwargs)
    transaction.on_commit(lambda: task.apply_async(args, kwargs, task_id=task_id))
    return task_id


class once:
    """Do an outside effect (send a mail) at most once per key, across redeliveries.

    ``with once(key) as first: if first: send()`` — the key is stored right after the block
    succeeds, before the job is acknowledged. A worker killed inside the tiny gap between
    the effect and the store can still repeat it; anything later cannot.
    """

    def __init__(self, key: str) -> None:
        self.key = key[:200]

    def __enter__(self) -> bool:
        from townsquare.core.models import CompletedJob

        self.first = not CompletedJob.objects.filter(key=self.key).exists()
        return self.first

    def __exit__(self, exc_type, exc, traceback) -> None:
        from townsquare.core.models import CompletedJob

        if exc_type is None and self.first:
            CompletedJob.objects.get_or_create(key=self.key)


def prune_completed(days: int | None = None) -> int:
    """Forget the keys of jobs done long ago (no redelivery comes that late)."""
    from townsquare.core.models import CompletedJob

    keep = days if days is not None else settings.JOBS_COMPLETED_KEEP_DAYS
    cutoff = timezone.now() - timedelta(days=keep)
    deleted, _ = CompletedJob.objects.filter(completed_at__lt=cutoff).delete()
    return deleted
