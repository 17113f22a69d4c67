from django.conf import settings

from townsquare.core.jobs import PERMANENT_ERRORS, TRANSIENT_ERRORS, job


@job(max_attempts=3, backoff=60, bind=True)
def build_data_export(task, export_id: int) -> int | None:
    """Build a member's data export (idempotent: a ready export is not built again)."""
    from townsquare.accounts import privacy

    try:
        export = privacy.build_export(export_id)
    except Exception as error:
        if not _will_retry(task, error):
            privacy.export_failed(export_id)  # the member sees it failed and may ask again
        raise
    return export.size if export is not None else None


def _will_retry(task, error: Exception) -> bool:
    """What core.jobs.job will do with this error: try again later, or give up."""
    if isinstance(error, PERMANENT_ERRORS) or not isinstance(error, TRANSIENT_ERRORS):
        return False
    limit = task.max_retries + 1
    if task.request.is_eager:
        limit = min(limit, settings.JOBS_EAGER_MAX_ATTEMPTS)
    return task.request.retries + 1 < limit


@job(max_attempts=3, backoff=600)
def delete_expired_data_exports() -> int:
    """Daily: remove data exports past their time."""
    from townsquare.accounts import privacy

    return privacy.delete_expired_exports()
