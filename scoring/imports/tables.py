"""Reading spreadsheets: CSV (comma or semicolon, as Excel saves it) or XLSX bytes into a
``Table`` of rows with the row numbers the user sees, and the errors an import reports."""

from __future__ import annotations

import codecs
import csv
import io
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path, PurePath
from typing import Any, BinaryIO

from django.conf import settings
from django.template.defaultfilters import filesizeformat
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


class Problems(list[RowError]):
    """The problems found in a file, kept up to ``limit`` (``KB_IMPORT_MAX_PROBLEMS``).

    Every problem is counted (``found``), but only the first ``limit`` are kept: a file with a
    problem in each of its 100,000 rows costs the memory of a page of messages, not of 100,000.
    """

    def __init__(self, problems: Iterable[RowError] = (), *, limit: int | None = None) -> None:
        super().__init__()
        self.limit = settings.KB_IMPORT_MAX_PROBLEMS if limit is None else limit
        self.found = 0
        self.extend(problems)

    def append(self, problem: RowError) -> None:
        self.found += 1
        if len(self) < self.limit:
            super().append(problem)

    def extend(self, problems: Iterable[RowError]) -> None:
        for problem in problems:
            self.append(problem)


class ImportFailed(Exception):
    """The file was not imported; ``errors`` lists the problems found, in file order.

    At most ``KB_IMPORT_MAX_PROBLEMS`` are listed; ``count`` is the number of all of them.
    """

    def __init__(self, errors: Sequence[RowError]) -> None:
        count = errors.found if isinstance(errors, Problems) else len(errors)
        # Stable: problems of one row keep the column order they were found in.
        kept = sorted(errors, key=lambda e: e.row or 0)
        self.errors: list[RowError] = kept[: max(settings.KB_IMPORT_MAX_PROBLEMS, 1)]
        self.count: int = max(count, len(self.errors))
        super().__init__(self.text())

    @property
    def unlisted(self) -> int:
        """The problems found but not listed."""
        return self.count - len(self.errors)

    def text(self) -> str:
        """A plain-words report: one line saying nothing was written, then one line a problem."""
        count = self.count
        lead = ngettext(
            "The file was not imported, nothing was written. %(count)d problem:",
            "The file was not imported, nothing was written. %(count)d problems:",
            count,
        ) % {"count": count}
        lines = [lead, *(str(e) for e in self.errors)]
        if self.unlisted:
            lines.append(
                ngettext(
                    "… and %(count)d more problem.",
                    "… and %(count)d more problems.",
                    self.unlisted,
                )
                % {"count": self.unlisted}
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class ImportSummary:
    """What an import wrote: created, updated and skipped rows (and new users and contact
    persons, for customers)."""

    created: int = 0
    updated: int = 0
    skipped: int = 0
    users_created: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0


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


@dataclass(frozen=True)
class ReadLimits:
    """What a file may hold before it is refused (the ``KB_IMPORT_*`` settings)."""

    max_bytes: int
    max_rows: int
    max_columns: int
    max_cell_chars: int
    max_unpacked_bytes: int

    @classmethod
    def from_settings(cls, *, max_bytes: int | None = None) -> ReadLimits:
        """The limits of the settings; ``max_bytes`` defaults to the web upload's."""
        return cls(
            max_bytes=settings.KB_UPLOAD_MAX_BYTES if max_bytes is None else max_bytes,
            max_rows=settings.KB_IMPORT_MAX_ROWS,
            max_columns=settings.KB_IMPORT_MAX_COLUMNS,
            max_cell_chars=settings.KB_IMPORT_MAX_CELL_CHARS,
            max_unpacked_bytes=settings.KB_IMPORT_MAX_UNPACKED_BYTES,
        )


def too_large_message(size: int, limit: int) -> str:
    return _(
        "The file is %(size)s; at most %(limit)s can be imported at once: split it into parts."
    ) % {"size": filesizeformat(size), "limit": filesizeformat(limit)}


def upload_size_error(size: int) -> str | None:
    """The message for an uploaded file larger than ``KB_UPLOAD_MAX_BYTES``; None if it fits."""
    limit = settings.KB_UPLOAD_MAX_BYTES
    return too_large_message(size, limit) if size > limit else None


def _too_large(size: int, limit: int) -> ImportFailed:
    return failed(too_large_message(size, limit))


def table_read(
    source: bytes | BinaryIO, filename: str, *, limits: ReadLimits | None = None
) -> Table:
    """Read a CSV or XLSX file (bytes or a binary file object) into a ``Table``.

    ``limits`` (by default the web upload's, from the settings) are checked before and while
    the file is parsed, so a hostile file is refused after reading at most the rows allowed.
    """
    limits = limits or ReadLimits.from_settings()
    suffix = _suffix(filename)
    data = source if isinstance(source, bytes) else source.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise _too_large(len(data), limits.max_bytes)
    if suffix == ".csv":
        return _csv_table(data, limits)
    return _xlsx_table(data, limits)


def table_read_path(path: str | Path) -> Table:
    """Read the CSV or XLSX file at ``path`` into a ``Table`` (the import commands' limits)."""
    path = Path(path)
    if not path.is_file():
        raise failed(_("There is no file “%(path)s”.") % {"path": path})
    _suffix(path.name)
    limits = ReadLimits.from_settings(max_bytes=settings.KB_IMPORT_FILE_MAX_BYTES)
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise _too_large(size, limits.max_bytes)
    with path.open("rb") as stream:
        return table_read(stream, path.name, limits=limits)


def _not_text(reason: str) -> ImportFailed:
    return failed(
        _(
            "The file is not a readable CSV text file (%(reason)s). Nothing was imported: "
            "open it in your spreadsheet program and save it again as CSV (UTF-8) or as .xlsx."
        )
        % {"reason": reason}
    )


def _decode(data: bytes) -> str:
    """UTF-8 with or without BOM (or UTF-16 with BOM) as Excel saves it, else Windows-1252.

    Bytes that no text file holds refuse the whole file: a NUL byte, or bytes that are neither
    UTF-8 nor Windows-1252. (A database cannot store NUL in text, and replacing what cannot
    be read would import different values than the file shows.)
    """
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        elif data.startswith(codecs.BOM_UTF8):
            text = data[len(codecs.BOM_UTF8) :].decode("utf-8")
        else:
            if b"\x00" in data:
                raise _not_null(data.index(b"\x00"), data)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise _not_text(_("its bytes are neither UTF-8 nor Windows-1252 text")) from error
    if "\x00" in text:
        raise _not_null(text.index("\x00"), text)
    return text


def _not_null(position: int, content: bytes | str) -> ImportFailed:
    if isinstance(content, bytes):
        line = content.count(b"\n", 0, position) + 1
    else:
        line = content.count("\n", 0, position) + 1
    return _not_text(_("line %(line)d holds a NUL byte") % {"line": line})


def _delimiter(text: str) -> str:
    """The delimiter of the header line: Dutch Excel writes ';', others ','."""
    first = next((line for line in io.StringIO(text) if line.strip()), "")
    counts = {d: first.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_table(data: bytes, limits: ReadLimits) -> Table:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=False)
    try:
        return _table_from_records(_limited(reader, limits), fixed_width=True)
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


def _unpacked_check(data: bytes, limits: ReadLimits) -> None:
    """Refuse a workbook that would unpack to more than the limit, before parsing any of it.

    The sizes are the ones the archive declares; ``zipfile`` never unpacks more than declared
    (a member that holds more fails its check and reads as a damaged file).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        raise failed(_("The file cannot be read as an Excel (.xlsx) workbook.")) from error
    unpacked = sum(member.file_size for member in members)
    # The shared strings are held in memory whole while the sheet is read: a quarter at most.
    strings = sum(m.file_size for m in members if m.filename.lower().endswith("sharedstrings.xml"))
    if unpacked > limits.max_unpacked_bytes or strings > limits.max_unpacked_bytes // 4:
        raise failed(
            _(
                "The workbook unpacks to %(size)s; at most %(limit)s can be imported at once. "
                "Split it into parts, or save it as CSV."
            )
            % {"size": filesizeformat(unpacked), "limit": filesizeformat(limits.max_unpacked_bytes)}
        )


_WORKBOOK_LOADING = threading.Lock()


def _workbook_load(data: bytes) -> Any:
    """The workbook in openpyxl's streaming (read-only) mode, its sheets' sizes left unread.

    On loading, openpyxl reads each sheet's declared size, and when a sheet declares none it
    parses the whole sheet to find the ``<dimension>`` it lacks, keeping every row element
    (a sheet of a million rows took seconds and 85 MB before a single row was read). The
    declared size is not used here (see ``_xlsx_table``), so the sheets are made without it:
    openpyxl's reader builds them from the class its module names, swapped for the load.
    """
    import openpyxl
    from openpyxl.reader import excel
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    class UnsizedSheet(ReadOnlyWorksheet):
        def _get_size(self) -> None:
            self._min_row = self._min_column = 1

    with _WORKBOOK_LOADING:
        excel.ReadOnlyWorksheet = UnsizedSheet
        try:
            return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        finally:
            excel.ReadOnlyWorksheet = ReadOnlyWorksheet


def _xlsx_table(data: bytes, limits: ReadLimits) -> Table:
    _unpacked_check(data, limits)
    try:
        workbook = _workbook_load(data)
    except Exception as error:  # openpyxl raises many kinds of errors on a damaged file
        raise failed(_("The file cannot be read as an Excel (.xlsx) workbook.")) from error
    try:
        if not workbook.worksheets:
            raise failed(_("The file is empty."))
        sheet = workbook.worksheets[0]
        # The sheet's declared size (e.g. A1:XFD1048576) is not trusted: without it, rows
        # come as they are in the file, not padded to the declared width and height.
        sheet.reset_dimensions()
        records = _damage_reported(sheet.iter_rows())
        return _table_from_records(_limited(_shown_values(records), limits), fixed_width=False)
    finally:
        workbook.close()


def _damage_reported(records: Iterator[Sequence[object]]) -> Iterator[Sequence[object]]:
    """The sheet's rows; a cell that openpyxl cannot read fails the file with its row."""
    number = 0
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except Exception as error:  # a damaged cell: a wrong type, a string index, a date
            raise ImportFailed(
                [
                    RowError(
                        number + 1,
                        None,
                        _(
                            "the workbook is damaged at this row (a cell cannot be read). Open "
                            "it in your spreadsheet program and save it again."
                        ),
                    )
                ]
            ) from error
        number += 1
        yield record


def _shown_values(rows: Iterable[Sequence[Any]]) -> Iterator[tuple[object, ...]]:
    """The cells' values as the spreadsheet shows them where the stored value differs: a
    percentage cell (stored 0.15, shown "15 %", a number format with "%") is read as 15, the
    number the user typed and sees, never as 0.15 (a 15 % margin, not 0.15 %)."""
    for row in rows:
        yield tuple(_percent_shown(cell) for cell in row)


def _percent_shown(cell: Any) -> object:
    value = cell.value
    if not isinstance(value, int | float) or isinstance(value, bool):
        return value
    try:
        number_format = cell.number_format or ""
    except (IndexError, KeyError, AttributeError):  # a damaged style: the value as stored
        return value
    if "%" in number_format:
        shown = Decimal(repr(value)) * 100  # exact: 0.15 * 100 in floats is 15.000000000000002
        return int(shown) if shown == shown.to_integral_value() else float(shown)
    return value


def _limited(records: Iterable[Sequence[object]], limits: ReadLimits) -> Iterator[Sequence[object]]:
    """The records, refusing the file at the first row beyond the limits (rows are counted as
    the spreadsheet numbers them, blank ones included, plus the header)."""
    for number, record in enumerate(records, start=1):
        if number > limits.max_rows + 1:
            raise failed(
                _(
                    "The file has more than %(limit)d rows; at most %(limit)d can be imported "
                    "at once: split it into parts."
                )
                % {"limit": limits.max_rows}
            )
        if len(record) > limits.max_columns:
            raise ImportFailed(
                [
                    RowError(
                        number,
                        None,
                        _("the row has %(count)d columns; at most %(limit)d can be imported.")
                        % {"count": len(record), "limit": limits.max_columns},
                    )
                ]
            )
        for value in record:
            if isinstance(value, str) and len(value) > limits.max_cell_chars:
                raise ImportFailed(
                    [
                        RowError(
                            number,
                            None,
                            _(
                                "a cell holds %(length)d characters; at most %(limit)d can be "
                                "imported."
                            )
                            % {"length": len(value), "limit": limits.max_cell_chars},
                        )
                    ]
                )
        yield record


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
