"""Reads about action campaigns: who a target reaches, and what a campaign's page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from actions.models import OPEN_STATUSES, Action, ActionCampaign, CampaignAssignment
from actions.selectors.actions import customer_states
from scoring.models import Customer

if TYPE_CHECKING:
    from actions.services import CampaignTarget


@dataclass(frozen=True)
class Eligible:
    """The customers a campaign's target reaches now, with their baselines, and how many were
    left out and why."""

    customers: tuple[Customer, ...]
    baselines: dict[int, dict]
    matched: int  # customers matching the target before the exclusions
    without_manager: int
    without_value: int
    with_open_action: int
    in_control_group: int


def campaign_eligible(target: CampaignTarget, *, now: datetime) -> Eligible:
    """Active customers with an account manager that match the target (band and element value
    from the current stored score, sector, account manager), leaving out those that already
    have an open action of this type on this element or sit in the control group of a running
    campaign of this type. A fixed number of queries."""
    from actions.selectors.actions import _baseline

    customers = Customer.objects.filter(active=True)
    if target.sector:
        customers = customers.filter(sector=target.sector)
    if target.account_manager_id:
        customers = customers.filter(account_manager_id=target.account_manager_id)
    if target.band:
        customers = customers.filter(snapshots__is_current=True, snapshots__band=target.band)
    candidates = list(customers.order_by("pk").only("pk", "name", "account_manager_id"))
    states = customer_states([c.pk for c in candidates])
    without_value = 0
    if target.element_max is not None:
        limit = float(target.element_max)
        kept = []
        for customer in candidates:
            state = states.get(customer.pk)
            value = state.value(target.element_code) if state else None
            if value is None or value > limit + 1e-9:
                if value is None:
                    without_value += 1
                continue
            kept.append(customer)
        candidates = kept
    matched = len(candidates)
    busy = set(
        Action.objects.filter(
            action_type=target.action_type,
            element_code=target.element_code,
            status__in=OPEN_STATUSES,
        ).values_list("customer_id", flat=True)
    )
    controls = set()
    running = CampaignAssignment.objects.filter(
        arm=CampaignAssignment.Arm.CONTROL, campaign__action_type=target.action_type
    ).values_list("customer_id", "campaign__launched_at", "campaign__horizon_days")
    for customer_id, launched_at, horizon in running:
        if launched_at <= now < launched_at + timedelta(days=horizon):
            controls.add(customer_id)
    eligible = []
    without_manager = with_open = in_control = 0
    for customer in candidates:
        if customer.account_manager_id is None:
            without_manager += 1
        elif customer.pk in busy:
            with_open += 1
        elif customer.pk in controls:
            in_control += 1
        else:
            eligible.append(customer)
    return Eligible(
        customers=tuple(eligible),
        baselines={
            c.pk: _baseline(states[c.pk], target.element_code) for c in eligible if c.pk in states
        },
        matched=matched,
        without_manager=without_manager,
        without_value=without_value,
        with_open_action=with_open,
        in_control_group=in_control,
    )


@dataclass(frozen=True)
class CampaignSummary:
    campaign: ActionCampaign
    action_arm: int
    control_arm: int
    actions_by_status: dict[str, int]
    horizon_ends: datetime


def campaign_list() -> list[CampaignSummary]:
    """Every campaign with the size of its arms (two queries)."""
    campaigns = list(
        ActionCampaign.objects.select_related("action_type").annotate(
            action_arm=Count("assignments", filter=Q(assignments__arm="action")),
            control_arm=Count("assignments", filter=Q(assignments__arm="control")),
        )
    )
    return [
        CampaignSummary(
            campaign=c,
            action_arm=c.action_arm,
            control_arm=c.control_arm,
            actions_by_status={},
            horizon_ends=c.launched_at + timedelta(days=c.horizon_days),
        )
        for c in campaigns
    ]


def campaign_summary(campaign: ActionCampaign) -> CampaignSummary:
    """One campaign: its arms and its actions by status."""
    arms = dict(campaign.assignments.values("arm").annotate(n=Count("pk")).values_list("arm", "n"))
    statuses = dict(
        campaign.actions.values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return CampaignSummary(
        campaign=campaign,
        action_arm=arms.get("action", 0),
        control_arm=arms.get("control", 0),
        actions_by_status=statuses,
        horizon_ends=campaign.launched_at + timedelta(days=campaign.horizon_days),
    )


def campaign_assignments(campaign: ActionCampaign) -> QuerySet[CampaignAssignment]:
    return campaign.assignments.select_related("customer").order_by("arm", "customer__name")
