"""Writes of the contact cadence: the stored dates each customer's rhythm turns due, overdue
and lost touch (``CadenceStatus``), recomputed from the contacts, segments and rhythms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from relations import calculations
from relations.conf import due_within_days
from relations.models import CadenceStatus, Segment
from relations.selectors.cadence import (
    KIND_ORDER,
    cadence_targets,
    last_contacts,
    segments_in_force,
)
from scoring.selectors import chunked

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
    one. Four queries plus the writes: one aggregate over the contacts, whatever their number.
    A customer that lost its rhythm (inactive, no segment, no targets) loses its row."""
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
    rows = [
        CadenceStatus(
            customer_id=int(customer_id),
            segment_id=int(segment_of[customer_id]),
            priority=priority.get(int(segment_of[customer_id]), 0),
            due_from=date.fromordinal(int(row.due_from)),
            overdue_from=date.fromordinal(int(row.overdue_from)),
            lost_from=date.fromordinal(int(row.lost_from)),
            kind=row.kind,
            last_on=calculations.ordinal_date(int(row.last)),
            computed_at=now,
        )
        for customer_id, row in table.iterrows()
    ]
    with transaction.atomic():
        CadenceStatus.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["customer"],
            update_fields=STATUS_FIELDS,
        )
        # Whatever was not written now has no rhythm any more.
        stale = CadenceStatus.objects.filter(computed_at__lt=now)
        if ids is None:
            stale.delete()
        else:
            for chunk in chunked(ids):
                stale.filter(customer_id__in=chunk).delete()
    return len(rows)
