"""Reading an uploaded CSV file into rows of cells, shared by the members import and the
CRM import: the size limit, binary files, the encoding (UTF-8, with or without the BOM a
spreadsheet writes), the delimiter and the formula guard. Each importer checks the
columns and cells itself; what cannot be read at all is a ``CsvFileError`` whose message
says what to do."""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# A spreadsheet treats a cell starting with one of these as a formula. The export puts a
# ' in front of such cells; the import takes it off again, so files round-trip.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Where the file's bad lines are listed for a file that is not UTF-8, at most this many.
BAD_LINES_SHOWN = 20


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class CheckReport:
    """What checking a file found, before anything is written; each importer adds its
    ``good_rows``."""

    file_errors: list[str] = field(default_factory=list)
    row_errors: list[RowError] = field(default_factory=list)
    rows_total: int = 0

    @property
    def rows_bad(self) -> int:
        return len({error.row for error in self.row_errors})

    @property
    def is_clean(self) -> bool:
        return not self.file_errors and not self.row_errors


class CsvFileError(ValueError):
    """The file as a whole cannot be read; the message is for the person who uploaded it."""


def neutralize_formula(value: str) -> str:
    """What the export writes for a cell, so a spreadsheet never runs it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def unneutralize_formula(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def read_records(
    data: bytes, *, max_bytes: int, is_column: Callable[[str], bool]
) -> list[list[str]]:
    """The file's records, cells stripped, the first naming the columns. ``is_column``
    tells a header cell the importer knows, to choose the delimiter."""
    text = _decode(data, max_bytes)
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(text, is_column), strict=True
    )
    try:
        records = [[unneutralize_formula(cell.strip()) for cell in record] for record in reader]
    except csv.Error as error:
        raise CsvFileError(
            _("This is not a readable CSV file: line %(line)d: %(reason)s.")
            % {"line": reader.line_num, "reason": error}
        ) from error
    if not records or not any(records[0]):
        raise CsvFileError(_("The first row must name the columns; it is empty."))
    return records


def _decode(data: bytes, max_bytes: int) -> str:
    if len(data) > max_bytes:
        raise CsvFileError(
            _(
                "The file is %(size)s; at most %(max)s can be imported at once. Split it into "
                "smaller files."
            )
            % {"size": filesizeformat(len(data)), "max": filesizeformat(max_bytes)}
        )
    if b"\x00" in data or data.startswith(b"PK\x03\x04"):
        raise CsvFileError(
            _(
                "This is not a CSV file (it looks like a spreadsheet or another binary file). "
                "Save it as “CSV UTF-8” and upload that."
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        bad_lines = []
        for number, line in enumerate(data.split(b"\n"), start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                bad_lines.append(str(number))
        shown = ", ".join(bad_lines[:BAD_LINES_SHOWN]) + (
            "…" if len(bad_lines) > BAD_LINES_SHOWN else ""
        )
        raise CsvFileError(
            _(
                "The file is not in UTF-8 encoding: characters on line(s) %(lines)s cannot be "
                "read. Save it as “CSV UTF-8” and upload it again."
            )
            % {"lines": shown}
        ) from error
    if not text.strip():
        raise CsvFileError(_("The file is empty."))
    return text


def _delimiter(text: str, is_column: Callable[[str], bool]) -> str:
    """Commas, or the semicolons or tabs that spreadsheets in some languages write:
    whichever splits the header into the most known column names."""
    first_line = text.split("\n", 1)[0]

    def known(delimiter: str) -> int:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        return sum(is_column(cell) for cell in cells)

    return max([",", ";", "\t"], key=known)
