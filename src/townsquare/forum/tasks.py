from celery import shared_task

from townsquare.forum import actions


@shared_task
def publish_scheduled_topics() -> int:
    """Publish the discussion prompts that are due (celery beat runs this every minute)."""
    return actions.publish_due_topics()
