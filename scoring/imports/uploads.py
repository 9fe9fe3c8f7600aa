"""The web upload's pending files: parsed once, kept as their parsed result until confirmed.

An upload is read and checked as it arrives (within the limits of ``tables.ReadLimits``). What
the preview shows (the header, the first rows, the problems or what importing would do) and
the parsed rows for the confirm step are kept under ``KB_UPLOAD_DIR`` by a random token that
only the uploading session knows, for a day. The file's bytes are never kept: showing the
preview again reads the small preview only, and confirming reads the parsed rows, not the file.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import Any, TypedDict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from scoring.imports.assessments import assessments_clean
from scoring.imports.customers import customers_clean, customers_plan_counts
from scoring.imports.tables import ImportFailed, RowError, Table, TableRow, table_read

UPLOAD_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
UPLOAD_MAX_AGE = 24 * 3600
PREVIEW_ROWS = 10
CUSTOMERS = "customers"  # the kinds of file (UploadForm's choices)
ASSESSMENTS = "assessments"


def _upload_dir() -> Path:
    return Path(getattr(settings, "KB_UPLOAD_DIR", settings.VAR_DIR / "uploads"))


def _path(token: str, part: str) -> Path:
    return _upload_dir() / f"{token}.{part}.json"


def _forget_old_uploads() -> None:
    """Uploads not confirmed within a day are removed."""
    cutoff = time.time() - UPLOAD_MAX_AGE
    for path in _upload_dir().glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue


class UploadCheck(TypedDict, total=False):
    """What importing a checked file would do."""

    rows: int
    create: int
    update: int  # customers only
    skip: int  # customers: unchanged; assessments: already present
    users: int  # customers only: new account manager users
    contacts_create: int  # customers only: contact persons
    contacts_update: int


class UploadPreview(TypedDict):
    """What the preview page shows of a pending upload, as stored."""

    header: list[str]
    rows: list[tuple[int, list[str]]]  # the first rows: number and cell texts
    more_rows: int
    errors: list[dict[str, Any]]  # row, column, message: the first KB_IMPORT_MAX_PROBLEMS
    error_count: int  # every problem found
    check: UploadCheck | None  # None when the file has problems


def upload_check(kind: str, table: Table) -> UploadCheck:
    """Check every row without writing; raises ImportFailed with every problem."""
    if kind == CUSTOMERS:
        cleaned = customers_clean(table=table)
        counts = customers_plan_counts(cleaned, now=timezone.now())
        return {"rows": len(table.rows), **counts}  # type: ignore[typeddict-item]
    assessments = assessments_clean(table=table)
    return {
        "rows": len(table.rows),
        "create": len(assessments.new),
        "skip": assessments.already_present,
    }


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def preview_rows(table: Table, limit: int) -> list[tuple[int, list[str]]]:
    """The first rows of a table as the page shows them: row number and cell texts."""
    return [
        (row.number, [_shown(c) for c in row.cells[: len(table.header)]])
        for row in table.rows[:limit]
    ]


def errors_listed(errors: list[RowError]) -> list[dict[str, Any]]:
    return [{"row": e.row, "column": e.column, "message": e.message} for e in errors]


def upload_prepare(kind: str, filename: str, data: bytes) -> str:
    """Read and check an uploaded file once, keep its preview and parsed rows; its new token.

    A file that cannot be read or has problems keeps its problems only (nothing to confirm).
    """
    _upload_dir().mkdir(parents=True, exist_ok=True)
    _forget_old_uploads()
    token = secrets.token_urlsafe(24)
    table: Table | None = None
    check: UploadCheck | None = None
    failure: ImportFailed | None = None
    try:
        table = table_read(data, filename)
        check = upload_check(kind, table)
    except ImportFailed as error:
        failure = error
    except ValidationError as error:  # a service refusing what the checks let through
        failure = ImportFailed([RowError(None, None, m) for m in error.messages])
    preview: UploadPreview = {
        "header": list(table.header) if table else [],
        "rows": preview_rows(table, PREVIEW_ROWS) if table else [],
        "more_rows": max(0, len(table.rows) - PREVIEW_ROWS) if table else 0,
        "errors": errors_listed(failure.errors) if failure else [],
        "error_count": failure.count if failure else 0,
        "check": check,
    }
    if table is not None and failure is None:
        _path(token, "table").write_text(json.dumps(_table_data(table)), encoding="utf-8")
    _path(token, "preview").write_text(json.dumps(preview), encoding="utf-8")
    return token


def upload_preview(token: str) -> UploadPreview | None:
    """The stored preview of a pending upload; None for a token malformed, unknown or gone."""
    preview: UploadPreview | None = _read(token, "preview")
    return preview


def upload_table(token: str) -> Table | None:
    """The parsed rows of a checked upload, to import; None when there are none (or gone)."""
    data = _read(token, "table")
    return None if data is None else _table_from_data(data)


def upload_forget(token: str) -> None:
    """The upload is imported: what was kept of it goes."""
    if UPLOAD_TOKEN.match(token):
        for part in ("preview", "table"):
            _path(token, part).unlink(missing_ok=True)


def table_dumps(table: Table) -> str:
    """A checked table as text, to be imported later exactly as it was checked."""
    return json.dumps(_table_data(table))


def table_loads(text: str) -> Table:
    """The table ``table_dumps`` wrote."""
    return _table_from_data(json.loads(text))


def _read(token: str, part: str) -> Any:
    if not UPLOAD_TOKEN.match(token):
        return None
    try:
        return json.loads(_path(token, part).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# A table as JSON: cells that JSON has no type for are tagged ({"d": "2025-03-31"}), so the
# confirm step imports exactly the values that were checked.
_TAGS: dict[str, Any] = {
    "dt": datetime.fromisoformat,
    "d": date.fromisoformat,
    "t": clock.fromisoformat,
    "td": lambda seconds: timedelta(seconds=seconds),
    "dec": Decimal,
}


def _cell_data(value: object) -> object:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, clock):
        return {"t": value.isoformat()}
    if isinstance(value, timedelta):
        return {"td": value.total_seconds()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _cell_from_data(value: object) -> object:
    if isinstance(value, dict):
        ((tag, text),) = value.items()
        return _TAGS[tag](text)
    return value


def _table_data(table: Table) -> dict[str, Any]:
    return {
        "header": list(table.header),
        "rows": [[row.number, [_cell_data(c) for c in row.cells]] for row in table.rows],
        "header_row": table.header_row,
        "width": table.width,
        "fixed_width": table.fixed_width,
    }


def _table_from_data(data: dict[str, Any]) -> Table:
    return Table(
        header=tuple(data["header"]),
        rows=tuple(
            TableRow(number, tuple(_cell_from_data(c) for c in cells))
            for number, cells in data["rows"]
        ),
        header_row=data["header_row"],
        width=data["width"],
        fixed_width=data["fixed_width"],
    )
