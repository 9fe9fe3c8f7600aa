"""The web upload's pending files: kept on disk between the check and the confirm, for a day.

An upload is checked first (the first rows, every problem) and written only on confirm; in
between its bytes wait under ``KB_UPLOAD_DIR`` by a random token that only the uploading
session knows.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TypedDict

from django.conf import settings

from klantbinding.lib import db
from scoring.imports.assessments import assessments_clean
from scoring.imports.customers import customers_clean
from scoring.imports.tables import Table
from scoring.models import Customer

UPLOAD_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
UPLOAD_MAX_AGE = 24 * 3600
CUSTOMERS = "customers"  # the kinds of file (UploadForm's choices)
ASSESSMENTS = "assessments"


def _upload_dir() -> Path:
    return Path(getattr(settings, "KB_UPLOAD_DIR", settings.VAR_DIR / "uploads"))


def _upload_path(token: str) -> Path:
    return _upload_dir() / f"{token}.upload"


def _forget_old_uploads() -> None:
    """Uploads not confirmed within a day are removed."""
    cutoff = time.time() - UPLOAD_MAX_AGE
    for path in _upload_dir().glob("*.upload"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue


def upload_store(chunks: Iterable[bytes]) -> str:
    """Keep an uploaded file's bytes until it is confirmed; its new token."""
    _upload_dir().mkdir(parents=True, exist_ok=True)
    _forget_old_uploads()
    token = secrets.token_urlsafe(24)
    with _upload_path(token).open("wb") as target:
        for chunk in chunks:
            target.write(chunk)
    return token


def upload_read(token: str) -> bytes | None:
    """The bytes of a pending upload; None for a token that is malformed, unknown or gone."""
    if not UPLOAD_TOKEN.match(token):
        return None
    try:
        return _upload_path(token).read_bytes()
    except OSError:
        return None


def upload_forget(token: str) -> None:
    """The upload is imported: its bytes go."""
    if UPLOAD_TOKEN.match(token):
        _upload_path(token).unlink(missing_ok=True)


class UploadCheck(TypedDict, total=False):
    """What importing a checked file would do."""

    rows: int
    create: int
    update: int  # customers only
    skip: int  # assessments only: already present


def upload_check(kind: str, table: Table) -> UploadCheck:
    """Check every row without writing; raises ImportFailed with every problem."""
    if kind == CUSTOMERS:
        cleaned = customers_clean(table=table)
        ids = [row.external_id for row in cleaned]
        existing = 0
        for chunk in db.chunked(ids):
            existing += Customer.objects.filter(external_id__in=chunk).count()
        return {"rows": len(cleaned), "create": len(cleaned) - existing, "update": existing}
    plan = assessments_clean(table=table)
    return {"rows": len(table.rows), "create": len(plan.new), "skip": plan.already_present}


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
