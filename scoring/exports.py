"""The score export: one row per active customer with its stored current score.

``score_rows`` reads the stored snapshots (it never recomputes) and gives typed values that
pages can show; ``write_csv`` and ``write_xlsx`` write them as a file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import BinaryIO, TextIO

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


def _one_decimal(value: float | None) -> float | None:
    return None if value is None else float(round_half_up(value, 1))


def score_rows(customers: QuerySet[Customer] | None = None) -> list[ScoreRow]:
    """One row per active customer: scores to one decimal, band, coverage %, respondents.

    Values are typed: scores are floats rounded half up to one decimal (None without a
    score), coverage an int percent, last_assessed_at a datetime in local time (or None).
    """
    rows: list[ScoreRow] = []
    for item in selectors.export_rows(customers):
        customer = item["customer"]
        snapshot = item["snapshot"]
        row: ScoreRow = {"customer": customer.external_id, "customer_name": customer.name}
        for column in SCORE_COLUMNS:
            row[column] = _one_decimal(getattr(snapshot, column)) if snapshot else None
        has_score = snapshot is not None and snapshot.binding_score is not None
        row["band"] = snapshot.band if has_score else ""
        row["coverage"] = int(round_half_up(snapshot.coverage, 0)) if snapshot else 0
        row["respondents"] = snapshot.respondents if snapshot else 0
        last = snapshot.last_assessed_at if snapshot else None
        row["last_assessed_at"] = timezone.localtime(last) if last else None
        rows.append(row)
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


def write_csv(rows: Sequence[ScoreRow], stream: TextIO) -> None:
    """Write the rows as comma-separated UTF-8 text with a header line."""
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([csv_value(row.get(column)) for column in COLUMNS])


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
            cell = WriteOnlyCell(sheet, value=value)
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
