"""The effect report's statistics engine (issue 13, item 5): pure maths, no Django.

Which improvement actions raised the wall? For every action type × element this module
estimates the change an action caused in what *customers* (primary), *experts* (secondary) and
staff (for information only) score, against customers who did not get it:

- **randomised** (action campaigns with a holdout): mean change in the action arm minus mean
  change in the control arm, 95 % Welch interval;
- **matched difference-in-differences** (every action not decided through a campaign): each
  treated customer against its 3 nearest like customers, 95 % bootstrap interval.

Values follow DESIGN.md §3 exactly, with the scoring model active at analysis time (``elements``),
so a weight change cannot create an effect.

Input contract (what the selector hands over)
---------------------------------------------
``assessments`` and ``scores``: the two frames of ``scoring.calculations`` (as
    ``scoring.selectors.assessment_frames`` returns them), for every submitted assessment from
    ``validity_days + horizon_days + trend_days`` before the first decision up to ``now``:
    ``assessments``: ``id``, ``customer_id``, ``kind`` (staff|customer|expert), ``respondent``
    (lower-cased e-mail), ``assessed_at`` (tz-aware); ``scores``: ``assessment_id``, ``code``,
    ``value`` (0–6; rows of "don't know" may be left out). An assessment without any answered
    value must still be in ``assessments``: it replaces its respondent's earlier one.
``elements``: the active scoring model, ``code``, ``factor``, ``weight`` (``elements_frame``).
``actions``: one row per *decided* action (leave out proposals; keep cancelled ones: an action
    is measured as decided, intention to treat): ``action_id`` (int), ``customer_id`` (int),
    ``action_type_id`` (int), ``code`` (element code, "" for the whole binding), ``decided_at``
    (tz-aware), ``campaign_id`` (int, or None/NaN when not decided through a campaign).
``assignments`` (optional): one row per customer assigned in an action campaign:
    ``campaign_id``, ``customer_id``, ``arm`` ("action"|"control"), ``started_at`` (tz-aware, the
    campaign's start: both arms are measured from it), ``action_type_id``, ``code``.
``departures`` (optional): ``customer_id``, ``left_at`` (tz-aware) of customers that left.
``now``: the analysis moment; a customer whose decision + horizon is after ``now`` is pending.
``params``: ``EffectParams`` (horizon, calipers, neighbours, resamples, seed, minimum counts,
    and the rule's own ``RuleParams``: validity, source weights, band thresholds).

Output contract
---------------
``effect_report(...)`` returns an ``EffectReport``: one ``GroupResult`` per campaign (randomised)
and per action type × element of the other actions (matched), each with one ``OutcomeResult``
per respondent kind (customer = primary, expert = secondary, staff = information). Every
``Estimate`` carries its n; under ``min_treated`` treated or ``min_controls`` controls it is
``too_little_data`` and its ``effect``/``low``/``high`` are None (never a point estimate).
``EffectReport.forest()`` gives the rows of the forest plot. Element outcomes are on the 0–6
scale (``unit == "scale"``); whole-binding outcomes are binding-score points (``"points"``).

Definitions
-----------
- *Value of an element at a moment* for kind k: each respondent's latest assessment of the
  customer with ``moment − validity ≤ assessed_at ≤ moment``; the mean of that kind's answered
  values (m_ek of §3). For the whole binding: the binding score by §3 over kind k's answers only.
- *Before* = the value at the decision moment d. *After* = the value at d + horizon from
  assessments made after d only (d < assessed_at ≤ d + horizon). Change = after − before.
- *Band, binding score* at d: §3 over all kinds (source weights). *Score trend* = binding score
  at d minus binding score at d − ``trend_days`` (0 where either is missing).
- *Controls* (matched): customers without an action of this type and without an action on this
  element (for the whole binding: without any action) decided within ``horizon_days`` before or
  after d, who had not left at d. A control is evaluated at the start (00:00 UTC) of the
  decision's day: candidates are looked up on a daily grid (see ``_StateGrid``).
- *Pre-trend*: the same estimate one horizon earlier (before = d − horizon, after = d from
  assessments in (d − horizon, d]); flagged when its interval excludes 0.
- *Placebo*: the same estimate, same pairs, on one element the action did not target: of the
  elements outside the target's factor, the one with the most treated customers measurable on
  it by the primary kind (ties: model order). None for the whole binding.
- *Counts* per arm (``ArmCounts``): total, pending (horizon not reached), left (within the
  horizon), no baseline (no value before), unmatched (no control inside the calipers), not
  measurable (no value after, or no measurable control), used (in the estimate).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from scoring.calculations import BANDS, KINDS, RuleParams

RANDOMISED = "randomised"
MATCHED = "matched"
WHOLE_BINDING = ""  # the code of an action on the whole binding
ROLES = {"customer": "primary", "expert": "secondary", "staff": "information"}
MATCHING_VARIABLES = ("before_value", "binding_score", "score_trend")


@dataclass(frozen=True)
class EffectParams:
    """The report's settings; defaults are issue 13's."""

    horizon_days: int = 180
    # An action type may set its own horizon (action_type_id → days).
    horizon_by_type: Mapping[int, int] = field(default_factory=dict)
    trend_days: int = 180
    caliper_element: float = 0.5  # on the 0–6 scale
    caliper_score: float = 5.0  # binding-score points
    neighbours: int = 3
    resamples: int = 2000
    seed: int = 13
    confidence: float = 0.95
    min_treated: int = 10
    min_controls: int = 10
    smd_flag: float = 0.1
    outcome_kinds: tuple[str, ...] = ("customer", "expert", "staff")
    rule: RuleParams = field(default_factory=RuleParams)

    def horizon_for(self, action_type_id: int) -> int:
        return int(self.horizon_by_type.get(action_type_id, self.horizon_days))


@dataclass(frozen=True)
class Estimate:
    """One effect with its interval; None values when there is too little data."""

    effect: float | None
    low: float | None
    high: float | None
    n_treated: int  # treated customers in the estimate (action arm when randomised)
    n_controls: int  # distinct controls in the estimate (control arm when randomised)
    too_little_data: bool

    @property
    def excludes_zero(self) -> bool:
        """The interval lies entirely above or below 0 (False without an estimate)."""
        if self.too_little_data or self.low is None or self.high is None:
            return False
        return self.low > 0 or self.high < 0


@dataclass(frozen=True)
class ArmCounts:
    """What became of the customers of one arm.

    ``total`` = pending + left + no_baseline + unmatched + not_measurable + used. For the matched
    control arm ``total`` is the number of distinct controls matched to the treated.
    """

    arm: str  # "treated" | "control"
    total: int
    pending: int = 0
    left: int = 0
    no_baseline: int = 0
    unmatched: int = 0
    not_measurable: int = 0
    used: int = 0

    @property
    def matched(self) -> int:
        """Treated with at least one control inside the calipers (measurable or not)."""
        return self.total - self.pending - self.left - self.no_baseline - self.unmatched


@dataclass(frozen=True)
class BalanceRow:
    """One matching variable: means per arm and the standardised mean difference."""

    variable: str  # one of MATCHING_VARIABLES
    mean_treated: float | None
    mean_control: float | None
    smd: float | None
    flagged: bool  # |smd| > params.smd_flag


@dataclass(frozen=True)
class BandResult:
    band: str  # the band at the decision moment
    estimate: Estimate


@dataclass(frozen=True)
class OutcomeResult:
    """The effect on what one respondent kind scores."""

    kind: str  # customer | expert | staff
    role: str  # primary | secondary | information
    estimate: Estimate
    naive_change: float | None  # mean before→after change of the treated alone
    treated: ArmCounts
    controls: ArmCounts
    balance: tuple[BalanceRow, ...]
    pre_trend: Estimate
    pre_trend_flag: bool  # the pre-trend interval excludes 0
    placebo: Estimate | None  # None for the whole binding
    placebo_flag: bool  # the placebo interval excludes 0
    by_band: tuple[BandResult, ...]


@dataclass(frozen=True)
class GroupResult:
    """One row of the report: a campaign (randomised) or an action type × element (matched)."""

    estimator: str  # RANDOMISED | MATCHED
    action_type_id: int
    code: str  # element code, WHOLE_BINDING for the whole binding
    campaign_id: int | None
    horizon_days: int
    unit: str  # "scale" (element, 0–6) | "points" (binding score, 0–100)
    placebo_code: str | None
    outcomes: tuple[OutcomeResult, ...]

    def outcome(self, kind: str) -> OutcomeResult | None:
        return next((o for o in self.outcomes if o.kind == kind), None)


@dataclass(frozen=True)
class ForestRow:
    """One line of the forest plot."""

    estimator: str
    action_type_id: int
    code: str
    campaign_id: int | None
    kind: str
    unit: str
    effect: float | None
    low: float | None
    high: float | None
    n_treated: int
    n_controls: int
    too_little_data: bool

    @property
    def negative(self) -> bool:
        """Drawn in red: a point estimate below 0."""
        return self.effect is not None and self.effect < 0


@dataclass(frozen=True)
class EffectReport:
    now: datetime
    params: EffectParams
    groups: tuple[GroupResult, ...]
    timings: Mapping[str, float]  # seconds per stage, for the benchmark's split

    def forest(self, kind: str = "customer") -> tuple[ForestRow, ...]:
        """The forest plot's rows for one respondent kind, in the order of ``groups``."""
        rows = []
        for group in self.groups:
            outcome = group.outcome(kind)
            if outcome is None:
                continue
            e = outcome.estimate
            rows.append(
                ForestRow(
                    estimator=group.estimator,
                    action_type_id=group.action_type_id,
                    code=group.code,
                    campaign_id=group.campaign_id,
                    kind=kind,
                    unit=group.unit,
                    effect=e.effect,
                    low=e.low,
                    high=e.high,
                    n_treated=e.n_treated,
                    n_controls=e.n_controls,
                    too_little_data=e.too_little_data,
                )
            )
        return tuple(rows)


def effect_report(
    assessments: pd.DataFrame,
    scores: pd.DataFrame,
    elements: pd.DataFrame,
    actions: pd.DataFrame,
    *,
    now: datetime,
    assignments: pd.DataFrame | None = None,
    departures: pd.DataFrame | None = None,
    params: EffectParams | None = None,
) -> EffectReport:
    """The whole effect report: every campaign and every action type × element."""
    raise NotImplementedError  # the engine follows; the contract above is fixed


__all__ = [
    "BANDS",
    "KINDS",
    "MATCHED",
    "MATCHING_VARIABLES",
    "RANDOMISED",
    "ROLES",
    "WHOLE_BINDING",
    "ArmCounts",
    "BalanceRow",
    "BandResult",
    "EffectParams",
    "EffectReport",
    "Estimate",
    "ForestRow",
    "GroupResult",
    "OutcomeResult",
    "effect_report",
]
