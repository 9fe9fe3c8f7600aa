"""The binding-score rule (DESIGN.md §3): pure maths on DataFrames, no Django.

This is the one place the rule lives. A whole portfolio is computed in one vectorised pass
(``compute_portfolio``); one customer or one assessment on an interactive page goes through
``compute_customer``, the same steps in plain Python without the frames' fixed cost, checked
against ``compute_portfolio`` by a property test.

Input frames
------------
``assessments``: one row per submitted assessment, columns
    ``id`` (int), ``customer_id`` (int), ``kind`` (staff|customer|expert),
    ``respondent`` (e-mail, compared as given; callers lower-case it),
    ``assessed_at`` (tz-aware datetime).
``scores``: one row per element score, columns ``assessment_id`` (int), ``code`` (str),
    ``value`` (float, NaN for "don't know"; whole numbers on the 0–6 scale, so every sum of
    them is exact whatever the order of the rows).
``elements``: the active scoring model, columns ``code``, ``factor``, ``weight`` (> 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
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


def _total_weight(weights: Iterable[float]) -> float:
    """Σ w_e over all elements, left to right (both paths of the rule sum it so)."""
    total = 0.0
    for weight in weights:
        total += float(weight)
    return total


def _source_weights(params: RuleParams) -> list[float]:
    """s_k in KINDS order; a kind without a (numeric) weight weighs 0."""
    sources = []
    for kind in KINDS:
        weight = params.source_weights.get(kind)
        sources.append(0.0 if weight is None or weight != weight else float(weight))
    return sources


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
    total_weight = _total_weight(elements["weight"])
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
    code_values = answered["code"]
    if isinstance(code_values.dtype, pd.CategoricalDtype):
        # Drops other versions' codes.
        code_values = code_values.cat.set_categories(list(elements.index))
    else:
        code_values = pd.Categorical(code_values, categories=list(elements.index))
    answered = answered.assign(
        code=code_values, kind=pd.Categorical(answered["kind"], categories=list(KINDS))
    )

    # m_ek: mean of the answered values per customer, element and respondent kind. The
    # values are whole numbers on the scale, so every grouping sums them exactly.
    kind_means = (
        answered.groupby(["customer_id", "code", "kind"], sort=False, observed=True)["value"]
        .mean()
        .rename("mean")
        .reset_index()
    )
    codes = list(elements.index)
    row = index.get_indexer(kind_means["customer_id"])
    known = row >= 0
    means = np.full((len(index), len(KINDS), len(codes)), np.nan)
    means[
        row[known],
        kind_means["kind"].cat.codes.to_numpy()[known],
        kind_means["code"].cat.codes.to_numpy()[known],
    ] = kind_means["mean"].to_numpy(dtype=float)[known]

    # Steps 3–6 in one fixed order of operations (kinds in KINDS order, elements in the
    # model's order, left to right), which compute_customer repeats: the numbers do not depend
    # on the order of the rows, and both paths agree to the last bit.
    sources = _source_weights(params)
    weights = elements["weight"].to_numpy(dtype=float)
    factor_of = elements["factor"].to_numpy(dtype=object)
    weighted = np.zeros((len(index), len(codes)))
    source_sum = np.zeros((len(index), len(codes)))
    for k, source in enumerate(sources):
        if source > 0:  # a weight of 0 drops a kind
            has = ~np.isnan(means[:, k, :])
            weighted = weighted + np.where(has, source * means[:, k, :], 0.0)
            source_sum = source_sum + np.where(has, source, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(source_sum > 0, weighted / source_sum, np.nan)
    valued = ~np.isnan(values)

    def weighted_score(columns: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
        wv = np.zeros(len(index))
        w = np.zeros(len(index))
        for e in columns:
            wv = wv + np.where(valued[:, e], weights[e] * values[:, e], 0.0)
            w = w + np.where(valued[:, e], weights[e], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(w > 0, 100.0 * wv / (SCALE_MAX * w), np.nan), w

    result = pd.DataFrame(index=index)
    binding, answered_weight = weighted_score(range(len(codes)))
    result["binding_score"] = binding
    for factor in FACTORS:
        result[factor] = weighted_score(np.flatnonzero(factor_of == factor))[0]
    result["coverage"] = 100.0 * answered_weight / total_weight
    result["provisional"] = result["coverage"] < params.provisional_coverage
    result["band"] = bands(result["binding_score"], params.band_thresholds)
    respondents = answered.drop_duplicates(["customer_id", "kind", "respondent"])
    result["respondents"] = (
        respondents.groupby("customer_id").size().reindex(index).fillna(0).astype(int)
    )

    element_values = pd.DataFrame(values, index=index, columns=pd.Index(codes, name="code"))
    kind_table = pd.DataFrame(
        means.reshape(len(index), len(KINDS) * len(codes)),
        index=index,
        columns=pd.MultiIndex.from_product([KINDS, codes], names=["kind", "code"]),
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


# --------------------------------------------------------------------------------------------
# The dashboard's maths (issue 5): history, movements, Pareto, pearls, NPS
# --------------------------------------------------------------------------------------------

NO_BAND = ""  # a customer without a score


def monthly_trend(
    history: pd.DataFrame, revenue: pd.Series, month_ends: Sequence[datetime]
) -> pd.DataFrame:
    """The portfolio as it stood at each month end, from the score history.

    ``history`` has one row per stored result: ``customer_id``, ``computed_at`` (tz-aware),
    ``binding_score`` (NaN without a score) and ``band``, sorted by customer and time. A row
    holds from its ``computed_at`` until the customer's next row. ``revenue`` is indexed by
    customer id. Returns, per month end: ``customers`` (with a score), ``score`` (mean),
    ``weighted_score`` (revenue-weighted mean) and one count column per band.
    """
    ends = pd.DatetimeIndex(pd.to_datetime(list(month_ends), utc=True))
    n = len(ends)
    names = ["customers", "score", "weighted_score", *BANDS]
    if n == 0 or history.empty:
        return pd.DataFrame(0.0, index=ends, columns=names).assign(
            score=np.nan, weighted_score=np.nan
        )
    customer = history["customer_id"].to_numpy()
    at = _nanoseconds(history["computed_at"])
    score = history["binding_score"].to_numpy(dtype=float)
    # A row stops holding when the same customer's next row starts.
    same_next = np.zeros(len(customer), dtype=bool)
    same_next[:-1] = customer[1:] == customer[:-1]
    until = np.full(len(at), np.iinfo(np.int64).max)
    until[:-1] = np.where(same_next[:-1], at[1:], until[:-1])
    end_ns = ends.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    first = np.searchsorted(end_ns, at, side="left")  # first month end at or after the row
    stop = np.searchsorted(end_ns, until, side="left")  # month ends before the next row
    holds = np.flatnonzero(first < stop)
    first, stop = first[holds], stop[holds]
    score = score[holds]
    position = revenue.index.get_indexer(customer[holds])
    rev = np.where(position >= 0, revenue.to_numpy(dtype=float)[position], 0.0)
    rev = np.nan_to_num(rev)
    band = band_codes(history["band"])[holds]
    has_score = ~np.isnan(score)

    def spread(weights: np.ndarray) -> np.ndarray:
        # Each row adds its weight to the month ends in [first, stop): a difference array.
        delta = np.bincount(first, weights=weights, minlength=n + 1)
        delta -= np.bincount(stop, weights=weights, minlength=n + 1)
        return np.cumsum(delta)[:n]

    scored = has_score.astype(float)
    clean = np.where(has_score, score, 0.0)
    counts = spread(scored)
    revenue_scored = spread(rev * scored)
    columns: dict[str, np.ndarray] = {"customers": np.round(counts)}
    with np.errstate(invalid="ignore", divide="ignore"):
        columns["score"] = np.where(counts > 0.5, spread(clean) / counts, np.nan)
        columns["weighted_score"] = np.where(
            revenue_scored > 0, spread(clean * rev) / revenue_scored, np.nan
        )
    for code, name in enumerate(BANDS):
        columns[name] = np.round(spread((band == code).astype(float)))
    return pd.DataFrame(columns, index=ends)


CHANGE_FIELDS = ("binding_score", "band", "coverage", "provisional")


def result_changes(
    *, before: Mapping[str, Sequence[object]], after: Mapping[str, Sequence[object]]
) -> dict[str, int]:
    """How many of these results (``CHANGE_FIELDS``, aligned lists) change what a user sees:
    the band, the score as shown (one decimal), the coverage as shown (whole percent) and the
    provisional mark (shown only on a score). The publish preview and the publish's result
    message both count with this, so their numbers agree."""

    def numbers(values: Sequence[object]) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    score_before = round_half_up(numbers(before["binding_score"]))
    score_after = round_half_up(numbers(after["binding_score"]))
    scored_before, scored_after = ~np.isnan(score_before), ~np.isnan(score_after)
    score_changed = (scored_before != scored_after) | (
        scored_before & scored_after & (score_before != score_after)
    )
    band_changed = np.array(
        [str(b or "") != str(a or "") for b, a in zip(before["band"], after["band"], strict=True)],
        dtype=bool,
    )
    coverage_changed = round_half_up(numbers(before["coverage"]), 0) != round_half_up(
        numbers(after["coverage"]), 0
    )
    marked_before = np.array([bool(p) for p in before["provisional"]], dtype=bool) & scored_before
    marked_after = np.array([bool(p) for p in after["provisional"]], dtype=bool) & scored_after
    return {
        "band_changes": int(band_changed.sum()),
        "score_changes": int(score_changed.sum()),
        "coverage_changes": int(coverage_changed.sum()),
        "provisional_changes": int((marked_before != marked_after).sum()),
    }


def state_at(history: pd.DataFrame, moment: datetime) -> pd.DataFrame:
    """Each customer's latest history row at or before ``moment`` (``history`` sorted as in
    ``monthly_trend``), indexed by customer id: ``binding_score`` and ``band`` (and the
    snapshot's ``id`` and ``scoring_model_id`` when the history has them)."""
    at = _nanoseconds(history["computed_at"])
    rows = np.flatnonzero(at <= pd.Timestamp(moment).tz_convert("UTC").value)
    customers = history["customer_id"].to_numpy()[rows]
    # Sorted by customer and time: a customer's last row is followed by another customer's.
    last = rows[np.append(customers[1:] != customers[:-1], True)] if len(rows) else rows
    columns = {
        "binding_score": history["binding_score"].to_numpy(dtype=float)[last],
        "band": np.asarray(history["band"].array[last], dtype=object),
    }
    # The snapshot behind each row, where the history has it (to score it again).
    columns.update(
        {
            name: history[name].to_numpy()[last]
            for name in ("id", "scoring_model_id")
            if name in history
        }
    )
    return pd.DataFrame(
        columns, index=pd.Index(history["customer_id"].to_numpy()[last], name="customer_id")
    )


def known_state_at(history: pd.DataFrame, moment: datetime) -> pd.DataFrame:
    """``state_at`` with each customer's last result that had a score: a customer whose
    assessments all fell out of the validity window keeps their last known score and band
    (an expired score is not a move to "no score"); one that never had a score has no row."""
    return state_at(history[history["binding_score"].notna().to_numpy()], moment)


def band_moves(before: pd.Series, after: pd.Series, customers: pd.Index) -> pd.DataFrame:
    """Each customer's band at two moments, and which track the move belongs to.

    ``before`` and ``after`` map customer ids to bands (missing or "" means no score).
    The track follows the band the customer started in: red and orange are on the churn
    track (red → orange → yellow), yellow and green on the loyalty track (yellow → green).
    ``direction`` is up, same or down; both are "" when either end has no score.
    The columns are categorical: counting them per cell costs nothing per customer.
    """
    from_band = before.reindex(customers).fillna(NO_BAND).to_numpy(dtype=object)
    to_band = after.reindex(customers).fillna(NO_BAND).to_numpy(dtype=object)
    start, end = band_codes(from_band), band_codes(to_band)
    known = (start >= 0) & (start < len(BANDS)) & (end >= 0) & (end < len(BANDS))
    # Positions in (*TRACKS, "") and (*DIRECTIONS, ""): the last one is no move on a track.
    track = np.where(known, np.where(start <= BANDS.index("orange"), 0, 1), len(TRACKS))
    direction = np.where(known, np.sign(start - end) + 1, len(DIRECTIONS))  # up, same, down
    return pd.DataFrame(
        {
            "from_band": _categorical(start, from_band, (*BANDS, NO_BAND)),
            "to_band": _categorical(end, to_band, (*BANDS, NO_BAND)),
            "track": pd.Categorical.from_codes(track, [*TRACKS, ""]),
            "direction": pd.Categorical.from_codes(direction, [*DIRECTIONS, ""]),
        },
        index=customers,
    )


def band_move_matrix(moves: pd.DataFrame) -> pd.DataFrame:
    """From-band × to-band counts (rows: band before, columns: band after), "" = no score."""
    order = [*BANDS, NO_BAND]
    start = band_codes(moves["from_band"])
    end = band_codes(moves["to_band"])
    start[start < 0] = len(BANDS)  # an unknown band counts as no score
    end[end < 0] = len(BANDS)
    counts = np.bincount(start * len(order) + end, minlength=len(order) ** 2)
    matrix = pd.DataFrame(counts.reshape(len(order), len(order)), index=order, columns=order)
    matrix.index.name, matrix.columns.name = "from_band", "to_band"
    return matrix


def track_summary(moves: pd.DataFrame) -> pd.DataFrame:
    """Per track (churn, loyalty): how many customers moved up, stayed, moved down."""
    track = _positions(moves["track"], TRACKS)
    direction = _positions(moves["direction"], DIRECTIONS)
    on_track = (track >= 0) & (direction >= 0)
    cells = track[on_track] * len(DIRECTIONS) + direction[on_track]
    counts = np.bincount(cells, minlength=len(TRACKS) * len(DIRECTIONS))
    return pd.DataFrame(
        counts.reshape(len(TRACKS), len(DIRECTIONS)).astype(np.int64),
        index=list(TRACKS),
        columns=list(DIRECTIONS),
    )


def pareto(revenue: pd.Series, top_share: float = 0.2) -> pd.DataFrame:
    """Customers by revenue, largest first: rank, share of customers and cumulative revenue share.

    ``top`` marks the top ``top_share`` of customers by count (ties broken by order).
    """
    values = revenue.to_numpy(dtype=float)
    order = _by_revenue(values)
    ordered = values[order]
    n = len(ordered)
    total = float(np.nansum(ordered))
    rank = np.arange(1, n + 1)
    cumulative = np.nancumsum(ordered)
    cumulative[np.isnan(ordered)] = np.nan  # as pandas' cumsum leaves a gap
    return pd.DataFrame(
        {
            "revenue": ordered,
            "rank": rank,
            "customer_share": 100.0 * rank / max(n, 1),
            "revenue_share": 100.0 * cumulative / total if total > 0 else np.zeros(n),
            "top": rank <= math.ceil(top_share * n),
        },
        index=revenue.index[order],
    )


def pearls(
    revenue: pd.Series,
    potential: pd.Series,
    payment: pd.Series,
    margin: pd.Series,
    *,
    top_share: float = 0.2,
    potential_factor: float = 2.0,
) -> pd.Series:
    """Pearls: outside the top ``top_share`` of customers by revenue, a revenue potential of at
    least twice the revenue, good payers, and a margin above the median of these customers."""
    values = revenue.to_numpy(dtype=float)
    top = np.zeros(len(values), dtype=bool)
    top[_by_revenue(values)[: math.ceil(top_share * len(values))]] = True
    potential_values = potential.to_numpy(dtype=float)
    margins = margin.to_numpy(dtype=float)
    median_margin = np.nanmedian(margins) if (~np.isnan(margins)).any() else np.nan
    with np.errstate(invalid="ignore"):
        mask = (
            ~top
            & (potential_values > 0)
            & (potential_values >= potential_factor * values)
            & (payment.to_numpy(dtype=object) == "good")
            & (margins > median_margin)
        )
    return pd.Series(mask, index=revenue.index, dtype=bool)


def net_promoter_score(answers: pd.Series) -> float | None:
    """NPS: % promoters (9–10) − % detractors (0–6) of the answers; None without answers."""
    answers = answers.dropna()
    if answers.empty:
        return None
    promoters = float((answers >= 9).mean())
    detractors = float((answers <= 6).mean())
    return 100.0 * (promoters - detractors)


# --------------------------------------------------------------------------------------------
# Helpers of the dashboard's maths
# --------------------------------------------------------------------------------------------

TRACKS = ("churn", "loyalty")
DIRECTIONS = ("up", "same", "down")


def band_codes(bands: pd.Series | np.ndarray) -> np.ndarray:
    """Each band's position in (*BANDS, NO_BAND): 0 red … 3 green, 4 no score, -1 unknown.

    Lets the dashboard count and split by band with NumPy instead of comparing strings.
    """
    return _positions(bands, (*BANDS, NO_BAND))


def _positions(values: pd.Series | np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """Each value's position in ``labels`` (-1 where absent); a categorical's per category."""
    order = pd.Index(list(labels))
    values = values.array if isinstance(values, pd.Series) else values
    if isinstance(values, pd.Categorical):
        return np.append(order.get_indexer(values.categories), -1)[values.codes]
    return order.get_indexer(np.asarray(values, dtype=object))


def _categorical(
    positions: np.ndarray, values: np.ndarray, labels: Sequence[str]
) -> pd.Categorical | np.ndarray:
    """``values`` as a categorical of ``labels`` (their ``positions``), kept as they are
    should one not be a label."""
    if (positions < 0).any():
        return values
    return pd.Categorical.from_codes(positions, list(labels))


def _nanoseconds(times: pd.Series) -> np.ndarray:
    """Tz-aware times as int64 nanoseconds since 1970 (UTC)."""
    values = pd.to_datetime(times, utc=True).to_numpy(dtype="datetime64[ns]")
    return values.astype(np.int64)


def _by_revenue(revenue: np.ndarray) -> np.ndarray:
    """Positions from the largest revenue to the smallest; ties keep their order, NaN last."""
    return np.argsort(-revenue, kind="stable")


# --------------------------------------------------------------------------------------------
# Why did it move (issue 15): a change of the binding score split exactly per element
# --------------------------------------------------------------------------------------------


def values_score(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The binding score and coverage (%) of element values *v_e* (NaN where unanswered).

    ``values`` is one row per customer (or a single row), one column per element in the order
    of ``weights``: the rule of DESIGN.md §3 steps 4 and 6 on values already combined per
    element, so a stored snapshot can be scored again with other weights (like with like).
    Rows without any value get NaN as the score.
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    weights = np.asarray(weights, dtype=float)
    answered = ~np.isnan(values)
    answered_weight = answered.astype(float) @ weights
    weighted = np.where(answered, values, 0.0) @ weights
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(
            answered_weight > 0, 100.0 * weighted / (SCALE_MAX * answered_weight), np.nan
        )
    coverage = 100.0 * answered_weight / float(weights.sum()) if len(weights) else answered_weight
    return score, coverage


@dataclass(frozen=True)
class ChangeLine:
    """One line of a score change: an element's contribution, or the rest (``code`` None).

    ``change`` is exact; ``shown`` is in tenths of a point, rounded so that the shown lines of
    a change add up to the change as shown (after as shown − before as shown).
    """

    code: str | None
    change: float
    shown: int


@dataclass(frozen=True)
class ScoreChange:
    """Two scores of one customer and the lines that explain the step between them."""

    before: float | None
    after: float | None
    lines: tuple[ChangeLine, ...]

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def shown_change(self) -> int | None:
        """The change as the user reads it, in tenths: shown after − shown before."""
        if self.before is None or self.after is None:
            return None
        return _tenths(self.after) - _tenths(self.before)


def _tenths(score: float) -> int:
    return math.floor(score * 10.0 + 0.5 + 1e-9)  # as round_half_up, kept in tenths


def score_change_lines(
    codes: Sequence[str],
    weights: Sequence[float],
    before_values: Sequence[float | None],
    after_values: Sequence[float | None],
    *,
    before_score: float | None = None,
    after_score: float | None = None,
) -> ScoreChange:
    """Why the binding score moved from one snapshot to another, split per element.

    ``codes`` and ``weights`` are one scoring model's elements (the active one: compare like
    with like); ``before_values`` and ``after_values`` the element values *v_e* of the two
    snapshots in that order (None or NaN where unanswered). Both scores are computed from the
    values with these weights unless given (a stored score, so the lines explain the number
    the user reads).

    For each element answered in both, its contribution is
    100·wₑ·(vₑ,after − vₑ,before)/(6·Σw over the elements answered after); the elements are
    sorted by the size of their contribution and those that did not move are left out. One
    last line (code None) holds the rest, "coverage or respondents changed", so the lines add
    up to the change exactly. Each line is also rounded to tenths by largest remainder so that
    the rounded lines add up to the change as shown. Without a score at either end there are
    no lines.
    """
    w = np.asarray(weights, dtype=float)
    before = np.array([np.nan if v is None else v for v in before_values], dtype=float)
    after = np.array([np.nan if v is None else v for v in after_values], dtype=float)
    if before_score is None:
        before_score = _clean(values_score(before, w)[0][0])
    if after_score is None:
        after_score = _clean(values_score(after, w)[0][0])
    if before_score is None or after_score is None:
        return ScoreChange(before=before_score, after=after_score, lines=())
    both = ~np.isnan(before) & ~np.isnan(after)
    answered_after = float(w[~np.isnan(after)].sum())
    contribution = np.zeros(len(w))
    if answered_after > 0:
        contribution[both] = (
            100.0 * w[both] * (after[both] - before[both]) / (SCALE_MAX * answered_after)
        )
    moved = [int(i) for i in np.flatnonzero(both) if abs(contribution[i]) > 1e-9]
    moved.sort(key=lambda i: (-abs(contribution[i]), i))
    rest = (after_score - before_score) - float(contribution[moved].sum())
    exact = [float(contribution[i]) for i in moved] + [rest]
    target = _tenths(after_score) - _tenths(before_score)
    shown = _largest_remainder([x * 10.0 for x in exact], target)
    lines = [
        ChangeLine(code=str(codes[i]), change=exact[n], shown=shown[n]) for n, i in enumerate(moved)
    ]
    lines.append(ChangeLine(code=None, change=rest, shown=shown[-1]))
    return ScoreChange(before=before_score, after=after_score, lines=tuple(lines))


def _largest_remainder(values: Sequence[float], target: int) -> list[int]:
    """Integers near ``values`` (each its floor or ceiling) that add up to ``target``.

    ``target`` must lie within one of the values' sum, as a sum of rounded ends does: the
    units missing after flooring go to the largest fractional parts (ties: the first).
    """
    floors = [math.floor(v + 1e-9) for v in values]
    missing = target - sum(floors)
    order = sorted(range(len(values)), key=lambda i: (-(values[i] - floors[i]), i))
    result = list(floors)
    for i in order[: max(0, missing)]:
        result[i] += 1
    for i in order[::-1][: max(0, -missing)]:  # never needed for ends rounded the same way
        result[i] -= 1
    return result


def _clean(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


# --------------------------------------------------------------------------------------------
# One customer without pandas (issue 12): the same rule for one customer or one assessment
# --------------------------------------------------------------------------------------------
#
# Why a second path: ``compute_portfolio`` builds and groups frames, a fixed cost of 35–50 ms
# even for one customer, paid by the customer page, every live preview and every submit. This
# path applies the same steps of DESIGN.md §3 to one customer's few dozen rows in plain
# Python (a fraction of a millisecond), with the same floating-point operations in the same
# order as ``compute_portfolio``'s arrays, so both give the same numbers to the last bit;
# tests/scoring/test_calculations_customer.py checks that on thousands of random customers.

# (id, kind, respondent, assessed_at): one row of the ``assessments`` frame, without the
# customer (all rows are the customer's).
AssessmentRow = tuple[int, str, str, datetime]
# (assessment_id, code, value): one row of the ``scores`` frame; None or NaN is "don't know".
ScoreRow = tuple[int, str, float | None]


@dataclass(frozen=True)
class RuleElements:
    """The active model's elements as the one-customer rule takes them (``elements`` frame)."""

    codes: tuple[str, ...]
    factors: tuple[str, ...]
    weights: tuple[float, ...]
    total_weight: float  # Σ w_e, summed as compute_portfolio sums it

    @classmethod
    def of(
        cls, codes: Sequence[str], factors: Sequence[str], weights: Sequence[float]
    ) -> RuleElements:
        values = tuple(float(w) for w in weights)
        if any(not w > 0 for w in values):
            raise ValueError("element weights must be positive")
        return cls(
            codes=tuple(str(c) for c in codes),
            factors=tuple(str(f) for f in factors),
            weights=values,
            total_weight=_total_weight(values),
        )

    @classmethod
    def from_frame(cls, elements: pd.DataFrame) -> RuleElements:
        return cls.of(list(elements["code"]), list(elements["factor"]), list(elements["weight"]))


@dataclass(frozen=True)
class CustomerResult:
    """What the rule yields for one customer: a row of ``PortfolioResult.scores`` (None where
    there is no score), its element values *v_e* in the elements' order and its means *m_ek*
    per kind (KINDS order, then the elements' order), NaN where unanswered."""

    binding_score: float | None
    satisfaction: float | None
    alternatives: float | None
    investment: float | None
    coverage: float
    provisional: bool
    band: str
    respondents: int
    element_values: tuple[float, ...]
    kind_means: tuple[tuple[float, ...], ...]


def _band_text(score: float | None, thresholds: tuple[float, float, float]) -> str:
    """``bands`` for one score, without pandas: the same rounding, the same comparisons."""
    if score is None:
        return ""
    rounded = math.floor(score * 10.0 + 0.5 + 1e-9) / 10.0
    t_orange, t_yellow, t_green = thresholds
    if rounded < t_orange:
        return "red"
    if rounded < t_yellow:
        return "orange"
    if rounded < t_green:
        return "yellow"
    return "green"


def counted_assessments(
    assessments: Iterable[AssessmentRow], *, now: datetime, params: RuleParams
) -> dict[int, tuple[str, str]]:
    """Step 1 of the rule for one customer, without pandas: ``latest_per_respondent``'s
    assessments as {assessment id: (kind, respondent)}.

    The same window (window_start(now) ≤ assessed_at ≤ now) and the same tie rule (the higher
    id wins); ``compute_customer`` and the customer page's "why it moved" count with it.
    """
    start = params.window_start(now)
    latest: dict[tuple[str, str], tuple[datetime, int]] = {}
    for assessment_id, kind, respondent, at in assessments:
        if start <= at <= now:
            key = (kind, respondent)
            mark = (at, assessment_id)
            held = latest.get(key)
            if held is None or mark > held:
                latest[key] = mark
    return {mark[1]: key for key, mark in latest.items()}


def compute_customer(
    assessments: Iterable[AssessmentRow],
    scores: Iterable[ScoreRow],
    elements: RuleElements,
    *,
    now: datetime,
    params: RuleParams | None = None,
) -> CustomerResult:
    """Apply the rule to one customer: what ``compute_portfolio`` gives for its row.

    ``assessments`` are the customer's (any time: the window is applied here), ``scores`` the
    element scores of any of them (others are ignored), in the order the frames would hold
    them. One assessment on its own, dated ``now``, gives that assessment's own score.
    """
    params = params or RuleParams()
    # Step 1: each respondent's latest assessment in the window.
    counted = counted_assessments(assessments, now=now, params=params)

    # Step 2: m_ek, the sums of whole numbers (exact in any order) over their count.
    position = {code: i for i, code in enumerate(elements.codes)}
    kind_index = {kind: k for k, kind in enumerate(KINDS)}
    e_count = len(elements.codes)
    sums = [[0.0] * e_count for _ in KINDS]
    counts = [[0] * e_count for _ in KINDS]
    answered: set[tuple[int | None, str]] = set()
    for assessment_id, code, value in scores:
        who = counted.get(assessment_id)
        if who is None or value is None or value != value:
            continue
        element = position.get(code)
        if element is None:
            continue
        k = kind_index.get(who[0])
        answered.add((k, who[1]))  # as pandas, which drops the duplicates by kind category
        if k is None:  # not a respondent kind of the rule: counted, never weighed
            continue
        sums[k][element] += float(value)
        counts[k][element] += 1
    means = [
        [total / n if n else math.nan for total, n in zip(sums[k], counts[k], strict=True)]
        for k in range(len(KINDS))
    ]

    # Steps 3–6, operation for operation as compute_portfolio's arrays (kinds in KINDS order,
    # elements in the model's order, left to right).
    sources = _source_weights(params)
    values = [math.nan] * e_count
    for e in range(e_count):
        weighted = 0.0
        source_sum = 0.0
        for k, source in enumerate(sources):
            if source > 0 and counts[k][e]:
                weighted = weighted + source * means[k][e]
                source_sum = source_sum + source
        if source_sum > 0:
            values[e] = weighted / source_sum

    def weighted_score(factor: str | None) -> tuple[float | None, float]:
        wv = 0.0
        w = 0.0
        for e, value in enumerate(values):
            if value == value and (factor is None or elements.factors[e] == factor):
                wv = wv + elements.weights[e] * value
                w = w + elements.weights[e]
        return (100.0 * wv / (SCALE_MAX * w) if w > 0 else None), w

    # Steps 4–8: scores, coverage, provisional and band; nothing answered, no score.
    binding, answered_weight = weighted_score(None)
    coverage = 100.0 * answered_weight / elements.total_weight
    return CustomerResult(
        binding_score=binding,
        satisfaction=weighted_score("satisfaction")[0],
        alternatives=weighted_score("alternatives")[0],
        investment=weighted_score("investment")[0],
        coverage=coverage,
        provisional=coverage < params.provisional_coverage,
        band=_band_text(binding, params.band_thresholds),
        respondents=len(answered),
        element_values=tuple(values),
        kind_means=tuple(tuple(row) for row in means),
    )
