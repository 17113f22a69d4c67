from celery import shared_task


@shared_task(acks_late=True)
def run_member_import(member_import_id: int) -> int:
    """Import a checked members file in batches; returns how many members were created."""
    from townsquare.imports.actions import run_import

    return run_import(member_import_id).imported_count
