"""Every change a members import makes: keeping the uploaded file with its dry-run report,
starting the import, and the import itself (accounts, groups, invitations) in batches."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.core.queries import get_community
from townsquare.groups import actions as group_actions
from townsquare.imports.checks import check_file
from townsquare.imports.invitations import send_invitation
from townsquare.imports.models import ImportStatus, MemberImport
from townsquare.moderation import audit

# Rows written per transaction: large enough to be quick, small enough that a failure or a
# restart loses little and the progress shown moves.
BATCH_SIZE = 500


@transaction.atomic
def check_upload(actor: User, filename: str, data: bytes) -> MemberImport:
    """The dry run: check the file, keep it and its report; no member is written."""
    if not permissions.may_import_members(actor):
        raise PermissionDenied
    report = check_file(data, actor, get_community())
    member_import = MemberImport.objects.create(
        created_by=actor,
        filename=filename[:255],
        content=data if not report.file_errors else b"",
        size=len(data),
        rows_total=report.rows_total,
        rows_bad=report.rows_bad,
        file_errors=report.file_errors,
        row_errors=[
            {"row": e.row, "column": e.column, "message": e.message} for e in report.row_errors
        ],
    )
    activity.record(
        actor,
        "members_import.checked",
        member_import,
        rows=report.rows_total,
        bad_rows=report.rows_bad,
        file_errors=len(report.file_errors),
    )
    return member_import


@transaction.atomic
def start_import(
    actor: User, member_import: MemberImport, *, only_good_rows: bool, site_url: str
) -> None:
    """Queue the import of a checked file: all of it when it is clean, or, when the manager
    chose so, only the rows the dry run found good. Runs as a background job."""
    if not permissions.may_import_members(actor):
        raise PermissionDenied
    member_import = MemberImport.objects.select_for_update().get(pk=member_import.pk)
    if member_import.status != ImportStatus.CHECKED:
        raise ValidationError(_("This file has already been imported."))
    if member_import.file_errors:
        raise ValidationError(_("This file cannot be imported; correct it and upload it again."))
    if not only_good_rows and member_import.rows_bad:
        raise ValidationError(
            _("Some rows have problems: correct them, or choose to import only the good rows.")
        )
    if member_import.rows_good == 0:
        raise ValidationError(_("No row can be imported."))
    member_import.status = ImportStatus.QUEUED
    member_import.only_good_rows = only_good_rows
    member_import.site_url = site_url[:200]
    member_import.save(update_fields=["status", "only_good_rows", "site_url"])
    audit.record(
        actor,
        "members_import.started",
        member_import,
        after={
            "filename": member_import.filename,
            "rows": member_import.rows_total,
            "only_good_rows": only_good_rows,
        },
        only_good_rows=only_good_rows,
    )
    from townsquare.imports.tasks import run_member_import

    transaction.on_commit(lambda: run_member_import.delay(member_import.pk))


def run_import(member_import_id: int) -> MemberImport:
    """The import itself (the background job). The file is checked again, since members
    may have signed up since the dry run; rows that became bad are skipped when the
    manager chose the good rows, and stop the import when they chose all rows."""
    with transaction.atomic():
        member_import = MemberImport.objects.select_for_update().get(pk=member_import_id)
        if member_import.status != ImportStatus.QUEUED:
            return member_import  # already run (a job delivered twice)
        member_import.status = ImportStatus.RUNNING
        member_import.save(update_fields=["status"])
    actor = member_import.created_by
    try:
        if actor is None or not permissions.may_import_members(actor):
            raise PermissionDenied
        report = check_file(bytes(member_import.content), actor, get_community())
        if report.file_errors or (report.row_errors and not member_import.only_good_rows):
            return _finish(
                member_import,
                ImportStatus.FAILED,
                failure=_(
                    "Since the check, %(count)d rows became bad (for example, someone signed "
                    "up with the same email address). Nothing was imported; upload the file "
                    "again to see them."
                )
                % {"count": report.rows_bad},
            )
        rows = report.good_rows
        for start in range(0, len(rows), BATCH_SIZE):
            _import_batch(member_import, actor, rows[start : start + BATCH_SIZE])
    except Exception as error:  # recorded for the manager to see, then raised for the logs
        _finish(member_import, ImportStatus.FAILED, failure=_describe(error))
        raise
    return _finish(member_import, ImportStatus.DONE)


@transaction.atomic
def _import_batch(member_import: MemberImport, actor: User, rows: list) -> None:
    community = get_community()
    users = account_actions.import_members(actor, [row.member for row in rows])
    for user, row in zip(users, rows, strict=True):
        for group in row.groups:
            group_actions.add_member(actor, group, user)
        send_invitation(user, inviter=actor, community=community, site_url=member_import.site_url)
    MemberImport.objects.filter(pk=member_import.pk).update(
        imported_count=F("imported_count") + len(users)
    )


def _finish(member_import: MemberImport, status: str, failure: str = "") -> MemberImport:
    member_import.refresh_from_db(fields=["imported_count"])
    member_import.status = status
    member_import.failure = failure
    member_import.finished_at = timezone.now()
    member_import.skipped_count = member_import.rows_total - member_import.imported_count
    if status == ImportStatus.DONE:
        member_import.content = b""  # the accounts hold the data now
    member_import.save()
    activity.record(
        member_import.created_by,
        "members_import.finished",
        member_import,
        status=status,
        imported=member_import.imported_count,
    )
    return member_import


def _describe(error: Exception) -> str:
    if isinstance(error, PermissionDenied):
        return _("The member who started the import may no longer import members.")
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return _("The import stopped because of an unexpected error; the server log has details.")
