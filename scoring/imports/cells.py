"""Checking a table's header and rows, and reading the values of its cells: numbers and
amounts as Dutch or English spreadsheets write them, dates, e-mail addresses."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from klantbinding.lib import db
from scoring.imports.tables import (
    ImportProgress,
    Problems,
    RowError,
    Table,
    TableRow,
    cell_text,
)

_PROGRESS_STEP = 500


@dataclass
class Columns:
    index: dict[str, int]  # normalised name → position
    names: dict[str, str]  # normalised name → as written in the file

    def value(self, row: TableRow, key: str) -> object:
        position = self.index.get(key)
        if position is None or position >= len(row.cells):
            return None
        return row.cells[position]

    def name(self, key: str) -> str:
        return self.names.get(key, key)


def header_check(
    table: Table, required: Sequence[str], optional: Sequence[str] = ()
) -> tuple[Columns, list[RowError]]:
    """Map the header's columns; errors for unnamed, unknown, repeated and missing columns.

    The errors are a ``Problems`` list: the row checks add theirs to it, and past
    ``KB_IMPORT_MAX_PROBLEMS`` it only counts them.
    """
    known = [*required, *optional]
    errors: list[RowError] = Problems()
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
    return Columns(index=index, names=names), errors


def shape_errors(table: Table, row: TableRow) -> list[RowError]:
    """A CSV row must have as many fields as the header; no values under unnamed columns."""
    named = len(table.header)
    count = len(row.cells)
    if table.fixed_width and count < table.width:
        missing = table.header[count] if count < named else None
        return [
            RowError(
                row.number,
                missing or None,
                ngettext(
                    "the value is missing: the row has %(count)d field where the header has "
                    "%(width)d. Check for a missing delimiter.",
                    "the value is missing: the row has %(count)d fields where the header has "
                    "%(width)d. Check for a missing delimiter.",
                    count,
                )
                % {"count": count, "width": table.width},
            )
        ]
    if table.fixed_width and count > table.width:
        return [
            RowError(
                row.number,
                None,
                ngettext(
                    "the row has %(count)d field where the header has %(width)d. Check the "
                    "delimiters and quotes: a value may contain an unquoted “,” or “;”.",
                    "the row has %(count)d fields where the header has %(width)d. Check the "
                    "delimiters and quotes: a value may contain an unquoted “,” or “;”.",
                    count,
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


def progress_report(
    progress: ImportProgress | None, stage: str, done: int, total: int, last: int
) -> int:
    """Advance ``progress`` every few hundred rows and at the end; returns the rows reported."""
    if progress is not None and (done - last >= _PROGRESS_STEP or done == total):
        progress(stage, done - last, total)
        return done
    return last


class CellError(ValueError):
    """A cell value that cannot be used; the message is for the user."""


_NUMBER_NOISE = re.compile(r"(€|eur\b|[\s\u00a0\u202f])", re.IGNORECASE)


def decimal_value(value: object, *, thousands_dot: bool) -> Decimal | None:
    """A number as Dutch or English spreadsheets write it: 1234.56, 1234,56, 1.234,56, € 1.234.

    With ``thousands_dot`` a single dot before exactly three digits groups thousands
    ("€ 1.234" is 1234), as in Dutch amounts; without it, a dot is a decimal point.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError(str(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError(str(value))
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
        raise CellError(str(value))
    try:
        return Decimal(sign + number)
    except InvalidOperation as error:  # pragma: no cover - the patterns above exclude it
        raise CellError(str(value)) from error


def score_number(value: object) -> object:
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
    if len(text) > 30:  # no score; int() of thousands of digits is refused (or slow)
        return text
    if _INTEGER.fullmatch(text):
        return int(text)
    if _FRACTION.fullmatch(text):
        number = float(text.replace(",", "."))
        return int(number) if number.is_integer() else number
    return text


_INTEGER = re.compile(r"[+-]?\d+")
_FRACTION = re.compile(r"[+-]?\d+[.,]\d+")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DUTCH_DATE = re.compile(
    r"(\d{1,2})-(\d{1,2})-(\d{4}|\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)
# A two-digit year (LibreOffice's and Excel's Dutch short date, 01-10-26) is a year of this
# century: 26 is 2026, 99 is 2099. Assessments are never dated before 2000 nor in the future,
# so no sliding window is needed, and the rule is one sentence in the error message.
TWO_DIGIT_CENTURY = 2000


def date_forms_message(text: str) -> str:
    """The message for a cell that is not a date, naming every form that is read."""
    return _(
        "“%(value)s” is not a date. Write it as year-month-day (2025-03-31) or "
        "day-month-year (31-3-2025, 31-03-2025, or 31-03-25 where a two-digit year is "
        "2000–2099), optionally with a time (2025-03-31 14:30, 31-03-25 14:30), or use a "
        "date cell in Excel."
    ) % {"value": text}


def moment_value(value: object, tz: tzinfo) -> datetime | None:
    """An ISO date (midnight local time) or datetime (naive means local time), a Dutch
    day-month-year date with a four- or two-digit year (``TWO_DIGIT_CENTURY``), or None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.make_aware(value, tz) if timezone.is_naive(value) else value
    if isinstance(value, date):
        return timezone.make_aware(datetime.combine(value, time.min), tz)
    text = cell_text(value)

    def usage() -> str:
        return date_forms_message(text)

    def impossible() -> str:
        return _("%(value)s is not an existing date: check the day and the month.") % {
            "value": text
        }

    if not isinstance(value, str):
        raise CellError(usage())
    if match := _DUTCH_DATE.fullmatch(text):
        # Dutch Excel writes date cells as 31-3-2025 when it saves CSV, LibreOffice as 31-03-25.
        day, month, year, hour, minute, second = match.groups()
        full_year = int(year) + (TWO_DIGIT_CENTURY if len(year) == 2 else 0)
        try:
            moment = datetime(
                full_year, int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            )
        except ValueError as error:
            raise CellError(impossible()) from error
        return timezone.make_aware(moment, tz)
    match = _ISO_DATE.match(text)
    if not match:
        raise CellError(usage())
    try:
        date(*(int(part) for part in match.groups()))
    except ValueError as error:
        raise CellError(impossible()) from error
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as error:
        raise CellError(usage()) from error
    return timezone.make_aware(moment, tz) if timezone.is_naive(moment) else moment


def email_error(email: str) -> str | None:
    try:
        validate_email(email)
    except ValidationError:
        return _("“%(email)s” is not a valid e-mail address.") % {"email": email}
    return None


def too_long(value: str, limit: int) -> str | None:
    if len(value) > limit:
        return _("the text is %(length)d characters long; at most %(limit)d fit.") % {
            "length": len(value),
            "limit": limit,
        }
    return None


def users_by_email(
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


# The words a spreadsheet's total or average row starts with, as a user types them.
SUMMARY_WORDS = frozenset(
    {
        "totaal",
        "totalen",
        "subtotaal",
        "total",
        "totals",
        "subtotal",
        "grand total",
        "eindtotaal",
        "som",
        "sum",
        "gemiddelde",
        "gemiddeld",
        "average",
        "mean",
    }
)


def _summary_word(cells: Sequence[object], identity: Sequence[int]) -> str | None:
    """The summary word in the row's first filled cell or a column that names the row ("average"
    elsewhere is a value, e.g. a payment behaviour)."""
    first = next((c for c in cells if c is not None), None)
    candidates = [first, *(cells[p] for p in identity if p < len(cells))]
    for cell in candidates:
        if isinstance(cell, str):
            word = cell.strip().rstrip(":.").strip().lower()
            if word in SUMMARY_WORDS:
                return cell.strip()
    return None


def _is_number(cell: object) -> bool:
    if isinstance(cell, bool) or cell is None:
        return False
    if isinstance(cell, int | float | Decimal):
        return True
    try:
        return decimal_value(cell, thousands_dot=True) is not None
    except CellError:
        return False


def summary_rows(table: Table, identity: Sequence[int], what: str) -> dict[int, RowError]:
    """The total or average rows at the bottom of the table, by row number, each with the
    error that names it: a row that says "Totaal", "Gemiddelde", "Total" or "Average", or a
    row of numbers without the columns (``identity``, positions) that say what it is.

    Only the last rows count (a summary row sits below the data); ``what`` is the row's kind
    in words ("a customer", "an assessment")."""
    found: dict[int, RowError] = {}
    for row in reversed(table.rows):
        word = _summary_word(row.cells, identity)
        unnamed = all(p >= len(row.cells) or row.cells[p] is None for p in identity)
        numbers = any(_is_number(c) for c in row.cells)
        if word is not None:
            message = _(
                "this is a total or average row (“%(word)s”), not %(what)s: remove it from "
                "the file, the app adds up and averages itself."
            ) % {"word": word, "what": what}
        elif unnamed and numbers:
            message = _(
                "this row has numbers but nothing that says whose: it looks like a row of "
                "totals, not %(what)s. Remove it from the file."
            ) % {"what": what}
        else:
            break
        found[row.number] = RowError(row.number, None, message)
    return found


def wrong_kind_error(table: Table, columns: Sequence[str], kind: str) -> RowError | None:
    """When the header has most of the other kind of file's own ``columns``, the one error
    saying so ("this looks like an assessments file"); None otherwise. ``kind`` is the kind
    the file looks like: "customers" or "assessments"."""
    header = {name.strip().lower() for name in table.header}
    if len(header & set(columns)) * 2 < len(columns):
        return None
    if kind == "assessments":
        message = _(
            "This looks like an assessments file, not a customers file: choose "
            "“Assessments” as what the file holds, and upload it again."
        )
    else:
        message = _(
            "This looks like a customers file, not an assessments file: choose “Customers” "
            "as what the file holds, and upload it again."
        )
    return RowError(table.header_row, None, message)
