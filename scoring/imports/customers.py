"""Spreadsheet imports of customers and assessments: read, check every row, write all or nothing.

The steps are separate so the management commands and the web upload page share them:

1. ``table_read(source, filename)`` turns CSV or XLSX bytes into a ``Table`` (header and rows
   with the row numbers the user sees in the spreadsheet);
2. ``customers_clean`` / ``assessments_clean`` check every row and raise ``ImportFailed`` with
   all problems, or return the cleaned rows;
3. ``customers_import`` / ``assessments_import`` do both and write in one transaction.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path, PurePath
from typing import BinaryIO, TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from klantbinding.lib import db
from scoring import selectors, services
from scoring.models import Assessment, Customer, PaymentBehaviour, RespondentKind
from scoring.roles import ACCOUNT_MANAGERS

# Called as progress(stage, advance, total): ``stage`` is a translated label of the current
# step, ``advance`` the rows done since the last call, ``total`` the rows of that step.
ImportProgress = Callable[[str, int, int], None]

CUSTOMER_COLUMNS = (
    "external_id",
    "name",
    "account_manager_email",
    "sector",
    "annual_revenue",
    "margin_pct",
    "revenue_potential",
    "payment_behaviour",
)
ASSESSMENT_COLUMNS = ("customer", "respondent_kind", "respondent_email", "assessed_at")
ASSESSMENT_OPTIONAL_COLUMNS = ("nps", "respondent_name", "comment")

_PROGRESS_STEP = 500
_MONEY_LIMIT = Decimal(10) ** 12  # DecimalField(max_digits=14, decimal_places=2)
_CENT = Decimal("0.01")


# --------------------------------------------------------------------------------------------
# Results and errors
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Reading CSV and XLSX
# --------------------------------------------------------------------------------------------


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


def _failed(message: str) -> ImportFailed:
    return ImportFailed([RowError(None, None, message)])


def _suffix(filename: str) -> str:
    """The suffix, .csv or .xlsx; ImportFailed for any other kind of file."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise _failed(
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
        raise _failed(_("There is no file “%(path)s”.") % {"path": path})
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
        raise _failed(_("The file cannot be read as an Excel (.xlsx) workbook.")) from error
    try:
        if not workbook.worksheets:
            raise _failed(_("The file is empty."))
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
        raise _failed(_("The file is empty."))
    names = [_text(c) for c in header]
    width = len(names)
    while names and not names[-1]:
        names.pop()
    if not rows:
        raise _failed(_("The file has a header but no rows to import."))
    return Table(
        header=tuple(names),
        rows=tuple(rows),
        header_row=header_row,
        width=width,
        fixed_width=fixed_width,
    )


def _text(value: object) -> str:
    """A cell as text; whole numbers from XLSX (1001.0) as "1001"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


# --------------------------------------------------------------------------------------------
# Header and row shape
# --------------------------------------------------------------------------------------------


@dataclass
class _Columns:
    index: dict[str, int]  # normalised name → position
    names: dict[str, str]  # normalised name → as written in the file

    def value(self, row: TableRow, key: str) -> object:
        position = self.index.get(key)
        if position is None or position >= len(row.cells):
            return None
        return row.cells[position]

    def name(self, key: str) -> str:
        return self.names.get(key, key)


def _header_check(
    table: Table, required: Sequence[str], optional: Sequence[str] = ()
) -> tuple[_Columns, list[RowError]]:
    """Map the header's columns; errors for unnamed, unknown, repeated and missing columns."""
    known = [*required, *optional]
    errors: list[RowError] = []
    index: dict[str, int] = {}
    names: dict[str, str] = {}
    row = table.header_row
    for position, name in enumerate(table.header):
        key = name.strip().lower()
        if not key:
            errors.append(
                RowError(
                    row,
                    None,
                    _("column %(position)d has no name: every column needs a heading.")
                    % {"position": position + 1},
                )
            )
            continue
        if key in index:
            errors.append(
                RowError(
                    row,
                    name,
                    _("the column appears twice (columns %(first)d and %(second)d).")
                    % {"first": index[key] + 1, "second": position + 1},
                )
            )
            continue
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            if close:
                message = _("unknown column; did you mean “%(name)s”?") % {"name": close[0]}
            else:
                message = _("unknown column. The columns are: %(columns)s.") % {
                    "columns": ", ".join(known)
                }
            errors.append(RowError(row, name, message))
            continue
        index[key] = position
        names[key] = name
    for key in required:
        if key not in index:
            errors.append(RowError(row, key, _("the column is missing from the header.")))
    return _Columns(index=index, names=names), errors


def _shape_errors(table: Table, row: TableRow) -> list[RowError]:
    """A CSV row must have as many fields as the header; no values under unnamed columns."""
    named = len(table.header)
    count = len(row.cells)
    if table.fixed_width and count < table.width:
        missing = table.header[count] if count < named else None
        return [
            RowError(
                row.number,
                missing or None,
                _(
                    "the value is missing: the row has %(count)d fields where the header has "
                    "%(width)d. Check for a missing delimiter."
                )
                % {"count": count, "width": table.width},
            )
        ]
    if table.fixed_width and count > table.width:
        return [
            RowError(
                row.number,
                None,
                _(
                    "the row has %(count)d fields where the header has %(width)d. Check the "
                    "delimiters and quotes: a value may contain an unquoted “,” or “;”."
                )
                % {"count": count, "width": table.width},
            )
        ]
    extra = [i + 1 for i, c in enumerate(row.cells[named:], start=named) if c is not None]
    if extra:
        return [
            RowError(
                row.number,
                None,
                _("column %(position)d has a value but no heading.") % {"position": extra[0]},
            )
        ]
    return []


def _report(progress: ImportProgress | None, stage: str, done: int, total: int, last: int) -> int:
    """Advance ``progress`` every few hundred rows and at the end; returns the rows reported."""
    if progress is not None and (done - last >= _PROGRESS_STEP or done == total):
        progress(stage, done - last, total)
        return done
    return last


# --------------------------------------------------------------------------------------------
# Cell values
# --------------------------------------------------------------------------------------------


class _CellError(ValueError):
    """A cell value that cannot be used; the message is for the user."""


_NUMBER_NOISE = re.compile(r"(€|eur\b|[\s\u00a0\u202f])", re.IGNORECASE)


def _decimal(value: object, *, thousands_dot: bool) -> Decimal | None:
    """A number as Dutch or English spreadsheets write it: 1234.56, 1234,56, 1.234,56, € 1.234.

    With ``thousands_dot`` a single dot before exactly three digits groups thousands
    ("€ 1.234" is 1234), as in Dutch amounts; without it, a dot is a decimal point.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise _CellError(str(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _CellError(str(value))
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    text = _NUMBER_NOISE.sub("", str(value)).replace("\u2212", "-")
    if text.endswith("%"):
        text = text[:-1]
    text = re.sub(r",-{1,2}$", "", text)  # "1.234,-": whole euros
    sign = ""
    if text and text[0] in "+-":
        sign, text = text[0], text[1:]
    if re.fullmatch(r"\d+", text):
        number = text
    elif re.fullmatch(r"\d+,\d+", text):
        number = text.replace(",", ".")
    elif re.fullmatch(r"\d+\.\d+", text):
        grouped = thousands_dot and re.fullmatch(r"[1-9]\d{0,2}\.\d{3}", text)
        number = text.replace(".", "") if grouped else text
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", text):
        number = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", text):
        number = text.replace(",", "")
    else:
        raise _CellError(str(value))
    try:
        return Decimal(sign + number)
    except InvalidOperation as error:  # pragma: no cover - the patterns above exclude it
        raise _CellError(str(value)) from error


def _number(value: object) -> object:
    """A score or NPS cell as int or float when it is a number; otherwise as it is.

    ``services.score_value_error`` and ``nps_value_error`` then judge it and say why not.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    text = str(value).strip()
    if _INTEGER.fullmatch(text):
        return int(text)
    if _FRACTION.fullmatch(text):
        number = float(text.replace(",", "."))
        return int(number) if number.is_integer() else number
    return text


_INTEGER = re.compile(r"[+-]?\d+")
_FRACTION = re.compile(r"[+-]?\d+[.,]\d+")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DUTCH_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def _moment(value: object, tz: tzinfo) -> datetime | None:
    """An ISO date (midnight local time) or datetime (naive means local time), or None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.make_aware(value, tz) if timezone.is_naive(value) else value
    if isinstance(value, date):
        return timezone.make_aware(datetime.combine(value, time.min), tz)
    text = _text(value)

    def usage() -> str:
        return _(
            "“%(value)s” is not a date: use year-month-day, e.g. 2025-03-31, "
            "optionally with a time, e.g. 2025-03-31 14:30."
        ) % {"value": text}

    def impossible() -> str:
        return _("%(value)s is not an existing date: check the day and the month.") % {
            "value": text
        }

    if not isinstance(value, str):
        raise _CellError(usage())
    if match := _DUTCH_DATE.fullmatch(text):
        # Dutch Excel writes date cells as 31-3-2025 when it saves CSV.
        day, month, year, hour, minute, second = match.groups()
        try:
            moment = datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            )
        except ValueError as error:
            raise _CellError(impossible()) from error
        return timezone.make_aware(moment, tz)
    match = _ISO_DATE.match(text)
    if not match:
        raise _CellError(usage())
    try:
        date(*(int(part) for part in match.groups()))
    except ValueError as error:
        raise _CellError(impossible()) from error
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as error:
        raise _CellError(usage()) from error
    return timezone.make_aware(moment, tz) if timezone.is_naive(moment) else moment


def _email_error(email: str) -> str | None:
    try:
        validate_email(email)
    except ValidationError:
        return _("“%(email)s” is not a valid e-mail address.") % {"email": email}
    return None


def _too_long(value: str, limit: int) -> str | None:
    if len(value) > limit:
        return _("the text is %(length)d characters long; at most %(limit)d fit.") % {
            "length": len(value),
            "limit": limit,
        }
    return None


# --------------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------------

_PAYMENT_BEHAVIOUR = {
    "good": PaymentBehaviour.GOOD,
    "goed": PaymentBehaviour.GOOD,
    "average": PaymentBehaviour.AVERAGE,
    "gemiddeld": PaymentBehaviour.AVERAGE,
    "poor": PaymentBehaviour.POOR,
    "slecht": PaymentBehaviour.POOR,
}


@dataclass
class CustomerRow:
    """One checked row of a customers file."""

    row: int
    external_id: str
    name: str
    account_manager_email: str  # lower-case; "" for no account manager
    sector: str
    annual_revenue: Decimal
    margin_pct: Decimal | None
    revenue_potential: Decimal
    payment_behaviour: str


def _users_by_email(
    emails: Iterable[str], *, match_username: bool = False
) -> dict[str, AbstractBaseUser]:
    """Existing users by lower-case e-mail (or username), in one query per few thousand."""
    user_model = get_user_model()
    wanted = sorted(set(emails))
    wanted_set = set(wanted)
    by_email: dict[str, AbstractBaseUser] = {}
    by_username: dict[str, AbstractBaseUser] = {}
    for chunk in db.chunked(wanted):
        queryset = user_model.objects.annotate(
            email_lower=Lower("email"), username_lower=Lower("username")
        )
        condition = queryset.filter(email_lower__in=chunk)
        if match_username:
            condition = condition | queryset.filter(username_lower__in=chunk)
        # An active user wins over an inactive one with the same address, then the oldest.
        for user in condition.order_by("-is_active", "pk"):
            by_email.setdefault(user.email_lower, user)
            by_username.setdefault(user.username_lower, user)
    if match_username:
        for email in wanted:
            if email not in by_email and email in by_username:
                by_email[email] = by_username[email]
    return {e: u for e, u in by_email.items() if e in wanted_set}


def _money(
    value: object, column: str, row: int, errors: list[RowError], *, default: Decimal
) -> Decimal:
    try:
        amount = _decimal(value, thousands_dot=True)
    except _CellError:
        errors.append(
            RowError(
                row,
                column,
                _("“%(value)s” is not an amount: write it as 1234,56 or 1.234,56 or 1234.56.")
                % {"value": _text(value)},
            )
        )
        return default
    if amount is None:
        return default
    amount = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    if amount < 0:
        errors.append(
            RowError(
                row,
                column,
                _("%(value)s is negative: use 0 or more.") % {"value": _text(value)},
            )
        )
    elif amount >= _MONEY_LIMIT:
        errors.append(
            RowError(
                row,
                column,
                _("%(value)s is too large: it must be below 1,000,000,000,000.")
                % {"value": _text(value)},
            )
        )
    return amount


def _margin(value: object, column: str, row: int, errors: list[RowError]) -> Decimal | None:
    usage = _("use a percentage from -100 to 100, e.g. 12,5 or 12.5, or leave it empty.")
    try:
        margin = _decimal(value, thousands_dot=False)
    except _CellError:
        errors.append(
            RowError(
                row,
                column,
                _("“%(value)s” is not a number: %(usage)s")
                % {"value": _text(value), "usage": usage},
            )
        )
        return None
    if margin is None:
        return None
    margin = margin.quantize(_CENT, rounding=ROUND_HALF_UP)
    if not Decimal(-100) <= margin <= Decimal(100):
        errors.append(
            RowError(
                row,
                column,
                _("%(value)s is outside the range: %(usage)s")
                % {"value": _text(value), "usage": usage},
            )
        )
    return margin


def customers_clean(*, table: Table, progress: ImportProgress | None = None) -> list[CustomerRow]:
    """Check every row of a customers table; raise ImportFailed listing all problems."""
    columns, errors = _header_check(table, CUSTOMER_COLUMNS)
    for row in table.rows:
        errors.extend(_shape_errors(table, row))
    if errors:
        raise ImportFailed(errors)

    emails = {_text(columns.value(row, "account_manager_email")).lower() for row in table.rows} - {
        ""
    }
    known_users = _users_by_email(emails, match_username=True)
    username_limit = get_user_model()._meta.get_field("username").max_length or 150
    stage = _("Checking rows")
    total = len(table.rows)
    reported = 0
    seen: dict[str, int] = {}
    cleaned: list[CustomerRow] = []
    for done, row in enumerate(table.rows, start=1):
        row_errors: list[RowError] = []
        number = row.number
        external_id = _text(columns.value(row, "external_id"))
        if not external_id:
            message = _("the external id is missing; every customer needs one.")
        elif too_long := _too_long(external_id, 64):
            message = too_long
        elif external_id in seen:
            message = _("“%(id)s” is already in row %(row)d: each customer once per file.") % {
                "id": external_id,
                "row": seen[external_id],
            }
        else:
            message = ""
            seen[external_id] = number
        if message:
            row_errors.append(RowError(number, columns.name("external_id"), message))
        name = _text(columns.value(row, "name"))
        if not name:
            row_errors.append(
                RowError(
                    number,
                    columns.name("name"),
                    _("the name is missing; every customer needs one."),
                )
            )
        elif too_long := _too_long(name, 200):
            row_errors.append(RowError(number, columns.name("name"), too_long))
        email = _text(columns.value(row, "account_manager_email")).lower()
        message = ""
        if email:
            if email_error := _email_error(email):
                message = email_error
            elif email not in known_users and len(email) > username_limit:
                message = _(
                    "the address is too long to become a user name (at most %(limit)d characters)."
                ) % {"limit": username_limit}
        if message:
            row_errors.append(RowError(number, columns.name("account_manager_email"), message))
        sector = _text(columns.value(row, "sector"))
        if too_long := _too_long(sector, 100):
            row_errors.append(RowError(number, columns.name("sector"), too_long))
        annual_revenue = _money(
            columns.value(row, "annual_revenue"),
            columns.name("annual_revenue"),
            number,
            row_errors,
            default=Decimal(0),
        )
        margin_pct = _margin(
            columns.value(row, "margin_pct"), columns.name("margin_pct"), number, row_errors
        )
        revenue_potential = _money(
            columns.value(row, "revenue_potential"),
            columns.name("revenue_potential"),
            number,
            row_errors,
            default=Decimal(0),
        )
        behaviour_text = _text(columns.value(row, "payment_behaviour"))
        behaviour = _PAYMENT_BEHAVIOUR.get(behaviour_text.lower())
        if behaviour_text and behaviour is None:
            row_errors.append(
                RowError(
                    number,
                    columns.name("payment_behaviour"),
                    _(
                        "“%(value)s” is not a payment behaviour: use good, average or poor "
                        "(goed, gemiddeld, slecht), or leave it empty."
                    )
                    % {"value": behaviour_text},
                )
            )
        if row_errors:
            errors.extend(row_errors)
        else:
            cleaned.append(
                CustomerRow(
                    row=number,
                    external_id=external_id,
                    name=name,
                    account_manager_email=email,
                    sector=sector,
                    annual_revenue=annual_revenue,
                    margin_pct=margin_pct,
                    revenue_potential=revenue_potential,
                    payment_behaviour=str(behaviour or ""),
                )
            )
        reported = _report(progress, stage, done, total, reported)
    if errors:
        raise ImportFailed(errors)
    return cleaned


_CUSTOMER_FIELDS = (
    "name",
    "account_manager",
    "sector",
    "annual_revenue",
    "margin_pct",
    "revenue_potential",
    "payment_behaviour",
)


def customers_import(*, table: Table, progress: ImportProgress | None = None) -> ImportSummary:
    """Check a customers table, then create or update customers by external id, all or nothing.

    An unknown account manager e-mail becomes a user (username = e-mail, no usable password)
    in the account managers group; they set a password by password reset.
    """
    cleaned = customers_clean(table=table, progress=progress)
    user_model = get_user_model()
    emails = {c.account_manager_email for c in cleaned} - {""}
    users = _users_by_email(emails, match_username=True)
    existing: dict[str, Customer] = {}
    ids = [c.external_id for c in cleaned]
    for chunk in db.chunked(ids):
        existing.update({c.external_id: c for c in Customer.objects.filter(external_id__in=chunk)})

    now = timezone.now()
    with transaction.atomic():
        new_users = []
        for email in sorted(emails - set(users)):
            user = user_model(username=email, email=email)
            user.set_unusable_password()
            new_users.append(user)
        if new_users:
            created_users = user_model.objects.bulk_create(new_users)
            group, _created = Group.objects.get_or_create(name=ACCOUNT_MANAGERS)
            group.user_set.add(*created_users)
            users.update({u.email: u for u in created_users})

        to_create: list[Customer] = []
        to_update: list[Customer] = []
        unchanged = 0
        for row in cleaned:
            values = {
                "name": row.name,
                "account_manager": users.get(row.account_manager_email),
                "sector": row.sector,
                "annual_revenue": row.annual_revenue,
                "margin_pct": row.margin_pct,
                "revenue_potential": row.revenue_potential,
                "payment_behaviour": row.payment_behaviour,
            }
            customer = existing.get(row.external_id)
            if customer is None:
                to_create.append(Customer(external_id=row.external_id, **values))
                continue
            if _customer_same(customer, values):
                unchanged += 1
                continue
            for name, value in values.items():
                setattr(customer, name, value)
            customer.updated_at = now  # bulk_update does not apply auto_now
            to_update.append(customer)

        stage = _("Writing")
        total = len(to_create) + len(to_update)
        for start in range(0, len(to_create), 1000):
            batch = to_create[start : start + 1000]
            Customer.objects.bulk_create(batch)
            if progress:
                progress(stage, len(batch), total)
        for start in range(0, len(to_update), 1000):
            batch = to_update[start : start + 1000]
            _customers_update(batch)
            if progress:
                progress(stage, len(batch), total)
    return ImportSummary(
        created=len(to_create),
        updated=len(to_update),
        skipped=unchanged,
        users_created=len(new_users),
    )


def _customers_update(customers: Sequence[Customer]) -> None:
    """One parameterised UPDATE per customer, sent in one executemany.

    ``bulk_update`` builds a CASE WHEN expression per object and field in Python, which
    costs about 25 seconds for 10,000 customers; this takes well under one.
    """
    meta = Customer._meta
    conn = connections[DEFAULT_DB_ALIAS]  # resolved once: the proxy costs a lookup per value
    fields = [meta.get_field(name) for name in (*_CUSTOMER_FIELDS, "updated_at")]
    quote = db.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    params = [
        [*(f.get_db_prep_save(getattr(c, f.attname), conn) for f in fields), c.pk]
        for c in customers
    ]
    db.execute_many(sql, params)


def _customer_same(customer: Customer, values: dict[str, object]) -> bool:
    for name, value in values.items():
        if name == "account_manager":
            user_id = getattr(value, "pk", None)
            if customer.account_manager_id != user_id:
                return False
        elif getattr(customer, name) != value:
            return False
    return True


# --------------------------------------------------------------------------------------------
# Assessments
# --------------------------------------------------------------------------------------------

# Keys of assessment_clean's ValidationError that are not a column name of the file.
_ERROR_COLUMNS = {"user": "respondent_email"}


@dataclass
class AssessmentsPlan:
    """The checked assessments of a file: the new ones, and how many were already present."""

    new: list[services.CleanAssessment] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # the row number of each new assessment
    already_present: int = 0


def _validation_messages(error: ValidationError) -> dict[str | None, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            (None if key == NON_FIELD_ERRORS else key): messages
            for key, messages in error.message_dict.items()
        }
    return {None: error.messages}


def _customers_by_external_id(external_ids: Iterable[str]) -> dict[str, Customer]:
    wanted = sorted(set(external_ids))
    found: dict[str, Customer] = {}
    for chunk in db.chunked(wanted):
        found.update({c.external_id: c for c in Customer.objects.filter(external_id__in=chunk)})
    return found


def assessments_clean(
    *,
    table: Table,
    now: datetime | None = None,
    progress: ImportProgress | None = None,
) -> AssessmentsPlan:
    """Check every row of an assessments table against the active scoring model.

    Raises ImportFailed listing all problems. Rows already in the database (same customer,
    respondent kind, e-mail and assessed_at) are counted in ``already_present``, not returned.
    """
    now = now or timezone.now()
    tz = timezone.get_default_timezone()
    scoring_model = selectors.scoring_model_active()
    codes = list(scoring_model.elements.order_by("order", "pk").values_list("code", flat=True))
    asked = {kind: services.asked_elements(scoring_model, kind) for kind in RespondentKind.values}
    asked_codes = {kind: {e.code for e in elements} for kind, elements in asked.items()}
    kinds = frozenset(RespondentKind.values)

    columns, errors = _header_check(
        table, [*ASSESSMENT_COLUMNS, *codes], ASSESSMENT_OPTIONAL_COLUMNS
    )
    for row in table.rows:
        errors.extend(_shape_errors(table, row))
    if errors:
        raise ImportFailed(errors)

    customers = _customers_by_external_id(
        _text(columns.value(row, "customer")) for row in table.rows
    )
    staff_emails = {
        _text(columns.value(row, "respondent_email")).lower()
        for row in table.rows
        if _text(columns.value(row, "respondent_kind")).lower() == RespondentKind.STAFF
    } - {""}
    staff_users = _users_by_email(staff_emails)

    def column(key: str | None) -> str | None:
        if key is None:
            return None
        return columns.name(_ERROR_COLUMNS.get(key, key))

    stage = _("Checking rows")
    total = len(table.rows)
    reported = 0
    new: list[tuple[services.CleanAssessment, int, tuple | None]] = []
    first_row: dict[tuple, int] = {}
    for done, row in enumerate(table.rows, start=1):
        number = row.number
        problems: dict[str | None, list[str]] = {}

        external_id = _text(columns.value(row, "customer"))
        customer = customers.get(external_id)
        if not external_id:
            problems["customer"] = [_("the customer's external id is missing.")]
        elif customer is None:
            problems["customer"] = [
                _("there is no customer with external id “%(id)s”; import the customer first.")
                % {"id": external_id}
            ]

        kind_text = _text(columns.value(row, "respondent_kind"))
        kind = kind_text.lower()
        if kind not in kinds:
            problems["respondent_kind"] = [
                _("“%(kind)s” is not a respondent kind: use staff, customer or expert.")
                % {"kind": kind_text}
                if kind_text
                else _("the respondent kind is missing: use staff, customer or expert.")
            ]

        email = _text(columns.value(row, "respondent_email")).lower()
        if not email:
            problems["respondent_email"] = [_("the respondent's e-mail address is missing.")]

        assessed_at = None
        try:
            assessed_at = _moment(columns.value(row, "assessed_at"), tz)
        except _CellError as error:
            problems["assessed_at"] = [str(error)]

        respondent_name = _text(columns.value(row, "respondent_name"))
        if too_long := _too_long(respondent_name, 200):
            problems["respondent_name"] = [too_long]
        comment = _text(columns.value(row, "comment"))
        nps = _number(columns.value(row, "nps"))

        values: dict[str, object] = {}
        for code in codes:
            value = _number(columns.value(row, code))
            if value is None:
                continue
            if kind in asked_codes and code not in asked_codes[kind]:
                problems.setdefault(code, []).append(
                    _(
                        "%(kind)s respondents are not asked about this element: "
                        "leave it empty for them."
                    )
                    % {"kind": RespondentKind(kind).label}
                )
                continue
            values[code] = value

        if kind in kinds:
            try:
                clean = services.assessment_clean(
                    customer=customer or Customer(),
                    respondent_kind=kind,
                    respondent_email=email,
                    respondent_name=respondent_name,
                    user=staff_users.get(email) if kind == RespondentKind.STAFF else None,
                    values=values,
                    comment=comment,
                    nps=nps,
                    assessed_at=assessed_at,
                    scoring_model=scoring_model,
                    source=Assessment.Source.IMPORT,
                    elements=asked[kind],
                    now=now,
                )
            except ValidationError as error:
                clean = None
                for key, messages in _validation_messages(error).items():
                    target = _ERROR_COLUMNS.get(key, key) if key else None
                    if target in problems:
                        continue  # already said in plainer words above
                    problems.setdefault(target, []).extend(messages)
        else:
            # Without a kind the service cannot check the row; still check the values.
            clean = None
            for code, value in values.items():
                if message := services.score_value_error(value):
                    problems.setdefault(code, []).append(message)
            if email and "respondent_email" not in problems and (message := _email_error(email)):
                problems["respondent_email"] = [message]

        if problems:
            for key in sorted(problems, key=lambda k: columns.index.get(k or "", -1)):
                for message in problems[key]:
                    errors.append(RowError(number, column(key), message))
        elif clean is not None and customer is not None:
            key = None
            if assessed_at is not None:
                key = (customer.pk, kind, clean.respondent_email, _utc(clean.assessed_at))
            if key is not None and key in first_row:
                errors.append(
                    RowError(
                        number,
                        None,
                        _(
                            "the same respondent assessed the same customer at the same time "
                            "in row %(row)d: remove one of the two rows."
                        )
                        % {"row": first_row[key]},
                    )
                )
            else:
                if key is not None:
                    first_row[key] = number
                new.append((clean, number, key))
        reported = _report(progress, stage, done, total, reported)
    if errors:
        raise ImportFailed(errors)

    # Only rows with their own assessed_at can be recognised when the file is imported again.
    present = _present_keys([key for _clean, _row, key in new if key is not None])
    kept = [(clean, number) for clean, number, key in new if key is None or key not in present]
    return AssessmentsPlan(
        new=[clean for clean, _row in kept],
        rows=[number for _clean, number in kept],
        already_present=len(new) - len(kept),
    )


def _utc(moment: datetime) -> datetime:
    # Python never finds a local time in a DST gap or fold equal to the same moment in another
    # zone (PEP 495), so keys compare in UTC.
    return moment.astimezone(UTC)


def _present_keys(keys: Sequence[tuple]) -> set[tuple]:
    """Which (customer id, kind, e-mail, assessed_at) keys already have an assessment."""
    if not keys:
        return set()
    wanted = set(keys)
    customer_ids = sorted({k[0] for k in keys})
    start = min(k[3] for k in keys)
    end = max(k[3] for k in keys)
    found: set[tuple] = set()
    for chunk in db.chunked(customer_ids):
        rows = Assessment.objects.filter(
            customer_id__in=chunk, assessed_at__gte=start, assessed_at__lte=end
        ).values_list("customer_id", "respondent_kind", "respondent_email", "assessed_at")
        for customer_id, kind, email, assessed_at in rows.iterator(chunk_size=5000):
            key = (customer_id, kind, email.lower(), _utc(assessed_at))
            if key in wanted:
                found.add(key)
    return found


def assessments_import(
    *, table: Table, progress: ImportProgress | None = None, now: datetime | None = None
) -> ImportSummary:
    """Check an assessments table, then write the new assessments in one transaction.

    The affected customers' stored scores are refreshed. Rows already present are skipped.
    """
    plan = assessments_clean(table=table, now=now, progress=progress)
    stage = _("Writing")
    total = len(plan.new)

    def write_progress(advance: int) -> None:
        if progress is not None:
            progress(stage, advance, total)

    services.assessments_bulk_create(plan.new, progress=write_progress)
    return ImportSummary(created=len(plan.new), skipped=plan.already_present)


# --------------------------------------------------------------------------------------------
# Progress on the command line
# --------------------------------------------------------------------------------------------


class TerminalProgress:
    """Shows each stage of an import as a tqdm bar (hidden when the stream is no terminal)."""

    def __init__(self, *, disable: bool | None = None, file: TextIO | None = None) -> None:
        self.disable = disable
        self.file = file
        self._stage: str | None = None
        self._bar = None

    def __call__(self, stage: str, advance: int, total: int) -> None:
        from tqdm import tqdm

        if stage != self._stage:
            self.close()
            self._stage = stage
            self._bar = tqdm(
                total=total, desc=stage, unit=_("rows"), file=self.file, disable=self.disable
            )
        self._bar.update(advance)

    def close(self) -> None:
        """Close the current bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def summary_text(summary: ImportSummary, *, what: str, skipped_because: str = "") -> str:
    """The line a command prints after a successful import."""
    text = _("Imported %(what)s: %(created)d created, %(updated)d updated, %(skipped)d skipped") % {
        "what": what,
        "created": summary.created,
        "updated": summary.updated,
        "skipped": summary.skipped,
    }
    text += f" ({skipped_because})." if skipped_because else "."
    if summary.users_created:
        text += " " + ngettext(
            "%(count)d new account manager user (to set a password, use password reset).",
            "%(count)d new account manager users (to set a password, use password reset).",
            summary.users_created,
        ) % {"count": summary.users_created}
    return text


__all__ = [
    "ASSESSMENT_COLUMNS",
    "ASSESSMENT_OPTIONAL_COLUMNS",
    "CUSTOMER_COLUMNS",
    "AssessmentsPlan",
    "CustomerRow",
    "ImportFailed",
    "ImportProgress",
    "ImportSummary",
    "RowError",
    "Table",
    "TableRow",
    "TerminalProgress",
    "assessments_clean",
    "assessments_import",
    "customers_clean",
    "customers_import",
    "summary_text",
    "table_read",
    "table_read_path",
]
