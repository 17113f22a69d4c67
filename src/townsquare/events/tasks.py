"""The events' periodic jobs (settings.CELERY_BEAT_SCHEDULE): series, reminders, finishing."""

from townsquare.core.jobs import job
from townsquare.events import notices


@job(max_attempts=3, backoff=600)
def extend_series() -> int:
    """Daily: every repeating event gets its occurrences up to the horizon (idempotent)."""
    from townsquare.events import series

    return series.extend_all_series()


@job(max_attempts=3, backoff=60)  # idempotent: reminders are marked before they are told
def send_event_reminders() -> int:
    """Every five minutes: the day's and the hour's reminders now due."""
    return notices.send_reminders()


@job(max_attempts=3, backoff=60)  # idempotent: an event is finished, and followed up, once
def finish_events() -> int:
    """Every five minutes: events past their end become finished; follow-ups go out."""
    return notices.finish_events()
