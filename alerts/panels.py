"""Alerts on scoring's customer page: a panel with the unresolved ones, and the timeline."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from alerts import selectors
from alerts.models import Alert
from scoring.extensions import TimelineEntry
from scoring.models import Customer


def customer_alerts(request: HttpRequest, customer: Customer) -> dict | None:
    """The customer's unresolved alerts (the page already checked the user may see it)."""
    alerts = list(
        selectors.alerts_visible_to(request.user)
        .filter(customer=customer, resolved_at__isnull=True)
        .select_related("customer", "rule")
        .order_by("-opened_at")[:10]
    )
    if not alerts:
        return None
    return {"rows": selectors.alert_rows(alerts), "customer": customer}


def alert_timeline(request: HttpRequest, customer: Customer, limit: int) -> list[TimelineEntry]:
    """Alerts raised about the customer, in its timeline."""
    alerts = (
        selectors.alerts_visible_to(request.user)
        .filter(customer=customer)
        .select_related("customer", "rule")
        .order_by("-opened_at", "-pk")[:limit]
    )
    entries = []
    for row in selectors.alert_rows(list(alerts)):
        alert: Alert = row.alert
        entries.append(
            TimelineEntry(
                at=alert.opened_at,
                kind="alert",
                title=row.trigger_label,
                detail=row.headline,
                url=reverse("alerts:detail", args=[alert.pk]),
                icon="⚑",
            )
        )
    return entries
