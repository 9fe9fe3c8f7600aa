"""Writes of the value segments: assigning them by the rules, an account manager's override,
the monthly history, and saving what management edits (rules, rhythms, names)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import FilteredRelation, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from relations import calculations
from relations.models import CustomerSegment, Segment, SegmentHistory
from relations.selectors.segments import month_start, rule_specs, segment_frame
from relations.services.cadence import cadence_refresh
from scoring.models import Customer

REASON_MAX = int(CustomerSegment._meta.get_field("override_reason").max_length or 300)


@dataclass(frozen=True)
class SegmentSummary:
    customers: int
    per_segment: dict[int, int]  # segment id → customers (by the rules)
    unmatched: int
    changed: int = 0  # customers whose segment changed


def segments_assign(
    *, now: datetime | None = None, refresh_cadence: str = "changed"
) -> SegmentSummary:
    """Give every active customer the segment of the first rule it meets (overrides stay in
    force); only the customers whose segment changed are written. Then the contact rhythms
    follow: of the changed customers (``refresh_cadence="changed"``), of all of them
    (``"all"``, after a rhythm or a segment's order changed) or none (``"none"``). A fixed
    number of queries."""
    now = now or timezone.now()
    frame = segment_frame()
    segments, _which = calculations.assign_segments(frame, rule_specs())
    stored = {
        customer_id: (by_rule, segment, override)
        for customer_id, by_rule, segment, override in CustomerSegment.objects.values_list(
            "customer_id", "by_rule_id", "segment_id", "override_id"
        )
    }
    rows = []
    for customer_id, segment_id in zip(frame.index.tolist(), segments.tolist(), strict=True):
        by_rule = int(segment_id) if segment_id >= 0 else None
        _old_rule, old_segment, override = stored.get(customer_id, (None, None, None))
        if customer_id in stored and (_old_rule, old_segment) == (by_rule, override or by_rule):
            continue
        rows.append(
            CustomerSegment(
                customer_id=int(customer_id),
                by_rule_id=by_rule,
                segment_id=override or by_rule,
                assigned_at=now,
            )
        )
    with transaction.atomic():
        CustomerSegment.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["customer"],
            update_fields=["by_rule", "segment", "assigned_at"],
        )
        if refresh_cadence == "all":
            cadence_refresh(now=now)
        elif refresh_cadence == "changed" and rows:
            cadence_refresh(customer_ids=[row.customer_id for row in rows], now=now)
    counts: dict[int, int] = {}
    for segment_id in segments.tolist():
        if segment_id >= 0:
            counts[int(segment_id)] = counts.get(int(segment_id), 0) + 1
    return SegmentSummary(len(frame), counts, int((segments < 0).sum()), len(rows))


def segment_override(
    *,
    customer: Customer,
    segment: Segment | None,
    reason: str = "",
    user: User,
    now: datetime | None = None,
) -> CustomerSegment:
    """Put the customer in ``segment`` whatever the rules say (a reason is required), or give
    it back to the rules (``segment`` None). The rhythm follows at once."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if segment is not None and not reason:
        raise ValidationError({"reason": [_("Say why this customer belongs in another segment.")]})
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {
                "reason": [
                    _("The reason is too long: at most %(limit)d characters.")
                    % {"limit": REASON_MAX}
                ]
            }
        )
    with transaction.atomic():
        row, _created = CustomerSegment.objects.select_for_update().get_or_create(
            customer=customer, defaults={"assigned_at": now}
        )
        row.override = segment
        row.override_reason = reason if segment else ""
        row.override_by = user if segment else None
        row.override_at = now if segment else None
        row.segment = segment or row.by_rule
        row.save()
        cadence_refresh(customer_ids=[customer.pk], now=now)
    return row


def segment_history_record(*, month: date | None = None, now: datetime | None = None) -> int:
    """Record every active customer's segment and band for ``month`` (default: this month),
    as the monthly history; recording a month again overwrites it."""
    now = now or timezone.now()
    month = month_start(month or timezone.localdate(now))
    rows = (
        Customer.objects.filter(active=True)
        .annotate(current=FilteredRelation("snapshots", condition=Q(snapshots__is_current=True)))
        .values_list("pk", "segment_assignment__segment_id", "current__band")
    )
    history = [
        SegmentHistory(customer_id=pk, month=month, segment_id=segment_id, band=band or "")
        for pk, segment_id, band in rows
    ]
    with transaction.atomic():
        SegmentHistory.objects.bulk_create(
            history,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["customer", "month"],
            update_fields=["segment", "band"],
        )
    return len(history)


def segments_monthly(*, now: datetime | None = None) -> int:
    """The 1st of the month: assign the segments afresh and record them for the month."""
    now = now or timezone.now()
    segments_assign(now=now, refresh_cadence="all")
    return segment_history_record(now=now)


def setup_save(*, formset: Any, reassign: bool = True) -> SegmentSummary | None:
    """Save what management edited on a set-up page (rules, rhythms, names) and bring the
    segments and rhythms in line with it, all in one transaction."""
    with transaction.atomic():
        formset.save()
        if reassign:
            return segments_assign(refresh_cadence="all")
    return None
