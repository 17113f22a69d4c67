from townsquare.core.jobs import job
from townsquare.search import index


@job(max_attempts=10, backoff=5, backoff_max=600)
def index_posts(post_ids: list[int]) -> int:
    """Bring these posts' search rows up to date (idempotent: safe to run twice)."""
    return index.index_now(post_ids)
