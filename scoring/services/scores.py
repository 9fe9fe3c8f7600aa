"""Writes of stored scores: refreshing the customers' snapshots with the active model, and
writing a portfolio's score history at past moments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from scoring import calculations, selectors, snapshots
from scoring.conf import rule_params
from scoring.models import Customer, ScoreSnapshot


@dataclass(frozen=True)
class RefreshResult:
    """How many customers a refresh computed and how many got a new snapshot, and of those
    what a user notices (counted as the publish preview counts it: ``result_changes``)."""

    customers: int
    changed: int
    computed_at: datetime
    band_changes: int = 0
    score_changes: int = 0
    coverage_changes: int = 0
    provisional_changes: int = 0


def _result(
    customers: int,
    rows: Sequence[dict[str, Any]],
    current: dict[int, snapshots.Current],
    now: datetime,
) -> RefreshResult:
    """The refresh's counts: the new snapshots compared with the current ones they replace."""
    before = [current.get(row["customer_id"]) for row in rows]
    counts = calculations.result_changes(
        before={
            "binding_score": [b.binding_score if b else None for b in before],
            "band": [b.band if b else "" for b in before],
            "coverage": [b.coverage if b else 0.0 for b in before],
            "provisional": [b.provisional if b else True for b in before],
        },
        after={name: [row[name] for row in rows] for name in calculations.CHANGE_FIELDS},
    )
    return RefreshResult(customers=customers, changed=len(rows), computed_at=now, **counts)


# Up to this many customers a refresh runs the one-customer rule per customer: the portfolio
# rule's frames cost 35–50 ms whatever their size, the one-customer rule well under 1 ms each.
FEW_CUSTOMERS = 50


def scores_refresh(
    *,
    customer_ids: Sequence[int] | None = None,
    now: datetime | None = None,
    publishing: bool = False,
) -> RefreshResult:
    """Recompute the binding score of these customers (all without ids) and store what changed.

    One vectorised pass of the rule (a few customers, as after a submit: the one-customer
    rule, which gives the same numbers and snapshots); a new snapshot is written only for
    customers whose result differs from their current one, and it becomes the current one.
    ``publishing``: the refresh of a model publish, whose re-scoring is not a movement
    (``snapshots.previous_scores``).
    """
    now = now or timezone.now()
    if customer_ids is not None and len(set(customer_ids)) <= FEW_CUSTOMERS:
        return _few_refresh(sorted(set(customer_ids)), now=now, publishing=publishing)
    params = rule_params()
    scoring_model = selectors.scoring_model_active()
    elements = selectors.elements_frame(scoring_model)
    if customer_ids is None:
        universe = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
        scope: Sequence[int] | None = None
    else:
        universe = sorted(set(customer_ids))
        scope = universe
    assessments, scores = selectors.assessment_frames(
        start=params.window_start(now), end=now, customer_ids=scope
    )
    last_assessed = selectors.last_assessed_at(end=now, customer_ids=scope)
    current = snapshots.current_fingerprints(
        scope, scoring_model=scoring_model, publishing=publishing
    )
    result = calculations.compute_portfolio(
        assessments, scores, elements, now=now, params=params, customer_ids=universe
    )
    new_snapshots = snapshots.changed_snapshots(
        result, scoring_model=scoring_model, now=now, last_assessed=last_assessed, current=current
    )
    with transaction.atomic():
        snapshots.snapshots_store(new_snapshots)
    return _result(len(universe), new_snapshots, current, now)


def _few_refresh(customer_ids: list[int], *, now: datetime, publishing: bool) -> RefreshResult:
    """``scores_refresh`` of a few customers, without frames."""
    scoring_model = selectors.scoring_model_active()
    results = selectors.customer_results(customer_ids, now=now, scoring_model=scoring_model)
    current = snapshots.current_fingerprints(
        customer_ids, scoring_model=scoring_model, publishing=publishing
    )
    new_snapshots = snapshots.customer_snapshots(
        results,
        scoring_model=scoring_model,
        now=now,
        last_assessed=selectors.last_assessed_at(end=now, customer_ids=customer_ids),
        current=current,
    )
    with transaction.atomic():
        snapshots.snapshots_store(new_snapshots)
    return _result(len(customer_ids), new_snapshots, current, now)


def scores_backfill(*, moments: Sequence[datetime]) -> int:
    """Write the score history at past moments (oldest first) from the stored assessments.

    Gives a freshly seeded or imported portfolio its history: the rule is applied as it stood
    at each moment, with the active model, and a snapshot is kept where the result changed.
    Moments must lie after every stored snapshot. Returns the number of snapshots written.
    """
    moments = sorted(moments)
    if not moments:
        return 0
    if ScoreSnapshot.objects.filter(computed_at__gte=moments[0]).exists():
        raise ValueError("backfill moments must lie after every stored snapshot")
    params = rule_params()
    scoring_model = selectors.scoring_model_active()
    elements = selectors.elements_frame(scoring_model)
    universe = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    assessments, scores = selectors.assessment_frames(
        start=params.window_start(moments[0]), end=moments[-1]
    )
    before = selectors.last_assessed_at(end=params.window_start(moments[0]))
    current = snapshots.current_fingerprints(scoring_model=scoring_model)
    written: list[dict[str, Any]] = []
    latest_written: dict[int, dict[str, Any]] = {}
    for moment in moments:
        result = calculations.compute_portfolio(
            assessments, scores, elements, now=moment, params=params, customer_ids=universe
        )
        seen = assessments[assessments["assessed_at"] <= moment]
        last_assessed = dict(before)
        last_assessed.update(
            {
                int(k): v.to_pydatetime()
                for k, v in seen.groupby("customer_id")["assessed_at"].max().items()
            }
        )
        new = snapshots.changed_snapshots(
            result,
            scoring_model=scoring_model,
            now=moment,
            last_assessed=last_assessed,
            current=current,
        )
        for row in new:
            if row["customer_id"] in latest_written:
                latest_written[row["customer_id"]]["is_current"] = False
            latest_written[row["customer_id"]] = row
            current[row["customer_id"]] = snapshots.Current(
                row["fingerprint"], row["binding_score"]
            )
        written.extend(new)
    with transaction.atomic():
        snapshots.snapshots_store(written)
    return len(written)
