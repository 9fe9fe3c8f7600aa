"""The binding-score rule (DESIGN.md §3): pure maths on DataFrames, no Django.

This is the one place the rule lives. A whole portfolio is computed in one vectorised pass;
one customer goes through the same code with smaller frames.

Input frames
------------
``assessments``: one row per submitted assessment, columns
    ``id`` (int), ``customer_id`` (int), ``kind`` (staff|customer|expert),
    ``respondent`` (e-mail, compared as given; callers lower-case it),
    ``assessed_at`` (tz-aware datetime).
``scores``: one row per element score, columns ``assessment_id`` (int), ``code`` (str),
    ``value`` (float, NaN for "don't know").
``elements``: the active scoring model, columns ``code``, ``factor``, ``weight`` (> 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

SCALE_MAX = 6.0
FACTORS = ("satisfaction", "alternatives", "investment")
KINDS = ("staff", "customer", "expert")
BANDS = ("red", "orange", "yellow", "green")
RESULT_COLUMNS = (
    "binding_score",
    *FACTORS,
    "coverage",
    "provisional",
    "band",
    "respondents",
)


@dataclass(frozen=True)
class RuleParams:
    """The settings of the rule; defaults are those of DESIGN.md §3."""

    validity_days: int = 365
    source_weights: Mapping[str, float] = field(
        default_factory=lambda: {"staff": 1.0, "customer": 1.0, "expert": 1.0}
    )
    band_thresholds: tuple[float, float, float] = (40.0, 55.0, 70.0)
    provisional_coverage: float = 50.0

    def window_start(self, now: datetime) -> datetime:
        return now - timedelta(days=self.validity_days)


@dataclass(frozen=True)
class PortfolioResult:
    """What the rule yields for a set of customers.

    ``scores``: indexed by customer_id, the columns of RESULT_COLUMNS (NaN/"" where no score).
    ``element_values``: customer_id × element code, the value *v_e* (NaN where unanswered).
    ``kind_means``: customer_id × (kind, code), the mean *m_ek* per respondent kind.
    ``latest``: the assessments that counted (latest per respondent inside the window).
    """

    scores: pd.DataFrame
    element_values: pd.DataFrame
    kind_means: pd.DataFrame
    latest: pd.DataFrame


def round_half_up(values: pd.Series | np.ndarray | float, decimals: int = 1):
    """Round half away from zero for non-negative scores: 39.95 → 40.0, as the user reads it.

    A tiny epsilon absorbs binary floating-point error (39.95 is stored as 39.9499999…).
    """
    factor = 10.0**decimals
    return np.floor(np.asarray(values, dtype=float) * factor + 0.5 + 1e-9) / factor


def band_of(score: float | None, thresholds: tuple[float, float, float] = (40, 55, 70)) -> str:
    """The band of one score, from the score rounded to one decimal; "" without a score."""
    return str(bands(pd.Series([score], dtype=float), thresholds).iloc[0])


def bands(scores: pd.Series, thresholds: tuple[float, float, float] = (40, 55, 70)) -> pd.Series:
    """red < t0 ≤ orange < t1 ≤ yellow < t2 ≤ green, on scores rounded half-up to one decimal."""
    rounded = round_half_up(scores.to_numpy(dtype=float))
    t_orange, t_yellow, t_green = thresholds
    with np.errstate(invalid="ignore"):
        labels = np.select(
            [rounded < t_orange, rounded < t_yellow, rounded < t_green, rounded >= t_green],
            list(BANDS),
            default="",
        )
    return pd.Series(labels, index=scores.index, dtype=object)


def latest_per_respondent(
    assessments: pd.DataFrame, *, now: datetime, params: RuleParams
) -> pd.DataFrame:
    """Each respondent's latest assessment of each customer with assessed_at in the window.

    The window is inclusive at both ends: window_start(now) ≤ assessed_at ≤ now. Ties on
    assessed_at go to the assessment submitted last (the higher id).
    """
    at = assessments["assessed_at"]
    in_window = assessments[(at >= params.window_start(now)) & (at <= now)]
    ordered = in_window.sort_values(["assessed_at", "id"], kind="stable")
    return ordered.drop_duplicates(["customer_id", "kind", "respondent"], keep="last")


def compute_portfolio(
    assessments: pd.DataFrame,
    scores: pd.DataFrame,
    elements: pd.DataFrame,
    *,
    now: datetime,
    params: RuleParams | None = None,
    customer_ids: Iterable[int] | None = None,
) -> PortfolioResult:
    """Apply the rule to every customer in one pass.

    ``customer_ids`` lists the customers to report on; those without data get a row without
    a score. Without it, the customers present in ``assessments`` are reported.
    """
    params = params or RuleParams()
    elements = elements.set_index("code")[["factor", "weight"]].astype({"weight": float})
    if (elements["weight"] <= 0).any():
        raise ValueError("element weights must be positive")
    total_weight = float(elements["weight"].sum())
    if customer_ids is None:
        index = pd.Index(pd.unique(assessments["customer_id"]), name="customer_id")
    else:
        index = pd.Index(list(customer_ids), name="customer_id")

    latest = latest_per_respondent(assessments, now=now, params=params)

    # The answered values of active elements in the assessments that count.
    answered = scores[
        scores["assessment_id"].isin(latest["id"])
        & scores["value"].notna()
        & scores["code"].isin(elements.index)
    ]
    answered = answered.merge(
        latest[["id", "customer_id", "kind", "respondent"]],
        left_on="assessment_id",
        right_on="id",
        how="inner",
        validate="many_to_one",
    )
    # Categories group far faster than strings over hundreds of thousands of rows.
    codes = answered["code"]
    if isinstance(codes.dtype, pd.CategoricalDtype):
        codes = codes.cat.set_categories(list(elements.index))  # drops other versions' codes
    else:
        codes = pd.Categorical(codes, categories=list(elements.index))
    answered = answered.assign(
        code=codes, kind=pd.Categorical(answered["kind"], categories=list(KINDS))
    )

    # m_ek: mean of the answered values per customer, element and respondent kind.
    kind_means = (
        answered.groupby(["customer_id", "code", "kind"], sort=False, observed=True)["value"]
        .mean()
        .rename("mean")
        .reset_index()
    )
    # v_e: source-weighted mean over the kinds that answered e (a weight of 0 drops a kind).
    weights = kind_means["kind"].astype(str).map(params.source_weights).astype(float).fillna(0.0)
    kind_means_weighted = kind_means.assign(sw=weights, swm=weights * kind_means["mean"])
    kind_means_weighted = kind_means_weighted[kind_means_weighted["sw"] > 0]
    per_element = kind_means_weighted.groupby(["customer_id", "code"], sort=False, observed=True)[
        ["swm", "sw"]
    ].sum()
    per_element["value"] = per_element["swm"] / per_element["sw"]
    per_element = per_element.reset_index()[["customer_id", "code", "value"]]
    per_element["code"] = per_element["code"].astype(str)
    per_element = per_element.join(elements, on="code")
    per_element["wv"] = per_element["weight"] * per_element["value"]

    overall = per_element.groupby("customer_id")[["wv", "weight"]].sum()
    result = pd.DataFrame(index=index)
    result["binding_score"] = 100.0 * overall["wv"] / (SCALE_MAX * overall["weight"])
    by_factor = per_element.groupby(["customer_id", "factor"])[["wv", "weight"]].sum()
    factor_scores = (100.0 * by_factor["wv"] / (SCALE_MAX * by_factor["weight"])).unstack("factor")
    for factor in FACTORS:
        result[factor] = factor_scores.get(factor, np.nan)
    result["coverage"] = (100.0 * overall["weight"] / total_weight).reindex(index).fillna(0.0)
    result["provisional"] = result["coverage"] < params.provisional_coverage
    result["band"] = bands(result["binding_score"], params.band_thresholds)
    respondents = answered.drop_duplicates(["customer_id", "kind", "respondent"])
    result["respondents"] = (
        respondents.groupby("customer_id").size().reindex(index).fillna(0).astype(int)
    )

    element_values = per_element.pivot(index="customer_id", columns="code", values="value")
    element_values = element_values.reindex(index=index, columns=list(elements.index))
    kind_table = kind_means.pivot_table(
        index="customer_id", columns=["kind", "code"], values="mean", aggfunc="first"
    ).reindex(
        index=index,
        columns=pd.MultiIndex.from_product([KINDS, elements.index], names=["kind", "code"]),
    )
    return PortfolioResult(
        scores=result, element_values=element_values, kind_means=kind_table, latest=latest
    )


def perception_gap(kind_means: pd.DataFrame, codes: Iterable[str]) -> pd.DataFrame:
    """Per element: the mean of each kind over the customers, customer − staff, expert − staff.

    Sorted so the elements where the company rates itself higher than its customers do
    (the most negative customer − staff gap) stand on top.
    """
    codes = list(codes)
    table = pd.DataFrame(index=pd.Index(codes, name="code"))
    for kind in KINDS:
        if kind in kind_means.columns.get_level_values(0):
            table[kind] = kind_means[kind].mean(axis=0).reindex(codes)
        else:
            table[kind] = np.nan
    table["customer_gap"] = table["customer"] - table["staff"]
    table["expert_gap"] = table["expert"] - table["staff"]
    return table.sort_values("customer_gap", na_position="last", kind="stable")


def points_to_gain(element_values: pd.DataFrame, elements: pd.DataFrame) -> pd.DataFrame:
    """Where to raise the wall: weight × (6 − value) per element, summed over the customers.

    ``score_points`` is what raising the element to 6 would add to the binding score of a
    customer, averaged over the customers that have a value for it.
    """
    weights = elements.set_index("code")["weight"].astype(float)
    values = element_values.reindex(columns=weights.index)
    gain = (SCALE_MAX - values) * weights
    valued_weight = values.notna().mul(weights).sum(axis=1).replace(0, np.nan)
    score_points = 100.0 * gain.div(SCALE_MAX * valued_weight, axis=0)
    table = pd.DataFrame(
        {
            "gain": gain.sum(axis=0, min_count=1),
            "score_points": score_points.mean(axis=0),
            "customers": values.notna().sum(axis=0),
        }
    )
    table.index.name = "code"
    return table.sort_values("gain", ascending=False, na_position="last", kind="stable")


def quadrant(satisfaction: pd.Series, barriers: pd.Series, threshold: float = 50.0) -> pd.Series:
    """Satisfaction × barriers: loyal, entrapped, free or leaving ("" without both scores)."""
    high_sat = satisfaction >= threshold
    high_bar = barriers >= threshold
    known = satisfaction.notna() & barriers.notna()
    labels = np.select(
        [
            known & high_sat & high_bar,
            known & ~high_sat & high_bar,
            known & high_sat & ~high_bar,
            known,
        ],
        ["loyal", "entrapped", "free", "leaving"],
        default="",
    )
    return pd.Series(labels, index=satisfaction.index, dtype=object)
