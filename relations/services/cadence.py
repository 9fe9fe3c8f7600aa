"""Writes of the contact cadence: the stored dates each customer's rhythm turns due, overdue
and lost touch (``CadenceStatus``), recomputed from the contacts, segments and rhythms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from klantbinding.lib.db import chunked
from relations import calculations
from relations.conf import due_within_days
from relations.models import CadenceStatus, Segment
from relations.selectors.cadence import (
    KIND_ORDER,
    cadence_targets,
    last_contacts,
    segments_in_force,
)

STATUS_FIELDS = [
    "segment",
    "priority",
    "due_from",
    "overdue_from",
    "lost_from",
    "kind",
    "last_on",
    "computed_at",
]


def cadence_refresh(
    *, customer_ids: Sequence[int] | None = None, now: datetime | None = None
) -> int:
    """Recompute the stored rhythm of these customers (all when None); returns how many have
    one. A fixed number of queries: one aggregate over the contacts whatever their number,
    one read of the stored rows, then only the rows that changed are written. A customer that
    lost its rhythm (inactive, no segment, no targets) loses its row."""
    now = now or timezone.now()
    ids = None if customer_ids is None else sorted(set(customer_ids))
    segments = segments_in_force(ids)
    table = calculations.cadence_table(
        segments,
        cadence_targets(),
        last_contacts(ids),
        due_within=due_within_days(),
        kind_order=KIND_ORDER,
    )
    segment_of = dict(zip(segments["customer_id"], segments["segment_id"], strict=True))
    priority = dict(Segment.objects.values_list("pk", "order"))
    wanted: dict[int, tuple] = {}
    for customer_id, due, overdue, lost, kind, last in zip(
        table.index.tolist(),
        table["due_from"].tolist(),
        table["overdue_from"].tolist(),
        table["lost_from"].tolist(),
        table["kind"].tolist(),
        table["last"].tolist(),
        strict=True,
    ):
        segment_id = int(segment_of[customer_id])
        wanted[int(customer_id)] = (
            segment_id,
            priority.get(segment_id, 0),
            date.fromordinal(int(due)),
            date.fromordinal(int(overdue)),
            date.fromordinal(int(lost)),
            kind,
            calculations.ordinal_date(int(last)),
        )
    stored = _stored(ids)
    changed = [
        CadenceStatus(
            customer_id=customer_id,
            segment_id=values[0],
            priority=values[1],
            due_from=values[2],
            overdue_from=values[3],
            lost_from=values[4],
            kind=values[5],
            last_on=values[6],
            computed_at=now,
        )
        for customer_id, values in wanted.items()
        if stored.get(customer_id) != values
    ]
    gone = sorted(set(stored) - set(wanted))
    with transaction.atomic():
        CadenceStatus.objects.bulk_create(
            changed,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["customer"],
            update_fields=STATUS_FIELDS,
        )
        for chunk in chunked(gone):
            CadenceStatus.objects.filter(customer_id__in=chunk).delete()
    return len(wanted)


def _stored(ids: Sequence[int] | None) -> dict[int, tuple]:
    """The stored rhythms of these customers (all when None), as ``cadence_refresh`` makes them."""
    fields = (
        "customer_id",
        "segment_id",
        "priority",
        "due_from",
        "overdue_from",
        "lost_from",
        "kind",
        "last_on",
    )
    rows: list[tuple] = []
    if ids is None:
        rows = list(CadenceStatus.objects.values_list(*fields))
    else:
        for chunk in chunked(ids):
            rows.extend(CadenceStatus.objects.filter(customer_id__in=chunk).values_list(*fields))
    return {row[0]: tuple(row[1:]) for row in rows}
