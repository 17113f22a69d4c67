"""Every change to CRM accounts: checking an uploaded file, importing it (or the API's
list) all or nothing, matching accounts to members, and linking one by hand."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import Profile, User
from townsquare.analytics import crm
from townsquare.analytics.models import CrmAccount, CrmImport, MatchedBy
from townsquare.analytics.queries import analytics_settings
from townsquare.core import activity, permissions
from townsquare.moderation import audit

_WRITTEN = [
    "crm_id",
    "email",
    "account_value",
    "currency",
    "customer_since",
    "renewal_date",
    "status",
    "churned_on",
    "imported_at",
]


def _currency() -> str:
    return analytics_settings().currency


@transaction.atomic
def check_upload(actor: User, filename: str, data: bytes) -> CrmImport:
    """The dry run: check the file and keep it with its report; no account is written."""
    if not permissions.may_import_crm(actor):
        raise PermissionDenied
    report = crm.check_file(data, _currency())
    crm_import = CrmImport.objects.create(
        created_by=actor,
        filename=filename[:255],
        content=data if not report.file_errors else b"",
        rows_total=report.rows_total,
        rows_bad=report.rows_bad,
        file_errors=report.file_errors,
        row_errors=report.errors_as_json(),
        preview=report.preview(),
        created_count=report.creates,
        updated_count=report.updates,
    )
    activity.record(actor, "crm_import.checked", crm_import, rows=report.rows_total)
    return crm_import


def run_import(actor: User, crm_import: CrmImport) -> CrmImport:
    """Import a checked file, all of it or nothing. The file is checked again first (an
    import or the API may have changed the accounts since); if it is no longer clean,
    nothing is written and the new report is kept for the manager to see."""
    if not permissions.may_import_crm(actor):
        raise PermissionDenied
    with transaction.atomic():  # the check again and the writes see the same accounts
        crm_import = CrmImport.objects.select_for_update().get(pk=crm_import.pk)
        if crm_import.status != CrmImport.Status.CHECKED:
            raise ValidationError(_("This file has already been imported."))
        if not crm_import.is_clean:
            raise ValidationError(_("Correct the file and upload it again; nothing was imported."))
        report = crm.check_file(bytes(crm_import.content), _currency())
        if report.is_clean:
            _write(actor, report, crm_import)
            crm_import.content = b""  # the accounts hold the data now
            crm_import.save()
        else:
            # Keep the new report: the manager sees why, and nothing was written.
            crm_import.rows_bad = report.rows_bad
            crm_import.file_errors = report.file_errors
            crm_import.row_errors = report.errors_as_json()
            crm_import.save(update_fields=["rows_bad", "file_errors", "row_errors"])
    if not report.is_clean:
        raise ValidationError(
            _("Since the check, some rows became bad; nothing was imported. See the problems.")
        )
    return crm_import


@transaction.atomic
def import_items(actor: User, items: Any) -> tuple[CrmImport | None, crm.Report]:
    """The API's import: check the list and, when every row is good, write it; a list
    with any bad row writes nothing. Returns the import (None when refused) and the
    report with the per-row errors."""
    if not permissions.may_import_crm(actor):
        raise PermissionDenied
    report = crm.check_items(items, _currency())
    if not report.is_clean:
        return None, report
    crm_import = CrmImport.objects.create(
        created_by=actor, source=CrmImport.Source.API, rows_total=report.rows_total
    )
    _write(actor, report, crm_import)
    crm_import.save()
    return crm_import, report


def _write(actor: User, report: crm.Report, crm_import: CrmImport) -> None:
    """Upsert the report's rows in bulk, matched to members as they are written, match
    the other accounts again, and leave one audit entry with the counts. Runs inside the
    caller's transaction."""
    now = timezone.now()
    targets = [row.target for row in report.good_rows if row.target is not None]
    existing: dict[int, CrmAccount] = {}
    for chunk in crm._chunks(targets):
        existing |= CrmAccount.objects.select_for_update().in_bulk(chunk)
    lookup = _lookup(
        {row.crm_id for row in report.good_rows if row.crm_id},
        {row.email.lower() for row in report.good_rows if row.email},
    )
    created, updated = [], []
    for row in report.good_rows:
        account = existing[row.target] if row.target is not None else CrmAccount()
        for name in _WRITTEN[:-1]:
            setattr(account, name, getattr(row, name))
        account.imported_at = now
        if account.matched_by != MatchedBy.MANUAL:
            account.member_id, account.matched_by = _match(account, lookup)
        (updated if row.target is not None else created).append(account)
    # Updates first (an account adopted by a CRM id frees its address for a new row).
    # An upsert on the primary key, not bulk_update: its CASE per column and row is
    # quadratic, and took a minute for a few thousand rows on SQLite.
    CrmAccount.objects.bulk_create(
        updated,
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=[*_WRITTEN, "member", "matched_by"],
        batch_size=crm.CHUNK,
    )
    CrmAccount.objects.bulk_create(created, batch_size=crm.CHUNK)
    matched = match_members(exclude={account.pk for account in updated + created})
    crm_import.status = CrmImport.Status.DONE
    crm_import.created_count, crm_import.updated_count = len(created), len(updated)
    crm_import.finished_at = now
    counts = {"created": len(created), "updated": len(updated), "rows": report.rows_total}
    audit.record(
        actor,
        "crm.imported",
        crm_import,
        after=counts | {"source": crm_import.source, "filename": crm_import.filename},
        **counts,
        rematched=matched,
    )


Lookup = tuple[dict[str, set[int]], dict[str, set[int]]]


def _lookup(crm_ids: set[str], emails: set[str]) -> Lookup:
    """Members by the CRM id in their profile, and by confirmed (lower-cased) address."""
    by_crm_id: dict[str, set[int]] = defaultdict(set)
    for chunk in crm._chunks(crm_ids):
        profiles = Profile.objects.filter(external_id__in=chunk)
        for external_id, user_id in profiles.values_list("external_id", "user_id"):
            by_crm_id[external_id].add(user_id)
    by_email: dict[str, set[int]] = defaultdict(set)
    for chunk in crm._chunks(emails):
        confirmed = (
            EmailAddress.objects.filter(verified=True)
            .annotate(lower=Lower("email"))
            .filter(lower__in=chunk)
            .values_list("lower", "user_id")
        )
        for lower, user_id in confirmed:
            by_email[lower].add(user_id)
    return by_crm_id, by_email


def _match(account: CrmAccount, lookup: Lookup) -> tuple[int | None, str]:
    """By the CRM id in a member's profile, else by a confirmed email address; an id or
    address that several members share matches no one."""
    by_crm_id, by_email = lookup
    if account.crm_id and len(by_crm_id.get(account.crm_id, ())) == 1:
        return next(iter(by_crm_id[account.crm_id])), MatchedBy.CRM_ID
    email = account.email.lower()
    if email and len(by_email.get(email, ())) == 1:
        return next(iter(by_email[email])), MatchedBy.EMAIL
    return None, MatchedBy.NONE


def match_members(exclude: set[int] | frozenset[int] = frozenset()) -> int:
    """Match every account not linked by hand (nor in ``exclude``) to a member again.
    Returns how many accounts changed their member."""
    accounts = [
        account
        for account in CrmAccount.objects.exclude(matched_by=MatchedBy.MANUAL).only(
            "pk", "crm_id", "email", "member_id", "matched_by"
        )
        if account.pk not in exclude
    ]
    lookup = _lookup(
        {account.crm_id for account in accounts if account.crm_id},
        {account.email.lower() for account in accounts if account.email},
    )
    changed = 0
    for account in accounts:
        found = _match(account, lookup)
        if found != (account.member_id, account.matched_by):
            # One by one: after the first import few change (a member confirmed an
            # address, or left), and a row update is cheap on every database.
            CrmAccount.objects.filter(pk=account.pk).update(member_id=found[0], matched_by=found[1])
            changed += 1
    return changed


@transaction.atomic
def rematch(actor: User) -> int:
    """Match the accounts again (members may have confirmed an address or got a CRM id
    since the last import). Returns how many accounts changed their member."""
    if not permissions.may_import_crm(actor):
        raise PermissionDenied
    changed = match_members()
    audit.record(actor, "crm.rematched", None, after={"changed": changed}, changed=changed)
    return changed


@transaction.atomic
def link_accounts(actor: User, links: Sequence[tuple[CrmAccount, User]]) -> int:
    """Link accounts to members by hand (the unmatched list, the demo); later imports
    keep these links. One audit entry for the lot."""
    if not permissions.may_import_crm(actor):
        raise PermissionDenied
    if not links:
        return 0
    accounts = CrmAccount.objects.select_for_update().in_bulk([a.pk for a, _m in links])
    before, after, changed = {}, {}, []
    for account, member in links:
        current = accounts.get(account.pk)
        if current is None:
            raise ValidationError(_("This CRM account no longer exists."))
        label = f"account {current.pk}"  # not the email: the audit log outlives accounts
        before[label] = current.member_id
        after[label] = member.pk
        current.member, current.matched_by = member, MatchedBy.MANUAL
        changed.append(current)
    for account in changed:
        CrmAccount.objects.filter(pk=account.pk).update(
            member=account.member, matched_by=MatchedBy.MANUAL
        )
    target = changed[0] if len(changed) == 1 else None
    audit.record(actor, "crm.linked", target, before=before, after=after, accounts=len(changed))
    return len(changed)
