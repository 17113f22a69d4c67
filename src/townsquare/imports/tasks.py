from townsquare.core.jobs import job


@job(max_attempts=3, backoff=60)
def run_member_import(member_import_id: int) -> int:
    """Import a checked members file in batches; returns how many members were created."""
    from townsquare.imports.actions import run_import

    return run_import(member_import_id).imported_count
