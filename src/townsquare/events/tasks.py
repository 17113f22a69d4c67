from townsquare.core.jobs import job


@job(max_attempts=3, backoff=600)
def extend_series() -> int:
    """Daily: every repeating event gets its occurrences up to the horizon (idempotent)."""
    from townsquare.events import series

    return series.extend_all_series()
