"""Writes on action campaigns: launching one assigns each targeted customer once, from a hash of
campaign and customer, to the action or the control group, and opens the action group's
actions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from actions import selectors
from actions.models import Action, ActionCampaign, ActionStep, ActionType, CampaignAssignment
from actions.services.actions import apply_baseline, management_only

Status = Action.Status
Arm = CampaignAssignment.Arm


def campaign_draw(campaign_id: int, customer_id: int) -> float:
    """A number in [0, 1) from a hash of the campaign and the customer: the same pair always
    gives the same number, so an assignment can be checked and reproduced at any time."""
    digest = hashlib.sha256(f"action-campaign:{campaign_id}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def arm_of(draw: float, holdout_pct: int) -> str:
    """Control below the holdout share, action above it."""
    return Arm.CONTROL if draw < holdout_pct / 100 else Arm.ACTION


@dataclass(frozen=True)
class CampaignTarget:
    """Who a campaign aims at; empty fields do not narrow."""

    action_type: ActionType
    element_code: str
    band: str = ""
    element_max: Decimal | float | None = None
    sector: str = ""
    account_manager_id: int | None = None


def campaign_launch(
    *,
    name: str,
    target: CampaignTarget,
    holdout_pct: int,
    horizon_days: int,
    due_on: date,
    by: User,
    rationale: str = "",
    now: datetime | None = None,
) -> ActionCampaign:
    """Launch a campaign: assign every targeted customer once to action or control (from the
    hash of campaign and customer), store the assignments, and open an action for each customer
    in the action arm, decided now with its baseline frozen."""
    management_only(by, _("Only management launches campaigns."))
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors.setdefault("name", []).append(_("Give the campaign a name."))
    if not 5 <= int(holdout_pct) <= 80:
        errors.setdefault("holdout_pct", []).append(
            _("The control group is between %(low)d and %(high)d %% of the customers.")
            % {"low": 5, "high": 80}
        )
    if due_on < timezone.localdate(now):
        errors.setdefault("due_on", []).append(_("The due date lies in the past."))
    if target.element_code and target.element_code not in selectors.active_element_codes():
        errors.setdefault("element_code", []).append(
            _("“%(code)s” is not an element of the active scoring model.")
            % {"code": target.element_code}
        )
    if not target.action_type.active:
        errors.setdefault("action_type", []).append(_("This action type is no longer used."))
    if errors:
        raise ValidationError(errors)
    eligible = selectors.campaign_eligible(target, now=now)
    if not eligible.customers:
        raise ValidationError(
            _("No customer matches this target: widen it (band, element value, sector).")
        )
    with transaction.atomic():
        campaign = ActionCampaign.objects.create(
            name=name.strip(),
            action_type=target.action_type,
            element_code=target.element_code,
            target_band=target.band,
            target_element_max=target.element_max,
            target_sector=target.sector,
            target_account_manager_id=target.account_manager_id,
            holdout_pct=int(holdout_pct),
            horizon_days=int(horizon_days),
            due_on=due_on,
            rationale=(rationale or "").strip(),
            created_by=by,
            launched_at=now,
        )
        _campaign_assign(campaign, eligible, now=now, by=by)
    return campaign


def _campaign_assign(
    campaign: ActionCampaign,
    eligible: selectors.Eligible,
    *,
    now: datetime,
    by: User,
) -> None:
    """Store each eligible customer's arm and open the action arm's actions (in bulk)."""
    assignments = []
    treated = []
    for customer in eligible.customers:
        draw = campaign_draw(campaign.pk, customer.pk)
        arm = arm_of(draw, campaign.holdout_pct)
        assignments.append(
            CampaignAssignment(
                campaign=campaign, customer=customer, arm=arm, draw=draw, assigned_at=now
            )
        )
        if arm == Arm.ACTION:
            treated.append(customer)
    CampaignAssignment.objects.bulk_create(assignments, batch_size=2000)
    action_type = campaign.action_type
    actions = []
    for customer in treated:
        action = Action(
            customer=customer,
            action_type=action_type,
            element_code=campaign.element_code,
            title=campaign.name[:200],
            rationale=campaign.rationale,
            origin=Action.Origin.CAMPAIGN,
            campaign=campaign,
            status=Status.OPEN,
            owner_id=cast(int, customer.account_manager_id),  # eligible ones have one
            due_on=campaign.due_on,
            proposed_by=by,
            proposed_at=now,
            decided_by=by,
            decided_at=now,
        )
        apply_baseline(action, eligible.baselines.get(customer.pk, {}))
        actions.append(action)
    created = Action.objects.bulk_create(actions, batch_size=1000)
    if not created or created[0].pk is None:  # databases that return no keys from bulk inserts
        created = list(Action.objects.filter(campaign=campaign).order_by("pk"))
    steps = [
        ActionStep(
            action=action,
            position=position,
            text_nl=(step.get("nl") or "")[:300],
            text_en=(step.get("en") or "")[:300],
        )
        for action in created
        for position, step in enumerate(action_type.checklist, start=1)
    ]
    ActionStep.objects.bulk_create(steps, batch_size=5000)
