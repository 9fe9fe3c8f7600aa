"""Reads of the value segments: what the rules run on, a customer's segment, the moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from django.db.models import FilteredRelation, Q, QuerySet

from relations import calculations
from relations.models import CustomerSegment, Segment, SegmentHistory, SegmentRule
from scoring.calculations import band_moves
from scoring.models import Customer


def rule_specs() -> list[calculations.SegmentRuleSpec]:
    """The segment rules in their order, as plain data for ``calculations.assign_segments``."""

    def number(value: Any) -> float | None:
        return None if value is None else float(value)

    return [
        calculations.SegmentRuleSpec(
            segment_id=rule.segment_id,
            payment=tuple(rule.payment or ()),
            bands=tuple(rule.bands or ()),
            revenue_min=number(rule.revenue_min),
            revenue_max=number(rule.revenue_max),
            margin_min=number(rule.margin_min),
            margin_max=number(rule.margin_max),
            potential_min=number(rule.potential_min),
            potential_max=number(rule.potential_max),
            contribution_top=number(rule.contribution_top),
            contribution_tail=number(rule.contribution_tail),
            rule_id=rule.pk,
        )
        for rule in SegmentRule.objects.order_by("order", "pk")
    ]


def segment_frame(customers: QuerySet[Customer] | None = None) -> pd.DataFrame:
    """The active customers' value fields and current band, indexed by customer id: the
    columns ``calculations.assign_segments`` reads. One query."""
    customers = (customers if customers is not None else Customer.objects.all()).filter(active=True)
    rows = (
        customers.annotate(
            current=FilteredRelation("snapshots", condition=Q(snapshots__is_current=True))
        )
        .order_by("pk")
        .values_list(
            "pk",
            "annual_revenue",
            "margin_pct",
            "revenue_potential",
            "payment_behaviour",
            "current__band",
        )
    )
    frame = pd.DataFrame(
        list(rows), columns=["customer_id", "revenue", "margin", "potential", "payment", "band"]
    ).set_index("customer_id")
    for column in ("revenue", "margin", "potential"):
        frame[column] = pd.to_numeric(frame[column].astype(object), errors="coerce").astype(float)
    frame["payment"] = frame["payment"].fillna("").astype(object)
    frame["band"] = frame["band"].fillna("").astype(object)
    return frame


@dataclass(frozen=True)
class CustomerSegmentView:
    segment: Segment | None
    by_rule: Segment | None
    override: Segment | None
    reason: str
    override_by: str
    override_at: object


def customer_segment(customer: Customer) -> CustomerSegmentView:
    """The customer's segment now, what the rules say and any override (one query)."""
    row = (
        CustomerSegment.objects.filter(customer=customer)
        .select_related("segment", "by_rule", "override", "override_by")
        .first()
    )
    if row is None:
        return CustomerSegmentView(None, None, None, "", "", None)
    who = ""
    if row.override_by:
        who = row.override_by.get_full_name() or row.override_by.get_username()
    return CustomerSegmentView(
        row.segment, row.by_rule, row.override, row.override_reason, who, row.override_at
    )


def month_start(day: date) -> date:
    return day.replace(day=1)


@dataclass(frozen=True)
class MovesTable:
    """Segment moves (rows: up, same, down, unknown) × band moves (up, same, down, unknown)."""

    since: date  # the history month compared with now
    rows: list[dict]
    customers: int


def segment_and_band_moves(customers: QuerySet[Customer], since: date) -> MovesTable | None:
    """How the customers in view moved in segment and in band from the month ``since`` falls in
    (as recorded on that month's 1st; the nearest recorded month before it, else the first
    one) to now: counts crossed. Three queries."""
    months = SegmentHistory.objects.order_by("month").values_list("month", flat=True)
    month = months.filter(month__lte=month_start(since)).last() or months.first()
    if month is None:
        return None
    before = list(
        SegmentHistory.objects.filter(
            month=month, customer__in=customers.order_by().values("pk")
        ).values_list("customer_id", "segment_id", "band")
    )
    if not before:
        return None
    now_rows = list(
        CustomerSegment.objects.filter(customer__in=customers.order_by().values("pk"))
        .annotate(
            current=FilteredRelation(
                "customer__snapshots", condition=Q(customer__snapshots__is_current=True)
            )
        )
        .values_list("customer_id", "segment_id", "current__band")
    )
    rank = dict(Segment.objects.values_list("pk", "order"))
    index = pd.Index(sorted({c for c, _s, _b in before} | {c for c, _s, _b in now_rows}))
    seg_before = pd.Series({c: s for c, s, _b in before if s is not None}, dtype=object)
    seg_after = pd.Series({c: s for c, s, _b in now_rows if s is not None}, dtype=object)
    band_before = pd.Series({c: b or "" for c, _s, b in before}, dtype=object)
    band_after = pd.Series({c: b or "" for c, _s, b in now_rows}, dtype=object)
    segment_move = calculations.segment_moves(seg_before, seg_after, rank, index)
    direction = band_moves(band_before, band_after, index)["direction"].astype(object)
    labels = [calculations.UP, calculations.SAME, calculations.DOWN, ""]
    table = calculations.crossing(segment_move, direction, labels, labels)
    rows = [{"move": move, "cells": [int(table.loc[move, d]) for d in labels]} for move in labels]
    return MovesTable(since=month, rows=rows, customers=len(index))
