"""Builders for relations test data: segments, contacts logged through the service."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from relations import services
from relations.models import ContactMoment, CustomerSegment, Segment
from scoring.models import Customer


def segment(code: str) -> Segment:
    """One of the default segments: thriving, engaging or draining."""
    return Segment.objects.get(code=code)


def put_in(customer: Customer, code: str) -> Customer:
    """Give the customer this segment as if the rules said so, and its rhythm."""
    chosen = segment(code)
    CustomerSegment.objects.update_or_create(
        customer=customer,
        defaults={"by_rule": chosen, "segment": chosen, "assigned_at": timezone.now()},
    )
    services.cadence_refresh(customer_ids=[customer.pk])
    return customer


def log(
    customer: Customer,
    kind: str = "visit",
    *,
    days_ago: float = 0,
    user=None,
    summary: str = "Bijgepraat",
    at: datetime | None = None,
) -> ContactMoment:
    """Log a contact through the service (which recomputes the rhythm)."""
    return services.contact_log(
        customer=customer,
        kind=kind,
        at=at or timezone.now() - timedelta(days=days_ago),
        summary=summary,
        user=user or customer.account_manager,
    )
