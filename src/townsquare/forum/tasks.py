from townsquare.core.jobs import job
from townsquare.forum import actions


@job(max_attempts=3, backoff=10)
def publish_scheduled_topics() -> int:
    """Publish the discussion prompts that are due (celery beat runs this every minute)."""
    return actions.publish_due_topics()
