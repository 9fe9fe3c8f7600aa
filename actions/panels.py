"""What the actions app adds to scoring's pages, through scoring.extensions (scoring never
imports us): the "Actions" panel and timeline entries of the customer page, and the demo step."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from actions import selectors
from actions.models import Action
from scoring.extensions import TimelineEntry
from scoring.models import Customer
from scoring.roles import is_management


def customer_actions(request: HttpRequest, customer: Customer) -> dict | None:
    """The customer page's "Actions" panel: each action's baseline next to today's values.

    The customer page has checked that the user may see the customer.
    """
    panel = selectors.customer_actions(customer)
    may_propose = is_management(request.user) or customer.account_manager_id == request.user.pk
    return {
        "panel": panel,
        "customer": customer,
        "propose_url": reverse("actions:propose") + f"?customer={customer.pk}"
        if may_propose and customer.active
        else "",
    }


def action_timeline(request: HttpRequest, customer: Customer, limit: int) -> list[TimelineEntry]:
    """Proposals, decisions and completions of the customer's actions, newest first."""
    actions = (
        Action.objects.filter(customer=customer)
        .select_related("action_type")
        .order_by("-updated_at", "-pk")[:limit]
    )
    entries = []
    for action in actions:
        url = reverse("actions:action-detail", args=[action.pk])
        entries.append(
            TimelineEntry(
                at=action.proposed_at,
                kind="action",
                title=_("Action proposed: %(title)s") % {"title": action.title},
                detail=action.action_type.name,
                url=url,
                icon="⚑",
            )
        )
        if action.decided_at:
            entries.append(
                TimelineEntry(
                    at=action.decided_at,
                    kind="action",
                    title=_("Action decided: %(title)s") % {"title": action.title},
                    detail=action.action_type.name,
                    url=url,
                    icon="⚑",
                )
            )
        if action.completed_at:
            entries.append(
                TimelineEntry(
                    at=action.completed_at,
                    kind="action",
                    title=_("Action done: %(title)s") % {"title": action.title},
                    detail=action.get_outcome_display(),
                    url=url,
                    icon="✓",
                )
            )
        if action.cancelled_at:
            entries.append(
                TimelineEntry(
                    at=action.cancelled_at,
                    kind="action",
                    title=_("Action cancelled: %(title)s") % {"title": action.title},
                    detail=action.cancel_reason[:120],
                    url=url,
                    icon="✕",
                )
            )
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]


def demo_run(**kwargs: Any) -> str:
    """seed_demo's step: action types are there (migration); actions, a campaign, effects."""
    from actions.demo import seed_actions

    return seed_actions(**kwargs)
