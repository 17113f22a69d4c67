from datetime import datetime

from townsquare.core.jobs import job


@job(max_attempts=3, backoff=300)
def rollup_recent() -> int:
    """Hourly: recompute today, yesterday and any day that received late events."""
    from townsquare.analytics import goals, metrics, people, rollups

    count = rollups.rollup_recent()
    today = goals.utc_today()
    # The first open of the dashboard and of People after a rollup reads the cache.
    metrics.warm(today)
    people.warm(today)
    return count


@job(max_attempts=3, backoff=300)
def score_sentiment() -> int:
    """Hourly: score new, edited and moved posts, drop those that stopped counting."""
    from townsquare.analytics import sentiment_rollup

    return sentiment_rollup.score_recent()


@job(max_attempts=5, backoff=300)
def send_weekly_report(now: str | None = None) -> int:
    """Mondays: last week's figures to managers and admins (analytics.weekly_report).
    Sends nothing twice, so a rerun or a retry is safe. ``now`` (ISO 8601): tests,
    replays."""
    from townsquare.analytics import weekly_report

    return weekly_report.send(datetime.fromisoformat(now) if now else None)
