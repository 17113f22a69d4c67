"""Reading and checking CRM accounts, from a CSV file or the API's JSON list. The check
and the import read rows the same way, so what the check calls good is exactly what the
import writes; the check also says which existing account each row would update.

Columns (header names are case-insensitive; spaces and hyphens count as underscores):
``account_value`` and one of ``crm_id`` or ``email`` are required; ``currency``,
``customer_since``, ``renewal_date``, ``status`` (active or churned) and ``churned_on``
are optional. Row numbers are those a spreadsheet shows (the header is row 1); in the
API, a row is its index in the list (from 0).
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from townsquare.analytics.models import AccountStatus, CrmAccount
from townsquare.imports.csvfile import CheckReport, CsvFileError, RowError, read_records

COLUMNS = (
    "crm_id",
    "email",
    "account_value",
    "currency",
    "customer_since",
    "renewal_date",
    "status",
    "churned_on",
)
ALIASES = {"e_mail": "email", "value": "account_value", "id": "crm_id", "renewal": "renewal_date"}
CRM_ID_MAX = CrmAccount._meta.get_field("crm_id").max_length
EMAIL_MAX = CrmAccount._meta.get_field("email").max_length
# A file or request above these is refused whole, before any row is read: one import's
# work and memory stay bounded. Settings may lower or raise them.
MAX_BYTES = getattr(settings, "CRM_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
MAX_ROWS = getattr(settings, "CRM_IMPORT_MAX_ROWS", 50_000)
# Twelve digits before the point (under a trillion), at most two after; a comma may stand
# for the point (as Polish spreadsheets write it), but no thousands separators, which
# would make "1,234" ambiguous.
_NUMBER = re.compile(r"^\d{1,12}(?:[.,]\d{1,2})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
PREVIEW_ROWS = 20
# Lookups per query: under every database's limit on query parameters.
CHUNK = 500


@dataclass(frozen=True)
class AccountRow:
    """A good row, ready to write; ``target`` is the account it updates (None: new)."""

    row: int
    crm_id: str
    email: str
    account_value: Decimal
    currency: str
    customer_since: date | None
    renewal_date: date | None
    status: str
    churned_on: date | None
    target: int | None = None


@dataclass
class Report(CheckReport):
    good_rows: list[AccountRow] = field(default_factory=list)

    @property
    def creates(self) -> int:
        return sum(1 for row in self.good_rows if row.target is None)

    @property
    def updates(self) -> int:
        return len(self.good_rows) - self.creates

    def preview(self, limit: int = PREVIEW_ROWS) -> list[dict]:
        """The first good rows, as text, for the check's page."""
        return [
            {
                "row": row.row,
                "crm_id": row.crm_id,
                "email": row.email,
                "account_value": str(row.account_value),
                "currency": row.currency,
                "customer_since": row.customer_since.isoformat() if row.customer_since else "",
                "renewal_date": row.renewal_date.isoformat() if row.renewal_date else "",
                "status": row.status,
                "churned_on": row.churned_on.isoformat() if row.churned_on else "",
                "new": row.target is None,
            }
            for row in self.good_rows[:limit]
        ]

    def errors_as_json(self) -> list[dict]:
        ordered = sorted(self.row_errors, key=lambda e: e.row)  # stable: a row's own order
        return [{"row": e.row, "column": e.column, "message": e.message} for e in ordered]


def column_key(header: str) -> str:
    key = re.sub(r"[\s-]+", "_", header.strip().lower())
    return ALIASES.get(key, key)


def _too_many_rows(count: int) -> str:
    return _(
        "There are %(count)d rows; at most %(max)d can be imported at once. Split them into "
        "smaller files or requests."
    ) % {"count": count, "max": MAX_ROWS}


# --- CSV ---------------------------------------------------------------------------------


def check_file(data: bytes, currency: str) -> Report:
    """Check every row of an uploaded CSV file; nothing is written."""
    report = Report()
    try:
        records = read_records(
            data, max_bytes=MAX_BYTES, is_column=lambda cell: column_key(cell) in COLUMNS
        )
    except CsvFileError as error:
        report.file_errors.append(str(error))
        return report
    header, body = records[0], records[1:]
    columns = _read_header(header, report)
    numbered = [(n, cells) for n, cells in enumerate(body, start=2) if any(cells)]
    report.rows_total = len(numbered)
    if len(numbered) > MAX_ROWS:
        report.file_errors.append(_too_many_rows(len(numbered)))
        return report
    if columns is None:
        return report
    if not numbered:
        report.file_errors.append(_("The file has a header but no rows."))
        return report
    rows = []
    for number, cells in numbered:
        if len(cells) > len(header):
            report.row_errors.append(
                RowError(
                    number,
                    "",
                    _("This row has %(cells)d cells but the first row names %(columns)d columns.")
                    % {"cells": len(cells), "columns": len(header)},
                )
            )
            continue
        rows.append(
            (number, {key: cells[pos] if pos < len(cells) else "" for key, pos in columns.items()})
        )
    _check_rows(rows, currency, report)
    return report


def _read_header(header: list[str], report: Report) -> dict[str, int] | None:
    """Column name → position; None when no row could be read."""
    columns: dict[str, int] = {}
    for position, name in enumerate(header):
        key = column_key(name)
        if key not in COLUMNS:
            continue  # other columns of a CRM export are left alone
        if key in columns:
            report.file_errors.append(_("The column “%(column)s” appears twice.") % {"column": key})
            return None
        columns[key] = position
    if "account_value" not in columns:
        report.file_errors.append(
            _("The required column “%(column)s” is missing.") % {"column": "account_value"}
        )
    if "crm_id" not in columns and "email" not in columns:
        report.file_errors.append(
            _("A column “crm_id” or “email” is required, to know which account a row is.")
        )
    return None if report.file_errors else columns


# --- JSON (the API) ------------------------------------------------------------------------


def check_items(items: Any, currency: str) -> Report:
    """Check the API's list of accounts (parsed JSON); nothing is written."""
    report = Report()
    if not isinstance(items, list):
        report.file_errors.append(_("Send a JSON list of accounts."))
        return report
    report.rows_total = len(items)
    if len(items) > MAX_ROWS:
        report.file_errors.append(_too_many_rows(len(items)))
        return report
    if not items:
        report.file_errors.append(_("The list is empty."))
        return report
    rows = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            report.row_errors.append(RowError(index, "", _("Each account is a JSON object.")))
            continue
        values, bad = {}, False
        for key in COLUMNS:
            value = item.get(key)
            if value is None:
                values[key] = ""
            elif isinstance(value, bool) or not isinstance(value, str | int | float):
                report.row_errors.append(RowError(index, key, _("Expected text or a number.")))
                bad = True
            else:
                values[key] = str(value).strip()
        unknown = sorted(set(item) - set(COLUMNS))
        if unknown:
            report.row_errors.append(
                RowError(index, unknown[0], _("Unknown field; known: %(names)s.") % {
                    "names": ", ".join(COLUMNS)
                })
            )  # fmt: skip
            bad = True
        if not bad:
            rows.append((index, values))
    _check_rows(rows, currency, report)
    return report


# --- Rows ----------------------------------------------------------------------------------


def _check_rows(rows: list[tuple[int, dict[str, str]]], currency: str, report: Report) -> None:
    parsed = []
    seen: dict[tuple[str, str], int] = {}
    for number, values in rows:
        errors: list[RowError] = []
        crm_id, email = values.get("crm_id", ""), values.get("email", "").lower()
        key = ("crm_id", crm_id) if crm_id else ("email", email)
        if key[1] and key in seen:  # even when the first one has problems of its own
            report.row_errors.append(
                RowError(
                    number, key[0], _("The same account is on row %(row)d.") % {"row": seen[key]}
                )
            )
            continue
        seen[key] = number
        row = _check_cells(number, values, currency, errors)
        report.row_errors.extend(errors)
        if row is not None:
            parsed.append(row)
    report.good_rows = _find_targets(parsed, report)


def _check_cells(
    number: int, values: dict[str, str], currency: str, errors: list[RowError]
) -> AccountRow | None:
    def refuse(column: str, message: str) -> None:
        errors.append(RowError(number, column, message))

    crm_id, email = values.get("crm_id", ""), values.get("email", "")
    if len(crm_id) > CRM_ID_MAX:
        refuse("crm_id", _("At most %(max)d characters.") % {"max": CRM_ID_MAX})
    if email:
        try:
            if len(email) > EMAIL_MAX:
                raise ValidationError(_("At most %(max)d characters.") % {"max": EMAIL_MAX})
            validate_email(email)
        except ValidationError as error:
            refuse("email", " ".join(error.messages))
    if not crm_id and not email:
        refuse("", _("Each row needs a crm_id or an email address."))
    value = None
    raw_value = values.get("account_value", "").replace(" ", "").replace("\u00a0", "")
    if not raw_value:
        refuse("account_value", _("An account value is required."))
    elif not _NUMBER.match(raw_value):
        refuse(
            "account_value",
            _("“%(value)s” is not an amount: write it like 1234.50, without thousands separators.")
            % {"value": raw_value[:40]},
        )
    else:
        value = Decimal(raw_value.replace(",", "."))
    row_currency = values.get("currency", "").upper() or currency
    if not _CURRENCY.match(row_currency):
        refuse("currency", _("A currency is three capital letters, e.g. EUR."))
    elif row_currency != currency:
        refuse(
            "currency",
            _(
                "Values must be in %(currency)s, the currency in the analytics settings, so "
                "that they can be compared; convert this value first."
            )
            % {"currency": currency},
        )
    dates = {}
    for column in ("customer_since", "renewal_date", "churned_on"):
        dates[column] = _date(values.get(column, ""), column, refuse)
    status = values.get("status", "").lower()
    if not status:
        status = AccountStatus.CHURNED if dates["churned_on"] else AccountStatus.ACTIVE
    if status not in AccountStatus.values:
        refuse("status", _("The status is “active” or “churned”."))
    elif status == AccountStatus.ACTIVE and dates["churned_on"]:
        refuse("churned_on", _("An active account has no churn date."))
    since, churned = dates["customer_since"], dates["churned_on"]
    if since and churned and churned < since:
        refuse("churned_on", _("The churn date is before the customer-since date."))
    if errors or value is None:
        return None
    return AccountRow(
        row=number,
        crm_id=crm_id,
        email=email,
        account_value=value,
        currency=row_currency,
        customer_since=since,
        renewal_date=dates["renewal_date"],
        status=status,
        churned_on=churned,
    )


def _date(text: str, column: str, refuse) -> date | None:  # type: ignore[no-untyped-def]
    if not text:
        return None
    try:
        if not _DATE.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        refuse(column, _("“%(value)s” is not a date: write it as YYYY-MM-DD.") % {
            "value": text[:40]
        })  # fmt: skip
        return None


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _find_targets(rows: list[AccountRow], report: Report) -> list[AccountRow]:
    """Which existing account each row updates: the one with its CRM id; else, the one
    without a CRM id that has its email address (a row with a CRM id adopts it); else,
    for a row without a CRM id, the only account with its email address. Rows that name
    the same account twice are refused."""
    ids = {row.crm_id for row in rows if row.crm_id}
    emails = {row.email.lower() for row in rows if row.email}
    by_id: dict[str, int] = {}
    for chunk in _chunks(ids):
        by_id.update(CrmAccount.objects.filter(crm_id__in=chunk).values_list("crm_id", "pk"))
    without_id: dict[str, int] = {}
    with_id: dict[str, list[int]] = defaultdict(list)
    for chunk in _chunks(emails):
        found = (
            CrmAccount.objects.annotate(lower=Lower("email"))
            .filter(lower__in=chunk)
            .values_list("lower", "pk", "crm_id")
        )
        for lower, pk, crm_id in found:
            if crm_id:
                with_id[lower].append(pk)
            else:
                without_id[lower] = pk
    good: list[AccountRow] = []
    seen_targets: dict[int, int] = {}
    for row in rows:
        column = "crm_id" if row.crm_id else "email"
        email = row.email.lower()
        target = by_id.get(row.crm_id) if row.crm_id else None
        if target is None and email:
            target = without_id.get(email)
            if target is None and not row.crm_id and len(with_id[email]) > 1:
                report.row_errors.append(
                    RowError(
                        row.row,
                        "email",
                        _("Several CRM accounts have this email address; add their crm_id."),
                    )
                )
                continue
            if target is None and not row.crm_id and with_id[email]:
                target = with_id[email][0]
        if target is not None and target in seen_targets:
            report.row_errors.append(
                RowError(
                    row.row,
                    column,
                    _("The same account is on row %(row)d.") % {"row": seen_targets[target]},
                )
            )
            continue
        if target is not None:
            seen_targets[target] = row.row
        good.append(_with_target(row, target))
    return good


def _with_target(row: AccountRow, target: int | None) -> AccountRow:
    return AccountRow(**{**row.__dict__, "target": target})
