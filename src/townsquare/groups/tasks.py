from celery import shared_task


@shared_task
def retire_newcomers() -> int:
    """Daily: members past the community's newcomers_days leave the newcomers group."""
    from townsquare.groups import actions

    return actions.retire_newcomers()
