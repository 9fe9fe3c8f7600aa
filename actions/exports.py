"""Actions and the effect report as CSV or XLSX files.

The actions file has the columns the import reads (plus read-only ones such as the frozen
baseline), so an exported file can be imported into another database.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, BinaryIO, Protocol

from django.db.models import QuerySet
from django.utils import timezone

from actions.models import Action
from actions.selectors.report import EXPORT_COLUMNS as REPORT_COLUMNS
from scoring.exports import formula_safe, text_cell

# Columns the import reads, in the export's order.
ACTION_IMPORT_COLUMNS = (
    "customer",
    "action_type",
    "element",
    "title",
    "rationale",
    "origin",
    "owner_email",
    "due_on",
    "status",
    "decided_at",
    "outcome",
    "outcome_note",
)
# Written by the export for reading; the import ignores them.
ACTION_READ_ONLY_COLUMNS = (
    "id",
    "customer_name",
    "campaign",
    "proposed_at",
    "started_at",
    "completed_at",
    "cancelled_at",
    "steps_done",
    "steps_total",
    "baseline_model_version",
    "baseline_score",
    "baseline_band",
    "baseline_coverage",
    "baseline_value",
    "baseline_staff",
    "baseline_customer",
    "baseline_expert",
)
ACTION_COLUMNS = ("id", *ACTION_IMPORT_COLUMNS, *ACTION_READ_ONLY_COLUMNS[1:])

Row = dict[str, object]


def action_rows(actions: QuerySet[Action]) -> list[Row]:
    """One row per action (three queries): codes and e-mail addresses, not display names."""
    from django.db.models import Count, Q

    actions = (
        actions.select_related("customer", "action_type", "owner", "campaign")
        .annotate(
            steps_total=Count("steps"),
            steps_done=Count("steps", filter=Q(steps__done_at__isnull=False)),
        )
        .order_by("pk")
    )
    rows = []
    for action in actions:
        rows.append(
            {
                "id": action.pk,
                "customer": action.customer.external_id,
                "customer_name": action.customer.name,
                "action_type": action.action_type.code,
                "element": action.element_code,
                "title": action.title,
                "rationale": action.rationale,
                "origin": action.origin,
                "campaign": action.campaign.name if action.campaign else "",
                "owner_email": action.owner.email,
                "due_on": action.due_on,
                "status": action.status,
                "proposed_at": action.proposed_at,
                "decided_at": action.decided_at,
                "started_at": action.started_at,
                "completed_at": action.completed_at,
                "cancelled_at": action.cancelled_at,
                "outcome": action.outcome,
                "outcome_note": action.outcome_note,
                "steps_done": action.steps_done,
                "steps_total": action.steps_total,
                **{
                    name: getattr(action, name)
                    for name in ACTION_READ_ONLY_COLUMNS
                    if name.startswith("baseline_")
                },
            }
        )
    return rows


def csv_value(value: object) -> str:
    """ISO 8601 for dates and times (local time), plain numbers, "" for nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value == value else ""
    return str(value)


class Writable(Protocol):
    """Where CSV text goes: an open text file or a management command's stdout."""

    def write(self, text: str, /) -> Any: ...


def write_csv(rows: Sequence[Row], columns: Sequence[str], stream: Writable) -> None:
    """Comma-separated UTF-8 with a header line."""
    writer = csv.writer(stream)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([formula_safe(row.get(c), csv_value(row.get(c))) for c in columns])


def write_xlsx(
    rows: Sequence[Row], columns: Sequence[str], stream: BinaryIO, *, sheet: str = "actions"
) -> None:
    """An Excel workbook: numbers stay numbers, times are local times without a zone."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(worksheet, value=column)
        cell.font = bold
        header.append(cell)
    worksheet.append(header)
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column)
            if isinstance(value, datetime):
                value = timezone.localtime(value).replace(tzinfo=None, microsecond=0)
            elif isinstance(value, float) and value != value:
                value = None
            cell = text_cell(worksheet, value)
            if isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        worksheet.append(cells)
    buffer = io.BytesIO()  # zip files want a seekable stream
    workbook.save(buffer)
    stream.write(buffer.getvalue())


__all__ = [
    "ACTION_COLUMNS",
    "ACTION_IMPORT_COLUMNS",
    "REPORT_COLUMNS",
    "action_rows",
    "write_csv",
    "write_xlsx",
]
