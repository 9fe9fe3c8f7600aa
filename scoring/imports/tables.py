"""Reading spreadsheets: CSV (comma or semicolon, as Excel saves it) or XLSX bytes into a
``Table`` of rows with the row numbers the user sees, and the errors an import reports."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePath
from typing import BinaryIO

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Called as progress(stage, advance, total): ``stage`` is a translated label of the current
# step, ``advance`` the rows done since the last call, ``total`` the rows of that step.
ImportProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RowError:
    """One problem in the file; ``row`` as the spreadsheet shows it (the header is row 1)."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.row is not None and self.column is not None:
            return _('Row %(row)d, column "%(column)s": %(message)s') % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        if self.row is not None:
            return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}
        if self.column is not None:
            return _('Column "%(column)s": %(message)s') % {
                "column": self.column,
                "message": self.message,
            }
        return self.message


class ImportFailed(Exception):
    """The file was not imported; ``errors`` lists every problem found, in file order."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        # Stable: problems of one row keep the column order they were found in.
        self.errors: list[RowError] = sorted(errors, key=lambda e: e.row or 0)
        super().__init__(self.text())

    def text(self) -> str:
        """A plain-words report: one line saying nothing was written, then one line a problem."""
        count = len(self.errors)
        lead = ngettext(
            "The file was not imported, nothing was written. %(count)d problem:",
            "The file was not imported, nothing was written. %(count)d problems:",
            count,
        ) % {"count": count}
        return "\n".join([lead, *(str(e) for e in self.errors)])


@dataclass(frozen=True)
class ImportSummary:
    """What an import wrote: created, updated and skipped rows (and new users, for customers)."""

    created: int = 0
    updated: int = 0
    skipped: int = 0
    users_created: int = 0


@dataclass(frozen=True)
class TableRow:
    """One data row: its spreadsheet row number and its cells (str, number, date or None)."""

    number: int
    cells: tuple[object, ...]


@dataclass(frozen=True)
class Table:
    """A spreadsheet's header and its non-empty data rows."""

    header: tuple[str, ...]  # column names as written; trailing unnamed columns dropped
    rows: tuple[TableRow, ...]
    header_row: int = 1
    width: int = 0  # fields in the header line, unnamed trailing ones included
    fixed_width: bool = False  # CSV: every row must have exactly ``width`` fields


def failed(message: str) -> ImportFailed:
    return ImportFailed([RowError(None, None, message)])


def _suffix(filename: str) -> str:
    """The suffix, .csv or .xlsx; ImportFailed for any other kind of file."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise failed(
            _("“%(name)s” is not a CSV or Excel (.xlsx) file: save it as CSV or .xlsx.")
            % {"name": PurePath(filename).name}
        )
    return suffix


def table_read(source: bytes | BinaryIO, filename: str) -> Table:
    """Read a CSV or XLSX file (bytes or a binary file object) into a ``Table``."""
    suffix = _suffix(filename)
    data = source if isinstance(source, bytes) else source.read()
    if suffix == ".csv":
        return _csv_table(data)
    return _xlsx_table(data)


def table_read_path(path: str | Path) -> Table:
    """Read the CSV or XLSX file at ``path`` into a ``Table``."""
    path = Path(path)
    if not path.is_file():
        raise failed(_("There is no file “%(path)s”.") % {"path": path})
    _suffix(path.name)
    with path.open("rb") as stream:
        return table_read(stream, path.name)


def _decode(data: bytes) -> str:
    """UTF-8 with or without BOM (or UTF-16 with BOM) as Excel saves it, else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    """The delimiter of the header line: Dutch Excel writes ';', others ','."""
    first = next((line for line in io.StringIO(text) if line.strip()), "")
    counts = {d: first.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_table(data: bytes) -> Table:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=False)
    try:
        records = list(reader)
    except csv.Error as error:
        raise ImportFailed(
            [
                RowError(
                    reader.line_num or None,
                    None,
                    _("the file cannot be read as CSV (%(error)s).") % {"error": error},
                )
            ]
        ) from error
    return _table_from_records(records, fixed_width=True)


def _xlsx_table(data: bytes) -> Table:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds of errors on a damaged file
        raise failed(_("The file cannot be read as an Excel (.xlsx) workbook.")) from error
    try:
        if not workbook.worksheets:
            raise failed(_("The file is empty."))
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        return _table_from_records(rows, fixed_width=False)
    finally:
        workbook.close()


def _cell(value: object) -> object:
    """Strip text; empty text is None. Numbers and dates from XLSX are kept as they are."""
    if isinstance(value, str):
        value = value.strip().strip("\ufeff").strip()
        return value or None
    return value


def _table_from_records(records: Iterable[Sequence[object]], *, fixed_width: bool) -> Table:
    header: tuple[object, ...] | None = None
    header_row = 1
    rows: list[TableRow] = []
    for number, record in enumerate(records, start=1):
        cells = tuple(_cell(v) for v in record)
        if all(c is None for c in cells):
            continue  # completely empty rows are skipped
        if header is None:
            header, header_row = cells, number
            continue
        rows.append(TableRow(number, cells))
    if header is None:
        raise failed(_("The file is empty."))
    names = [cell_text(c) for c in header]
    width = len(names)
    while names and not names[-1]:
        names.pop()
    if not rows:
        raise failed(_("The file has a header but no rows to import."))
    return Table(
        header=tuple(names),
        rows=tuple(rows),
        header_row=header_row,
        width=width,
        fixed_width=fixed_width,
    )


def cell_text(value: object) -> str:
    """A cell as text; whole numbers from XLSX (1001.0) as "1001"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()
