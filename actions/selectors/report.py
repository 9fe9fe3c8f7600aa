"""The effect report: the database read into the engine's input frames, and the page's data.

``effect_inputs`` reads everything the engine needs in a fixed number of queries whatever the
number of customers or actions: the decided actions, the campaign assignments, the action
types' horizons, the assessments and their scores (``actions.assessment_lines``: one line of
numbers per assessment, stored once) and the elements of the scoring model active *now*, so
that every value is computed with today's weights and a weight change cannot create an effect.
"""

from __future__ import annotations

import hashlib
import pickle
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd
from django.db.models import Count, Max
from django.utils import timezone

from actions import assessment_lines, calculations
from actions.models import (
    Action,
    ActionCampaign,
    ActionType,
    CampaignAssignment,
    EffectReportStore,
)
from actions.selectors.actions import element_names
from scoring.conf import rule_params
from scoring.models import Assessment, ScoringModel
from scoring.selectors import elements_frame, scoring_model_active

ACTION_COLUMNS = ("action_id", "customer_id", "action_type_id", "code", "decided_at", "campaign_id")
ASSIGNMENT_COLUMNS = (
    "campaign_id",
    "customer_id",
    "arm",
    "started_at",
    "action_type_id",
    "code",
)


@dataclass(frozen=True)
class EffectInputs:
    """What the engine gets: its frames, its parameters and the analysis moment."""

    assessments: pd.DataFrame
    scores: pd.DataFrame
    elements: pd.DataFrame
    actions: pd.DataFrame
    assignments: pd.DataFrame
    params: calculations.EffectParams
    now: datetime
    model_version: int


def _utc(values: list) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype=object), utc=True)


def effect_params() -> calculations.EffectParams:
    """The engine's settings: the issue's defaults, each action type's own horizon, and the
    binding-score rule's settings."""
    horizons = dict(ActionType.objects.order_by("pk").values_list("pk", "horizon_days"))
    return calculations.EffectParams(horizon_by_type=horizons, rule=rule_params())


@dataclass(frozen=True)
class SmallInputs:
    """The engine's inputs but the assessments: a few thousand rows, read on every request to
    tell whether the stored report is still the report of today's data."""

    actions: pd.DataFrame
    assignments: pd.DataFrame
    params: calculations.EffectParams
    now: datetime
    model: ScoringModel
    elements: pd.DataFrame


def small_inputs(*, now: datetime | None = None) -> SmallInputs:
    """Decided actions, campaign assignments, the settings and the active model's elements."""
    now = now or timezone.now()
    params = effect_params()
    decided = list(
        Action.objects.filter(decided_at__isnull=False, decided_at__lte=now)
        .order_by("pk")
        .values_list(
            "pk", "customer_id", "action_type_id", "element_code", "decided_at", "campaign_id"
        )
    )
    actions = pd.DataFrame(decided, columns=list(ACTION_COLUMNS))
    actions["decided_at"] = _utc(actions["decided_at"].tolist())
    actions["campaign_id"] = actions["campaign_id"].astype("float64")  # NaN: no campaign
    actions = actions.astype({"action_id": "int64", "customer_id": "int64"})
    actions["action_type_id"] = actions["action_type_id"].astype("int64")
    actions["code"] = actions["code"].astype(object)

    assigned = list(
        CampaignAssignment.objects.filter(campaign__launched_at__lte=now)
        .order_by("campaign_id", "customer_id")
        .values_list(
            "campaign_id",
            "customer_id",
            "arm",
            "campaign__launched_at",
            "campaign__action_type_id",
            "campaign__element_code",
        )
    )
    assignments = pd.DataFrame(assigned, columns=list(ASSIGNMENT_COLUMNS))
    assignments["started_at"] = _utc(assignments["started_at"].tolist())
    assignments = assignments.astype(
        {"campaign_id": "int64", "customer_id": "int64", "action_type_id": "int64"}
    )
    model = scoring_model_active()
    return SmallInputs(
        actions=actions,
        assignments=assignments,
        params=params,
        now=now,
        model=model,
        elements=elements_frame(model)[["code", "factor", "weight"]],
    )


def assessments_start(small: SmallInputs) -> datetime:
    """How far back the assessments are read: far enough for the value at the first decision,
    its pre-trend one horizon earlier and the score trend before that."""
    params = small.params
    moments = [*small.actions["decided_at"], *small.assignments["started_at"]]
    first = min(moments) if moments else pd.Timestamp(small.now)
    longest = max([params.horizon_days, *params.horizon_by_type.values()])
    return first.to_pydatetime() - timedelta(
        days=params.rule.validity_days + longest + params.trend_days + 1
    )


def effect_inputs(*, now: datetime | None = None, small: SmallInputs | None = None) -> EffectInputs:
    """The engine's input frames from the database (a fixed number of queries)."""
    small = small or small_inputs(now=now)
    assessments, scores = assessment_lines.assessment_frames(
        start=assessments_start(small), end=small.now
    )
    return EffectInputs(
        assessments=assessments,
        scores=scores,
        elements=small.elements,
        actions=small.actions,
        assignments=small.assignments,
        params=small.params,
        now=small.now,
        model_version=small.model.version,
    )


# Part of every version: raise it when the engine's results or the stored classes change, so
# a release never serves a report computed by the code before it.
ENGINE_VERSION = 1


def report_version(small: SmallInputs) -> str:
    """A hash of everything the report depends on, as of ``small.now``'s local date.

    The small inputs are hashed whole (decided actions, assignments, horizons, the rule's
    settings, the active model's elements); the assessments are append-only (database
    triggers), so their number and highest id say whether any were added. The local date is in
    it because the analysis moment moves pending actions into the estimate: the report is
    recomputed at least once a day.
    """
    summary = Assessment.objects.aggregate(count=Count("pk"), last=Max("pk"))
    digest = hashlib.sha256()
    parts = (
        ENGINE_VERSION,
        timezone.localdate(small.now).isoformat(),
        small.model.pk,
        small.model.version,
        repr(small.params),
        summary["count"],
        summary["last"],
    )
    digest.update(repr(parts).encode())
    for frame in (small.elements, small.actions, small.assignments):
        digest.update(repr(list(frame.columns)).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def effect_report_run(inputs: EffectInputs) -> calculations.EffectReport:
    """The engine over the inputs (no database)."""
    return calculations.effect_report(
        inputs.assessments,
        inputs.scores,
        inputs.elements,
        inputs.actions,
        now=inputs.now,
        assignments=inputs.assignments if len(inputs.assignments) else None,
        departures=None,  # no departures are recorded in this app
        params=inputs.params,
    )


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupView:
    """One group of the report with the names the page shows."""

    result: calculations.GroupResult
    anchor: str
    type_name: str
    element_name: str
    campaign_name: str
    placebo_name: str
    expected_gain: float | None

    @property
    def randomised(self) -> bool:
        return self.result.estimator == calculations.RANDOMISED

    @property
    def title(self) -> str:
        if self.randomised:
            return self.campaign_name
        return f"{self.type_name} · {self.element_name}"

    @property
    def primary(self) -> calculations.OutcomeResult | None:
        return self.result.outcome("customer")

    @property
    def balance_flagged(self) -> bool:
        primary = self.primary
        return bool(primary and any(row.flagged for row in primary.balance))


@dataclass(frozen=True)
class StoredReport:
    """What the store keeps of one computation: the engine's report and what the page says
    about its inputs."""

    report: calculations.EffectReport
    now: datetime
    model_version: int
    params: calculations.EffectParams
    decided_actions: int
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportPage:
    """What the effect report page shows."""

    now: datetime
    model_version: int
    params: calculations.EffectParams
    groups: tuple[GroupView, ...]
    forest: tuple[tuple[GroupView, calculations.ForestRow], ...]
    decided_actions: int
    timings: dict[str, float] = field(default_factory=dict)
    # When the report was computed; None for one computed for this request.
    computed_at: datetime | None = None
    # A newer report (the data changed since) is being computed.
    rebuilding: bool = False


def report_compute(inputs: EffectInputs) -> StoredReport:
    """The engine over the inputs, with the page's facts about them."""
    started = time.perf_counter()
    report = effect_report_run(inputs)
    return StoredReport(
        report=report,
        now=inputs.now,
        model_version=inputs.model_version,
        params=inputs.params,
        decided_actions=len(inputs.actions),
        timings={
            "engine": time.perf_counter() - started,
            **{f"engine:{k}": v for k, v in report.timings.items()},
        },
    )


def report_page(*, now: datetime | None = None) -> ReportPage:
    """The effect report computed now: every campaign and every action type × element."""
    clock = time.perf_counter()
    inputs = effect_inputs(now=now)
    read = time.perf_counter()
    stored = report_compute(inputs)
    return page_of(stored, timings={"read": read - clock, **stored.timings})


def page_of(
    stored: StoredReport,
    *,
    computed_at: datetime | None = None,
    rebuilding: bool = False,
    timings: dict[str, float] | None = None,
) -> ReportPage:
    """The page of a computed report: names in the reader's language, groups in order."""
    report = stored.report
    types = {t.pk: t for t in ActionType.objects.all()}
    campaigns = dict(ActionCampaign.objects.values_list("pk", "name"))
    names = element_names()
    views = []
    for index, group in enumerate(report.groups):
        kind = types.get(group.action_type_id)
        views.append(
            GroupView(
                result=group,
                anchor=f"group-{index + 1}",
                type_name=kind.name if kind else str(group.action_type_id),
                element_name=names.get(group.code, group.code),
                campaign_name=campaigns.get(group.campaign_id, "") if group.campaign_id else "",
                placebo_name=names.get(group.placebo_code or "", "") if group.placebo_code else "",
                expected_gain=float(kind.expected_gain)
                if kind is not None and kind.expected_gain is not None
                else None,
            )
        )
    views.sort(
        key=lambda v: (
            not v.randomised,
            types[v.result.action_type_id].order if v.result.action_type_id in types else 0,
            v.type_name,
            v.element_name,
        )
    )
    by_group = {id(v.result): v for v in views}
    forest_rows = []
    for row in report.forest("customer"):
        group = next(
            g
            for g in report.groups
            if g.action_type_id == row.action_type_id
            and g.code == row.code
            and g.campaign_id == row.campaign_id
            and g.estimator == row.estimator
        )
        forest_rows.append((by_group[id(group)], row))
    order = {id(v): i for i, v in enumerate(views)}
    forest_rows.sort(key=lambda pair: order[id(pair[0])])
    return ReportPage(
        now=stored.now,
        model_version=stored.model_version,
        params=stored.params,
        groups=tuple(views),
        forest=tuple(forest_rows),
        decided_actions=stored.decided_actions,
        timings=dict(timings or {}),
        computed_at=computed_at,
        rebuilding=rebuilding,
    )


def stored_report(key: str) -> tuple[EffectReportStore | None, StoredReport | None]:
    """The store's row and its report read back (None when there is none or it cannot be
    read: a report pickled by another release counts as missing)."""
    row = EffectReportStore.objects.filter(key=key).first()
    if row is None or row.report is None:
        return row, None
    try:
        # Written by services.report_store only, never from user input.
        stored = pickle.loads(bytes(row.report))
    except Exception:  # another release's classes: compute it again
        return row, None
    return row, stored if isinstance(stored, StoredReport) else None


# --------------------------------------------------------------------------------------------
# The export: one row per group × respondent kind × band ("" = all bands)
# --------------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "estimator",
    "action_type",
    "element",
    "campaign",
    "kind",
    "role",
    "unit",
    "horizon_days",
    "band",
    "effect",
    "low",
    "high",
    "too_little_data",
    "n_treated",
    "n_controls",
    "naive_change",
    "treated_total",
    "treated_pending",
    "treated_left",
    "treated_no_baseline",
    "treated_unmatched",
    "treated_not_measurable",
    "treated_used",
    "control_total",
    "control_pending",
    "control_left",
    "control_no_baseline",
    "control_not_measurable",
    "control_used",
    "smd_before_value",
    "smd_binding_score",
    "smd_score_trend",
    "balance_flagged",
    "pre_trend_effect",
    "pre_trend_low",
    "pre_trend_high",
    "pre_trend_flag",
    "placebo_element",
    "placebo_effect",
    "placebo_low",
    "placebo_high",
    "placebo_flag",
)


def _estimate_cells(estimate: calculations.Estimate | None, prefix: str = "") -> dict:
    if estimate is None:
        return {f"{prefix}effect": None, f"{prefix}low": None, f"{prefix}high": None}
    return {
        f"{prefix}effect": estimate.effect,
        f"{prefix}low": estimate.low,
        f"{prefix}high": estimate.high,
    }


def export_rows(page: ReportPage) -> list[dict]:
    """The report as rows for CSV and XLSX: codes, not translated names, so files compare."""
    types = dict(ActionType.objects.values_list("pk", "code"))
    rows = []
    for view in page.groups:
        group = view.result
        for outcome in group.outcomes:
            base = {
                "estimator": group.estimator,
                "action_type": types.get(group.action_type_id, group.action_type_id),
                "element": group.code,
                "campaign": view.campaign_name,
                "kind": outcome.kind,
                "role": outcome.role,
                "unit": group.unit,
                "horizon_days": group.horizon_days,
            }
            estimate = outcome.estimate
            smd = {row.variable: row.smd for row in outcome.balance}
            row = {
                **base,
                "band": "",
                **_estimate_cells(estimate),
                "too_little_data": estimate.too_little_data,
                "n_treated": estimate.n_treated,
                "n_controls": estimate.n_controls,
                "naive_change": outcome.naive_change,
                "smd_before_value": smd.get("before_value"),
                "smd_binding_score": smd.get("binding_score"),
                "smd_score_trend": smd.get("score_trend"),
                "balance_flagged": any(b.flagged for b in outcome.balance),
                **_estimate_cells(outcome.pre_trend, "pre_trend_"),
                "pre_trend_flag": outcome.pre_trend_flag,
                "placebo_element": group.placebo_code or "",
                **_estimate_cells(outcome.placebo, "placebo_"),
                "placebo_flag": outcome.placebo_flag,
            }
            for arm, counts in (("treated", outcome.treated), ("control", outcome.controls)):
                for name in ("total", "pending", "left", "no_baseline", "not_measurable", "used"):
                    row[f"{arm}_{name}"] = getattr(counts, name)
            row["treated_unmatched"] = outcome.treated.unmatched
            rows.append(row)
            for band in outcome.by_band:
                rows.append(
                    {
                        **base,
                        "band": band.band,
                        **_estimate_cells(band.estimate),
                        "too_little_data": band.estimate.too_little_data,
                        "n_treated": band.estimate.n_treated,
                        "n_controls": band.estimate.n_controls,
                    }
                )
    return rows
