from townsquare.core.jobs import job


@job(max_attempts=3, backoff=600)
def retire_newcomers() -> int:
    """Daily: members past the community's newcomers_days leave the newcomers group."""
    from townsquare.groups import actions

    return actions.retire_newcomers()
