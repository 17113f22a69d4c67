from townsquare.core.jobs import job


@job(max_attempts=3, backoff=600)
def promote_members() -> int:
    """Daily: members who qualify for a higher trust level rise to it."""
    from townsquare.moderation.actions import trust

    return trust.promote_members()
