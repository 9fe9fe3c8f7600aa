"""Measuring after: at decision + horizon a survey round for the treated customers and their
controls, asking customers and experts about the targeted element.

The actions app never imports the surveys app: it asks through
``scoring.extensions.request_measurement``, which the surveys app implements. The controls
are those the report matches (the engine's ``matched_controls``) for actions decided by
hand, and the control group for a campaign's actions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from actions import calculations, formats, selectors
from actions.models import (
    Action,
    ActionCampaign,
    ActionType,
    CampaignAssignment,
    MeasurementRequest,
)
from scoring.extensions import request_measurement

logger = logging.getLogger(__name__)

KINDS = ["customer", "expert"]
# Actions whose horizon passed longer ago than this are not measured any more (e.g. when the
# feature is switched on over an old history): their moment has gone.
LATE_LIMIT = timedelta(days=30)


@dataclass(frozen=True)
class MeasurementResult:
    requested: int  # survey rounds asked for
    actions: int  # actions measured
    customers: int  # customers asked about (treated and controls)


def _due(now: datetime) -> list[Action]:
    """Decided actions whose horizon has come and that were not measured yet."""
    horizons = dict(ActionType.objects.values_list("pk", "horizon_days"))
    campaigns = dict(ActionCampaign.objects.values_list("pk", "horizon_days"))
    candidates = Action.objects.filter(
        decided_at__isnull=False,
        measurement_requested_at__isnull=True,
        decided_at__lte=now - timedelta(days=min([30, *horizons.values()])),
    ).exclude(status=Action.Status.PROPOSED)
    due = []
    for action in candidates.select_related("action_type", "campaign"):
        if action.campaign_id:
            days = campaigns[action.campaign_id]
        else:
            days = horizons[action.action_type_id]
        if action.decided_at is None:  # excluded above (proposals); for the type checker
            continue
        moment = action.decided_at + timedelta(days=days)
        if moment <= now < moment + LATE_LIMIT:
            due.append(action)
    return due


def _reason(action_type: ActionType, element_code: str, today: date) -> str:
    names = selectors.element_names()
    return _("Measurement after “%(type)s” (%(element)s), %(date)s") % {
        "type": action_type.name,
        "element": names.get(element_code, element_code),
        "date": formats.day(today),
    }


def _controls(actions: list[Action], now: datetime) -> dict[int, set[int]]:
    """The matched controls of each hand-decided action (one read, one pass of the engine)."""
    if not actions:
        return {}
    inputs = selectors.effect_inputs(now=now)
    frame = calculations.matched_controls(
        inputs.assessments,
        inputs.scores,
        inputs.elements,
        inputs.actions,
        now=now,
        params=inputs.params,
    )
    wanted = {a.pk for a in actions}
    controls: dict[int, set[int]] = {}
    for action_id, customer_id in frame[["action_id", "customer_id"]].itertuples(index=False):
        if int(action_id) in wanted:
            controls.setdefault(int(action_id), set()).add(int(customer_id))
    return controls


def _request(
    *, action_type: ActionType, element_code: str, treated: Iterable[int], controls: set[int]
) -> str | None:
    treated = set(treated)
    with translation.override("nl"):  # the campaign name management sees in the surveys list
        reason = _reason(action_type, element_code, timezone.localdate())
    return request_measurement(
        customer_ids=sorted(treated | controls),
        element_codes=[element_code] if element_code else [],
        kinds=KINDS,
        reason=reason,
    )


def measurements_request_due(*, now: datetime | None = None) -> MeasurementResult:
    """Ask one survey round per action type × element (and per campaign) for the actions
    whose horizon has come: their customers and their controls, customers and experts, about
    the targeted element (every element for the whole binding). Marks the actions so a second
    run asks nothing twice; with no survey app installed nothing is marked."""
    now = now or timezone.now()
    due = _due(now)
    own = [a for a in due if a.campaign_id is None]
    controls = _controls(own, now) if own else {}
    groups: dict[tuple, list[Action]] = {}
    for action in due:
        if action.campaign_id:
            key: tuple = ("campaign", action.campaign_id)
        else:
            key = ("own", action.action_type_id, action.element_code)
        groups.setdefault(key, []).append(action)
    requested = customers = measured = 0
    for key, actions in groups.items():
        ids = [a.pk for a in actions]
        # Claim the actions first: a second run at the same time finds them taken.
        claimed = Action.objects.filter(pk__in=ids, measurement_requested_at__isnull=True)
        if claimed.update(measurement_requested_at=now) != len(ids):
            Action.objects.filter(pk__in=ids, measurement_requested_at=now).update(
                measurement_requested_at=None
            )
            continue
        first = actions[0]
        if key[0] == "campaign":
            arm = CampaignAssignment.objects.filter(campaign_id=first.campaign_id, arm="control")
            group_controls = set(arm.values_list("customer_id", flat=True))
        else:
            group_controls = set().union(*(controls.get(a.pk, set()) for a in actions))
        treated = {a.customer_id for a in actions}
        try:
            reference = _request(
                action_type=first.action_type,
                element_code=first.element_code,
                treated=treated,
                controls=group_controls - treated,
            )
        except Exception:
            Action.objects.filter(pk__in=ids).update(measurement_requested_at=None)
            raise
        if reference is None:
            Action.objects.filter(pk__in=ids).update(measurement_requested_at=None)
            logger.warning("No survey app to measure %d actions; they wait", len(actions))
            continue
        MeasurementRequest.objects.create(
            action_type=first.action_type,
            element_code=first.element_code,
            requested_at=now,
            treated=len(treated),
            controls=len(group_controls - treated),
            reference=reference[:200],
        )
        requested += 1
        measured += len(actions)
        customers += len(treated | group_controls)
    return MeasurementResult(requested=requested, actions=measured, customers=customers)
