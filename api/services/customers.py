"""Upserting customers from the CRM: the customer import (``scoring.imports``) on rows that
came as JSON, all or nothing, plus the ``active`` flag in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from scoring.imports.customers import CUSTOMER_COLUMNS, customers_import
from scoring.imports.tables import ImportFailed, ImportSummary, Table, TableRow
from scoring.models import Customer


class UpsertFailed(Exception):
    """Nothing was written; ``errors`` maps a JSON pointer to each problem's message."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} problems")


def _table(rows: Sequence[Mapping[str, Any]]) -> Table:
    """The rows as the import reads a spreadsheet; row numbers are the positions in the batch."""
    return Table(
        header=CUSTOMER_COLUMNS,
        rows=tuple(
            TableRow(number, tuple(row.get(column) for column in CUSTOMER_COLUMNS))
            for number, row in enumerate(rows)
        ),
        header_row=-1,
        width=len(CUSTOMER_COLUMNS),
    )


def customers_upsert(*, rows: Sequence[Mapping[str, Any]], user: AbstractBaseUser) -> ImportSummary:
    """Create or update customers by external id, all or nothing (the customer import's checks
    and writes); raises UpsertFailed naming every problem with its row and field."""
    with transaction.atomic():
        try:
            summary = customers_import(table=_table(rows), imported_by=user)
        except ImportFailed as failed:
            raise UpsertFailed(
                [
                    {
                        "pointer": "/customers"
                        + (f"/{e.row}" if e.row is not None else "")
                        + (f"/{e.column}" if e.column else ""),
                        "detail": e.message,
                    }
                    for e in failed.errors
                ]
            ) from failed
        now = timezone.now()
        for active in (True, False):
            ids = [r["external_id"] for r in rows if r.get("active") is active]
            if ids:
                Customer.objects.filter(external_id__in=ids).exclude(active=active).update(
                    active=active, updated_at=now
                )
    return summary
