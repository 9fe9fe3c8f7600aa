"""Builders for the actions tests: action types and actions made through the services."""

from __future__ import annotations

from datetime import date, datetime

from actions import services
from actions.models import Action, ActionType
from tests.factories import manager


def action_type(code: str = "knowledge-event") -> ActionType:
    """One of the action types the migration seeds (knowledge event aims at knowledge_advantage)."""
    return ActionType.objects.get(code=code)


def make_action(
    customer,
    *,
    by=None,
    type_code: str = "knowledge-event",
    element: str | None = None,
    decide: bool = True,
    title: str = "Kennissessie",
    due_on: date | None = None,
    now: datetime | None = None,
    origin: str = Action.Origin.MANUAL,
) -> Action:
    """An action on ``customer`` proposed (and by default decided) by management."""
    kind = action_type(type_code)
    return services.action_propose(
        customer=customer,
        action_type=kind,
        element_code=kind.element_code if element is None else element,
        title=title,
        by=by or manager("mira"),
        decide=decide,
        due_on=due_on,
        now=now,
        origin=origin,
    )
