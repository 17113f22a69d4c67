from celery import shared_task
from django.db import DatabaseError

from townsquare.search import index


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=5, retry_backoff_max=600, max_retries=10)
def index_posts(post_ids: list[int]) -> int:
    """Bring these posts' search rows up to date (idempotent: safe to run twice)."""
    return index.index_now(post_ids)
