"""Reading and checking a members CSV file. The dry run and the import read a file the
same way, so what the dry run calls good is exactly what the import writes.

Columns (header names are case-insensitive; spaces and hyphens count as underscores):
name and email are required; handle, company, title, location, groups (slugs or names,
separated by ``;``) and crm_id are optional; any other named column becomes a custom
profile field. Row numbers are those a spreadsheet shows: the header is row 1.
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from townsquare.accounts.actions import NewMember, values_taken
from townsquare.accounts.models import Profile, User
from townsquare.accounts.validators import (
    HANDLE_MAX,
    HANDLE_MIN,
    normalize_display_name,
    normalize_handle,
    validate_display_name,
    validate_handle,
)
from townsquare.core import permissions
from townsquare.core.models import Community
from townsquare.groups.models import Group
from townsquare.imports.csvfile import CheckReport, CsvFileError, RowError, read_records

REQUIRED_COLUMNS = ("name", "email")
OPTIONAL_COLUMNS = ("handle", "company", "title", "location", "groups", "crm_id")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
ALIASES = {"job_title": "title", "display_name": "name", "e_mail": "email", "group": "groups"}
GROUP_SEPARATOR = ";"
# Where each column is kept, and so how long its values may be.
PROFILE_FIELDS = {"company": "company", "title": "job_title", "location": "location"}
TEXT_MAX = {
    column: Profile._meta.get_field(attribute).max_length
    for column, attribute in {**PROFILE_FIELDS, "crm_id": "external_id"}.items()
}
EMAIL_MAX = User._meta.get_field("email").max_length
CUSTOM_COLUMN_NAME_MAX = 50
CUSTOM_COLUMNS_MAX = 30
CUSTOM_VALUE_MAX = 500


@dataclass(frozen=True)
class GoodRow:
    row: int
    member: NewMember
    groups: tuple[Group, ...]


@dataclass
class Report(CheckReport):
    good_rows: list[GoodRow] = field(default_factory=list)


def column_key(header: str) -> str:
    key = re.sub(r"[\s-]+", "_", header.strip().lower())
    return ALIASES.get(key, key)


def check_file(data: bytes, actor: User, community: Community) -> Report:
    """Check every row of an uploaded file; nothing is written."""
    report = Report()
    records = _read_records(data, report)
    if records is None:
        return report
    header, body = records[0], records[1:]
    columns = _read_header(header, report)
    rows = [(number, cells) for number, cells in enumerate(body, start=2) if any(cells)]
    report.rows_total = len(rows)
    limit = settings.MEMBERS_IMPORT_MAX_ROWS
    if len(rows) > limit:
        report.file_errors.append(
            _(
                "The file has %(count)d rows; at most %(max)d can be imported at once. Split it "
                "into smaller files."
            )
            % {"count": len(rows), "max": limit}
        )
        return report
    if columns is None:
        return report
    _check_rows(rows, columns, len(header), actor, community, report)
    if report.file_errors:
        report.good_rows = []
    return report


def _read_records(data: bytes, report: Report) -> list[list[str]] | None:
    try:
        return read_records(
            data,
            max_bytes=settings.MEMBERS_IMPORT_MAX_BYTES,
            is_column=lambda cell: column_key(cell) in COLUMNS,
        )
    except CsvFileError as error:
        report.file_errors.append(str(error))
        return None


def _read_header(header: list[str], report: Report) -> dict[str, int] | None:
    """Column name → position; None when the columns make the rows unreadable."""
    columns: dict[str, int] = {}
    for position, name in enumerate(header):
        if not name:
            continue  # a column without a name: its cells are reported if they hold values
        key = column_key(name) if column_key(name) in COLUMNS else name
        if key.lower() in {k.lower() for k in columns}:
            report.file_errors.append(
                _("The column “%(column)s” appears twice.") % {"column": name}
            )
            continue
        if key not in COLUMNS and len(key) > CUSTOM_COLUMN_NAME_MAX:
            report.file_errors.append(
                _("The column name “%(column)s…” is too long: at most %(max)d characters.")
                % {"column": name[:CUSTOM_COLUMN_NAME_MAX], "max": CUSTOM_COLUMN_NAME_MAX}
            )
            continue
        columns[key] = position
    custom = [key for key in columns if key not in COLUMNS]
    if len(custom) > CUSTOM_COLUMNS_MAX:
        report.file_errors.append(
            _("The file has %(count)d custom columns; at most %(max)d are kept.")
            % {"count": len(custom), "max": CUSTOM_COLUMNS_MAX}
        )
    for required in REQUIRED_COLUMNS:
        if required not in columns:
            report.file_errors.append(
                _(
                    "The required column “%(column)s” is missing. The first row must name the "
                    "columns; “name” and “email” are required."
                )
                % {"column": required}
            )
    if "email" not in columns:
        return None  # no row can be told apart from another
    return columns


def _check_rows(
    rows: list[tuple[int, list[str]]],
    columns: dict[str, int],
    width: int,
    actor: User,
    community: Community,
    report: Report,
) -> None:
    groups_by_key = _group_lookup(actor, community)
    named = set(columns.values())
    parsed: list[tuple[int, dict[str, str], list[RowError]]] = []
    for number, cells in rows:
        values = {key: cells[pos] if pos < len(cells) else "" for key, pos in columns.items()}
        errors: list[RowError] = []
        if len(cells) > width:
            errors.append(
                RowError(
                    number,
                    "",
                    _("This row has %(cells)d cells but the first row names %(columns)d columns.")
                    % {"cells": len(cells), "columns": width},
                )
            )
        elif any(cells[pos] for pos in range(len(cells)) if pos not in named):
            errors.append(
                RowError(number, "", _("A cell holds a value in a column without a name."))
            )
        parsed.append((number, values, errors))

    emails = [v["email"].lower() for _n, v, _e in parsed if v["email"]]
    handles = [normalize_handle(v.get("handle", "")).lower() for _n, v, _e in parsed]
    existing_emails = values_taken("email", emails)
    existing_handles = values_taken("handle", [h for h in handles if h])
    email_rows: dict[str, int] = {}
    handle_rows: dict[str, int] = {}
    handle_counts = Counter(h for h in handles if h)
    pending: list[tuple[int, NewMember, tuple[Group, ...]]] = []
    for number, values, errors in parsed:
        member_fields, groups = _check_cells(number, values, groups_by_key, errors)
        email = member_fields.get("email", "").lower()
        if email:
            if email in existing_emails:
                errors.append(
                    RowError(number, "email", _("A member with this email address already exists."))
                )
            elif email in email_rows:
                errors.append(
                    RowError(
                        number,
                        "email",
                        _("The same email address is on row %(row)d.") % {"row": email_rows[email]},
                    )
                )
            else:
                email_rows[email] = number
        handle = member_fields.get("handle", "").lower()
        if handle:
            if handle in existing_handles:
                errors.append(RowError(number, "handle", _("This handle is taken by a member.")))
            elif handle in handle_rows:
                errors.append(
                    RowError(
                        number,
                        "handle",
                        _("The same handle is on row %(row)d.") % {"row": handle_rows[handle]},
                    )
                )
            else:
                handle_rows[handle] = number
        report.row_errors.extend(errors)
        if not errors:
            pending.append((number, NewMember(**member_fields), groups))
    taken = existing_handles | set(handle_counts)
    derived = _derive_handles([m for _n, m, _g in pending if not m.handle], taken)
    for number, member, groups in pending:
        if not member.handle:
            member = NewMember(**{**member.__dict__, "handle": derived[member.email.lower()]})
        report.good_rows.append(GoodRow(number, member, groups))


def _check_cells(
    number: int,
    values: dict[str, str],
    groups_by_key: dict[str, list[Group]],
    errors: list[RowError],
) -> tuple[dict, tuple[Group, ...]]:
    def refuse(column: str, message: str) -> None:
        errors.append(RowError(number, column, message))

    def validated(column: str, value: str, validator) -> str:
        try:
            validator(value)
        except ValidationError as error:
            refuse(column, " ".join(error.messages))
        return value

    fields: dict = {}
    name = normalize_display_name(values.get("name", ""))
    if not name and "name" in values:  # a missing column is reported once, for the file
        refuse("name", _("A name is required."))
    fields["display_name"] = validated("name", name, validate_display_name) if name else ""
    email = values["email"]
    if not email:
        refuse("email", _("An email address is required."))
    elif len(email) > EMAIL_MAX:
        refuse(
            "email",
            _("At most %(max)d characters; this has %(length)d.")
            % {"max": EMAIL_MAX, "length": len(email)},
        )
    else:
        validated("email", email, validate_email)
    fields["email"] = User.objects.normalize_email(email)
    handle = normalize_handle(values.get("handle", "").lstrip("@"))
    fields["handle"] = validated("handle", handle, validate_handle) if handle else ""
    for column, attribute in {**PROFILE_FIELDS, "crm_id": "external_id"}.items():
        value = values.get(column, "")
        if len(value) > TEXT_MAX[column]:
            refuse(
                column,
                _("At most %(max)d characters; this has %(length)d.")
                % {"max": TEXT_MAX[column], "length": len(value)},
            )
        fields[attribute] = value
    custom = {}
    for column, value in values.items():
        if column in COLUMNS or not value:
            continue
        if len(value) > CUSTOM_VALUE_MAX:
            refuse(
                column,
                _("At most %(max)d characters; this has %(length)d.")
                % {"max": CUSTOM_VALUE_MAX, "length": len(value)},
            )
        custom[column] = value
    fields["custom_fields"] = custom
    groups: list[Group] = []
    for wanted in filter(
        None, (g.strip() for g in values.get("groups", "").split(GROUP_SEPARATOR))
    ):
        matches = groups_by_key.get(wanted.lower(), [])
        if not matches:
            refuse("groups", _("There is no group “%(group)s”.") % {"group": wanted})
        elif len(matches) > 1:
            refuse(
                "groups",
                _("Several groups are called “%(group)s”; use the group’s slug.")
                % {"group": wanted},
            )
        elif matches[0] not in groups:
            groups.append(matches[0])
    return fields, tuple(groups)


def _group_lookup(actor: User, community: Community) -> dict[str, list[Group]]:
    """Groups by lower-cased slug and name. A slug wins over another group's name."""
    by_slug: dict[str, list[Group]] = {}
    by_name: dict[str, list[Group]] = {}
    for group in permissions.visible_groups(actor, community).only("pk", "name", "slug"):
        by_slug[group.slug.lower()] = [group]
        by_name.setdefault(group.name.lower(), []).append(group)
    return {**by_name, **by_slug}


def _derive_handles(members: list[NewMember], taken: set[str]) -> dict[str, str]:
    """A handle for each member who has none in the file: from the email's local part,
    numbered when taken (anna, anna2, anna3 ...)."""
    bases = {m.email.lower(): _handle_base(m.email) for m in members}
    checked = {b.lower() for b in bases.values()}
    taken = set(taken) | values_taken("handle", list(checked))
    derived: dict[str, str] = {}
    for email, base in bases.items():
        candidate, number = base, 1
        while candidate.lower() in taken:
            number += 1
            candidate = f"{base[: HANDLE_MAX - len(str(number))]}{number}"
            if candidate.lower() not in checked:  # rare: ask the database about each one
                checked.add(candidate.lower())
                taken |= values_taken("handle", [candidate.lower()])
        taken.add(candidate.lower())
        derived[email] = candidate
    return derived


def _handle_base(email: str) -> str:
    local = normalize_handle(email.split("@", 1)[0])
    base = re.sub(r"[^\w.-]", "", local)[:HANDLE_MAX].strip(".-")
    if len(base) < HANDLE_MIN:
        base = f"{base}_member".lstrip("_")
    try:
        validate_handle(base)
    except ValidationError:
        return "member"
    return base
