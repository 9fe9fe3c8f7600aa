"""Evaluating the alert rules over many customers at once, and keeping episodes.

One evaluation reads the state of the customers (a fixed number of queries), then per rule:

1. resolves the rule's unresolved alerts whose condition no longer holds;
2. for resolved alerts not yet re-armed, tracks since when the condition has been clear and
   re-arms them (the trigger's hysteresis: at once, after REARM_DAYS clear, or when the value
   came back by half the drop);
3. raises an alert for each customer in the rule's scope that enters the condition, unless
   an unresolved or not yet re-armed alert of the rule stands for that customer.

The writes are a few bulk UPDATEs and one bulk INSERT, in one transaction. The database keeps
one unresolved alert per rule and customer (a partial unique constraint): an evaluation that
races another inserts nothing twice.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from alerts import calculations as calc
from alerts import selectors
from alerts.models import Alert, AlertRule
from alerts.triggers import (
    REARM_AT_ONCE,
    REARM_DAYS,
    REARM_RECOVER,
    Trigger,
    get_trigger,
)
from scoring.calculations import BANDS, KINDS, score_change_lines

logger = logging.getLogger(__name__)


@dataclass
class EvaluationResult:
    customers: int = 0
    raised: list[int] = field(default_factory=list)  # ids of the new alerts
    resolved: int = 0
    rearmed: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def _band(code: int) -> str:
    return BANDS[code] if 0 <= code < len(BANDS) else ""


def _number(value: float | None) -> float | None:
    return None if value is None or np.isnan(value) else float(value)


def _lines(state: calc.State, before: calc.Snapshots | None, position: int) -> tuple[list, str]:
    """Why the score moved from ``before`` to now for one customer: the stored lines and the
    element that pulled the score down most ("" when none)."""
    if before is None or before.ids[position] < 0:
        return [], ""
    change = score_change_lines(
        state.codes,
        state.weights.tolist(),
        before.values[position].tolist(),
        state.current.values[position].tolist(),
        before_score=_number(before.score[position]),
        after_score=_number(state.current.score[position]),
    )
    lines = [[line.code or "", round(line.change, 6), line.shown] for line in change.lines]
    falling = [line.code for line in change.lines if line.code is not None and line.change < 0]
    return lines, (falling[0] if falling else "")


def _new_alerts(
    rule: AlertRule, trigger: Trigger, state: calc.State, found: calc.Findings, now: datetime
) -> list[Alert]:
    alerts = []
    current = state.current
    for n, position in enumerate(found.positions.tolist()):
        before = found.before
        lines, top = _lines(state, before, position)
        element = ""
        if found.element is not None and found.element[n] >= 0:
            element = state.codes[int(found.element[n])]
        kind = ""
        if found.kind is not None and found.kind[n] >= 0:
            kind = KINDS[int(found.kind[n])]
        then = before if before is not None and before.ids[position] >= 0 else None
        alerts.append(
            Alert(
                rule=rule,
                customer_id=int(state.customer_ids[position]),
                trigger=trigger.key,
                severity=rule.severity,
                status=Alert.Status.OPEN,
                opened_at=now,
                score_before=_number(then.score[position]) if then is not None else None,
                score_after=_number(current.score[position]),
                band_before=_band(int(then.band[position])) if then is not None else "",
                band_after=_band(int(current.band[position])),
                element_code=element or top,
                respondent_kind=kind,
                value_before=_number(found.value_before[n])
                if found.value_before is not None
                else None,
                value_after=_number(found.value_after[n])
                if found.value_after is not None
                else None,
                snapshot_before_id=int(then.ids[position]) if then is not None else None,
                snapshot_after_id=int(current.ids[position])
                if current.ids[position] >= 0
                else None,
                lines=lines,
            )
        )
    return alerts


def alerts_evaluate(
    *,
    customer_ids: Sequence[int] | None = None,
    now: datetime | None = None,
    rules: Sequence[AlertRule] | None = None,
) -> EvaluationResult:
    """Evaluate the active rules for these customers (all without ids) and keep the episodes.

    Returns the ids of the alerts raised; the caller decides about e-mail (``alerts_notify``).
    """
    now = now or timezone.now()
    started = time.perf_counter()
    result = EvaluationResult()
    pairs = [
        (rule, trigger)
        for rule in (rules if rules is not None else AlertRule.objects.filter(active=True))
        if (trigger := get_trigger(rule.trigger)) is not None
    ]
    rules = [rule for rule, _ in pairs]
    if not rules:
        return result
    lookbacks = set()
    for rule, trigger in pairs:
        if trigger.lookback_param:
            lookbacks.add(int(trigger.clean_params(rule.params)[trigger.lookback_param]))
    state, scoped = selectors.evaluation_state(
        customer_ids=customer_ids, now=now, lookbacks=lookbacks
    )
    in_play = selectors.alerts_in_play(rules, customer_ids)
    result.customers = len(state)
    result.timings["read"] = time.perf_counter() - started

    position_of = pd.Series(np.arange(len(state)), index=state.customer_ids)
    in_play["position"] = (
        position_of.reindex(in_play["customer_id"].to_numpy()).fillna(-1).astype(int).to_numpy()
        if len(in_play)
        else np.zeros(0, dtype=int)
    )
    evaluated = in_play[in_play["position"] >= 0]
    rearm_cutoff = now - timedelta(days=REARM_DAYS)

    to_resolve: dict[bool, list[int]] = defaultdict(list)  # re-armed at once? → ids
    clear_now: list[int] = []  # disarmed alerts whose condition cleared just now
    clear_again: list[int] = []  # disarmed alerts whose condition holds again
    rearm: list[int] = []
    new_alerts: list[Alert] = []
    for rule, trigger in pairs:
        params = trigger.clean_params(rule.params)
        mine = evaluated[evaluated["rule_id"] == rule.pk]
        blocked = np.zeros(len(state), dtype=bool)

        unresolved = mine[mine["resolved_at"].isna()]
        if len(unresolved):
            holds = np.asarray(trigger.holds(state, params, unresolved), dtype=bool)
            recovered = np.zeros(len(unresolved), dtype=bool)
            if trigger.rearm == REARM_RECOVER and trigger.recovered is not None:
                recovered = np.asarray(trigger.recovered(state, params, unresolved), dtype=bool)
            at_once = (trigger.rearm == REARM_AT_ONCE) | recovered
            for alert_id, clears, again in zip(
                unresolved["id"].tolist(), ~holds, at_once, strict=True
            ):
                if clears:
                    to_resolve[bool(again)].append(int(alert_id))
            still = unresolved["position"].to_numpy()[holds]
            blocked[still] = True
            # Resolved now but not re-armed: blocked too.
            blocked[unresolved["position"].to_numpy()[~holds & ~at_once]] = True

        disarmed = mine[mine["resolved_at"].notna()]
        if len(disarmed):
            holds = np.asarray(trigger.holds(state, params, disarmed), dtype=bool)
            recovered = np.zeros(len(disarmed), dtype=bool)
            if trigger.rearm == REARM_RECOVER and trigger.recovered is not None:
                recovered = np.asarray(trigger.recovered(state, params, disarmed), dtype=bool)
            since = pd.to_datetime(disarmed["clear_since"], utc=True)
            has_since = since.notna().to_numpy()
            stayed_clear = ~holds & has_since & (since <= pd.Timestamp(rearm_cutoff)).to_numpy()
            rearmed = (~holds & recovered) | stayed_clear | (trigger.rearm == REARM_AT_ONCE)
            ids = disarmed["id"].to_numpy()
            rearm.extend(int(i) for i in ids[rearmed])
            clear_again.extend(int(i) for i in ids[holds & ~rearmed & has_since])
            clear_now.extend(int(i) for i in ids[~holds & ~rearmed & ~has_since])
            blocked[disarmed["position"].to_numpy()[~rearmed]] = True

        found = trigger.fires(state, params)
        if len(found.positions):
            watched = state.active | trigger.inactive_too
            eligible = selectors.scope_mask(rule, scoped) & watched & ~blocked
            keep = eligible[found.positions]
            if not keep.all():
                found = _subset(found, keep)
            new_alerts.extend(_new_alerts(rule, trigger, state, found, now))
    result.timings["evaluate"] = time.perf_counter() - started - result.timings["read"]

    mark = time.perf_counter()
    with transaction.atomic():
        for rearmed_now, ids in to_resolve.items():
            for chunk in _chunks(ids):
                Alert.objects.filter(pk__in=chunk, resolved_at__isnull=True).update(
                    status=Alert.Status.RESOLVED,
                    resolved_at=now,
                    clear_since=now,
                    rearmed_at=now if rearmed_now else None,
                )
        for chunk in _chunks(rearm):
            Alert.objects.filter(pk__in=chunk).update(rearmed_at=now)
        for chunk in _chunks(clear_now):
            Alert.objects.filter(pk__in=chunk).update(clear_since=now)
        for chunk in _chunks(clear_again):
            Alert.objects.filter(pk__in=chunk).update(clear_since=None)
        if new_alerts:
            # A racing evaluation may have raised the same episode: the constraint keeps one.
            Alert.objects.bulk_create(new_alerts, batch_size=2000, ignore_conflicts=True)
            result.raised = list(
                Alert.objects.filter(
                    opened_at=now, rule__in=rules, resolved_at__isnull=True
                ).values_list("pk", flat=True)
            )
    result.resolved = sum(len(ids) for ids in to_resolve.values())
    result.rearmed = len(rearm)
    result.timings["write"] = time.perf_counter() - mark
    return result


def _subset(found: calc.Findings, keep: np.ndarray) -> calc.Findings:
    def take(values: np.ndarray | None) -> np.ndarray | None:
        return None if values is None else values[keep]

    return calc.Findings(
        positions=found.positions[keep],
        before=found.before,
        element=take(found.element),
        kind=take(found.kind),
        value_before=take(found.value_before),
        value_after=take(found.value_after),
    )


def _chunks(ids: Sequence[int], size: int = 5000) -> list[Sequence[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]
