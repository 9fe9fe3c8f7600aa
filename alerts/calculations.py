"""The alert conditions as pure maths over many customers at once (NumPy; no Django).

``State`` holds what the triggers look at, one row per customer in aligned arrays: the current
snapshot, the one before it and, per look-back, the snapshot as it stood that many days ago,
each scored like with like (with the active model, see ``scoring.movement``), plus the NPS
answers. Each trigger is three functions over it (``alerts.triggers``):

- ``fires(state, params)``: the customers that *enter* the condition now, with what moved;
- ``holds(state, params, alerts)``: for existing alerts, whether their condition still holds
  (measured against what the alert recorded: the band it fell from, the element and kind);
- ``recovered(state, params, alerts)``: for resolved alerts, whether the measured value has
  come back by at least half the drop (one half of the re-arm rule).

Times are float seconds since 1970 (NaN for none); bands are codes 0 red … 3 green, -1 none.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from scoring.calculations import BANDS, KINDS, band_codes, bands, values_score

DAY = 86400.0
NO_BAND = -1


@dataclass(frozen=True)
class Snapshots:
    """One snapshot per customer (or none: id -1), scored with the active model."""

    ids: np.ndarray  # int64, -1 where the customer has none
    at: np.ndarray  # float seconds
    score: np.ndarray  # float, NaN without a score
    band: np.ndarray  # int band code, -1 without a score
    coverage: np.ndarray  # float %
    provisional: np.ndarray  # bool
    values: np.ndarray  # (n, E) element values v_e
    kinds: np.ndarray  # (3, n, E) means per respondent kind (KINDS order)

    @property
    def exists(self) -> np.ndarray:
        return self.ids >= 0


@dataclass(frozen=True)
class State:
    """What the triggers read, for the customers in ``customer_ids`` (sorted)."""

    now: float
    customer_ids: np.ndarray
    active: np.ndarray  # bool: the customer is active
    codes: list[str]
    weights: np.ndarray
    current: Snapshots
    previous: Snapshots
    last_assessed: np.ndarray  # float seconds of the newest assessment, NaN for none
    references: Mapping[int, Snapshots] = field(default_factory=dict)  # days back → snapshots
    nps_now: np.ndarray | None = None  # the lowest latest NPS per respondent now (NaN: none)
    nps_before: np.ndarray | None = None  # the same as it stood at the previous snapshot
    # Columns other apps' state readers add for their triggers (alerts.selectors).
    extra: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.customer_ids)


def empty_snapshots(n: int, width: int) -> Snapshots:
    return Snapshots(
        ids=np.full(n, -1, dtype=np.int64),
        at=np.full(n, np.nan),
        score=np.full(n, np.nan),
        band=np.full(n, NO_BAND, dtype=np.int64),
        coverage=np.zeros(n),
        provisional=np.zeros(n, dtype=bool),
        values=np.full((n, width), np.nan),
        kinds=np.full((len(KINDS), n, width), np.nan),
    )


def details_matrix(details: Sequence[str], width: int) -> np.ndarray:
    """ScoreSnapshot.details lines as one (n, 4·width) float array, NaN where empty.

    pandas' C parser reads the joined lines in one call: for 10,000 snapshots of 12 elements
    it takes about 25 ms, against about 200 ms splitting and converting field by field.
    """
    n = len(details)
    if n == 0 or width == 0:
        return np.full((n, 4 * width), np.nan)
    text = "\n".join(line if line else "," * (4 * width - 1) for line in details)
    frame = pd.read_csv(
        io.StringIO(text),
        header=None,
        names=range(4 * width),
        dtype=float,
        skip_blank_lines=False,
        engine="c",
    )
    return frame.to_numpy(dtype=float)


def snapshots_from_rows(
    rows: pd.DataFrame,
    positions: np.ndarray,
    n: int,
    *,
    codes: list[str],
    weights: np.ndarray,
    model_codes: Mapping[int, list[str]],
    active_model: int,
    thresholds: tuple[float, float, float],
    provisional_coverage: float,
) -> Snapshots:
    """Snapshots read from the database (``rows``: id, at, model, score, band, coverage,
    provisional, details) placed at ``positions`` of n customers and scored like with like.

    A snapshot stored with the active model keeps its stored score, band and coverage; one
    stored with another version is scored again from its values, matched by element code.
    """
    width = len(codes)
    result = empty_snapshots(n, width)
    if rows.empty:
        return result
    ids, at = result.ids, result.at
    score, band, coverage, provisional = (
        result.score,
        result.band,
        result.coverage,
        result.provisional,
    )
    values, kinds = result.values, result.kinds
    ids[positions] = rows["id"].to_numpy(dtype=np.int64)
    at[positions] = rows["at"].to_numpy(dtype=float)
    model = rows["model"].to_numpy(dtype=np.int64)
    details = rows["details"].tolist()
    for model_id in np.unique(model):
        mine = np.flatnonzero(model == model_id)
        own = list(model_codes.get(int(model_id), []))
        parsed = details_matrix([details[i] for i in mine], len(own))
        where = positions[mine]
        # The active model's columns in this model's details (-1: the element is new).
        source = np.array([own.index(c) if c in own else -1 for c in codes], dtype=np.int64)
        known = source >= 0
        for block in range(1 + len(KINDS)):
            taken = np.full((len(mine), width), np.nan)
            if len(own):
                taken[:, known] = parsed[:, block * len(own) + source[known]]
            if block == 0:
                values[where] = taken
            else:
                kinds[block - 1][where] = taken
        if int(model_id) == active_model:
            score[where] = rows["score"].to_numpy(dtype=float)[mine]
            band[where] = band_codes(rows["band"].to_numpy(dtype=object)[mine])
            band[where] = np.where(band[where] >= len(BANDS), NO_BAND, band[where])
            coverage[where] = rows["coverage"].to_numpy(dtype=float)[mine]
            provisional[where] = rows["provisional"].to_numpy(dtype=bool)[mine]
        else:
            rescored, covered = values_score(values[where], weights)
            score[where] = rescored
            labels = bands(pd.Series(rescored), thresholds).to_numpy(dtype=object)
            codes_of_band = band_codes(labels)
            band[where] = np.where(codes_of_band >= len(BANDS), NO_BAND, codes_of_band)
            coverage[where] = covered
            provisional[where] = covered < provisional_coverage
    return result


def tenths(values: npt.ArrayLike) -> np.ndarray:
    """Scores as the user reads them, in tenths (round half up), NaN kept."""
    return np.floor(np.asarray(values, dtype=float) * 10.0 + 0.5 + 1e-9)


# --------------------------------------------------------------------------------------------
# Findings: what a trigger reports for the customers entering its condition
# --------------------------------------------------------------------------------------------


@dataclass
class Findings:
    """Positions (into the state) of the customers entering, with what moved for each."""

    positions: np.ndarray
    before: Snapshots | None = None  # the snapshot the movement is measured from
    element: np.ndarray | None = None  # index into state.codes, -1 none
    kind: np.ndarray | None = None  # index into KINDS, -1 none
    value_before: np.ndarray | None = None
    value_after: np.ndarray | None = None


def _nothing() -> Findings:
    return Findings(positions=np.zeros(0, dtype=np.int64))


def band_down_fires(state: State, params: Mapping[str, float]) -> Findings:
    """The band is lower than at the previous snapshot (both with the active model)."""
    cur, prev = state.current, state.previous
    entering = (cur.band >= 0) & (prev.band >= 0) & (cur.band < prev.band)
    positions = np.flatnonzero(entering)
    return Findings(
        positions=positions,
        before=prev,
        value_before=prev.score[positions],
        value_after=cur.score[positions],
    )


def band_down_holds(state: State, params: Mapping[str, float], alerts: pd.DataFrame) -> np.ndarray:
    """Still below the band the customer fell from."""
    position = alerts["position"].to_numpy()
    band_before = band_codes(alerts["band_before"].to_numpy(dtype=object))
    now = state.current.band[position]
    return (now >= 0) & (band_before < len(BANDS)) & (now < band_before)


def score_drop_fires(state: State, params: Mapping[str, float]) -> Findings:
    """The shown score is at least ``points`` below the shown score ``days`` ago."""
    reference = state.references.get(int(params["days"]))
    if reference is None:
        return _nothing()
    drop = holds_drop(state.current.score, reference.score, params["points"])
    positions = np.flatnonzero(drop)
    return Findings(
        positions=positions,
        before=reference,
        value_before=reference.score[positions],
        value_after=state.current.score[positions],
    )


def holds_drop(now: np.ndarray, before: np.ndarray, points: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (tenths(before) - tenths(now)) >= round(float(points) * 10) - 1e-9


def score_drop_holds(state: State, params: Mapping[str, float], alerts: pd.DataFrame) -> np.ndarray:
    """Still ``points`` below the score ``days`` ago (the window slides with time)."""
    reference = state.references.get(int(params["days"]))
    position = alerts["position"].to_numpy()
    if reference is None:
        return np.zeros(len(position), dtype=bool)
    return holds_drop(state.current.score[position], reference.score[position], params["points"])


def half_recovered(now: np.ndarray, alerts: pd.DataFrame) -> np.ndarray:
    """Back up by at least half the drop the alert recorded (value_before → value_after)."""
    before = alerts["value_before"].to_numpy(dtype=float)
    after = alerts["value_after"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        return now >= after + (before - after) / 2.0 - 1e-9


def score_recovered(state: State, params: Mapping[str, float], alerts: pd.DataFrame) -> np.ndarray:
    return half_recovered(state.current.score[alerts["position"].to_numpy()], alerts)


def element_drop_fires(state: State, params: Mapping[str, float]) -> Findings:
    """One respondent kind's mean of an element fell by at least ``points`` since the previous
    snapshot; the alert names the element and kind that fell most."""
    before, after = state.previous.kinds, state.current.kinds  # (kinds, n, E)
    with np.errstate(invalid="ignore"):
        drop = np.round(before, 1) - np.round(after, 1)
    drop = np.where(np.isnan(drop), -np.inf, drop)
    flat = drop.transpose(1, 0, 2).reshape(len(state), -1)  # n × (kinds·E)
    if flat.shape[1] == 0:
        return _nothing()
    best = flat.argmax(axis=1)
    largest = flat[np.arange(len(state)), best]
    positions = np.flatnonzero(largest >= float(params["points"]) - 1e-9)
    width = len(state.codes)
    kind, element = np.divmod(best[positions], width)
    return Findings(
        positions=positions,
        before=state.previous,
        element=element,
        kind=kind,
        value_before=before[kind, positions, element],
        value_after=after[kind, positions, element],
    )


def _kind_values(state: State, alerts: pd.DataFrame) -> np.ndarray:
    """The current mean of each alert's element and respondent kind (NaN when gone)."""
    position = alerts["position"].to_numpy()
    codes = {code: i for i, code in enumerate(state.codes)}
    element = np.array([codes.get(c, -1) for c in alerts["element_code"]], dtype=np.int64)
    kind = np.array(
        [KINDS.index(k) if k in KINDS else -1 for k in alerts["respondent_kind"]], dtype=np.int64
    )
    known = (element >= 0) & (kind >= 0)
    result = np.full(len(position), np.nan)
    result[known] = state.current.kinds[kind[known], position[known], element[known]]
    return result


def element_drop_holds(
    state: State, params: Mapping[str, float], alerts: pd.DataFrame
) -> np.ndarray:
    """The element's mean for that kind is still ``points`` below where it fell from."""
    now = _kind_values(state, alerts)
    before = alerts["value_before"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        return (np.round(before, 1) - np.round(now, 1)) >= float(params["points"]) - 1e-9


def element_recovered(
    state: State, params: Mapping[str, float], alerts: pd.DataFrame
) -> np.ndarray:
    return half_recovered(_kind_values(state, alerts), alerts)


def _gaps(snapshots: Snapshots) -> np.ndarray:
    """Customer mean − staff mean per element (n × E), NaN where either is missing."""
    return snapshots.kinds[KINDS.index("customer")] - snapshots.kinds[KINDS.index("staff")]


def _gap_holds(snapshots: Snapshots, points: float) -> tuple[np.ndarray, np.ndarray]:
    """Whether any element's gap is ``points`` or more either way, and the largest one."""
    gaps = np.round(_gaps(snapshots), 1)
    size = np.where(np.isnan(gaps), -np.inf, np.abs(gaps))
    if size.shape[1] == 0:
        return np.zeros(size.shape[0], dtype=bool), np.zeros(size.shape[0], dtype=np.int64)
    widest = size.argmax(axis=1)
    holds = size[np.arange(size.shape[0]), widest] >= float(points) - 1e-9
    return holds, widest


def perception_gap_fires(state: State, params: Mapping[str, float]) -> Findings:
    """A gap of ``points`` or more between customers and staff on an element appeared since
    the previous snapshot; the alert names the widest gap."""
    holds_now, widest = _gap_holds(state.current, params["points"])
    held_before, _ = _gap_holds(state.previous, params["points"])
    positions = np.flatnonzero(holds_now & ~held_before & state.previous.exists)
    element = widest[positions]
    gaps_now = _gaps(state.current)[positions, element]
    gaps_before = _gaps(state.previous)[positions, element]
    return Findings(
        positions=positions,
        before=state.previous,
        element=element,
        value_before=gaps_before,
        value_after=gaps_now,
    )


def perception_gap_holds(
    state: State, params: Mapping[str, float], alerts: pd.DataFrame
) -> np.ndarray:
    holds_now, _ = _gap_holds(state.current, params["points"])
    return holds_now[alerts["position"].to_numpy()]


def detractor_fires(state: State, params: Mapping[str, float]) -> Findings:
    """A contact person's latest recommendation answer is ``maximum`` (6) or lower, and was
    not at the previous snapshot (a customer's first answers count as new)."""
    if state.nps_now is None or state.nps_before is None:
        return _nothing()
    maximum = float(params["maximum"])
    with np.errstate(invalid="ignore"):
        now = state.nps_now <= maximum
        before = state.nps_before <= maximum
    positions = np.flatnonzero(now & ~before & state.current.exists)
    return Findings(
        positions=positions,
        before=state.previous,
        value_before=state.nps_before[positions],
        value_after=state.nps_now[positions],
    )


def detractor_holds(state: State, params: Mapping[str, float], alerts: pd.DataFrame) -> np.ndarray:
    if state.nps_now is None:
        return np.zeros(len(alerts), dtype=bool)
    with np.errstate(invalid="ignore"):
        return state.nps_now[alerts["position"].to_numpy()] <= float(params["maximum"])


def _stale(state: State, days: float) -> np.ndarray:
    cutoff = state.now - float(days) * DAY
    with np.errstate(invalid="ignore"):
        return state.current.exists & ~(state.last_assessed > cutoff)


def stale_fires(state: State, params: Mapping[str, float]) -> Findings:
    """No assessment of any kind for ``days`` days (a time-based condition: whoever is in it
    and has no alert gets one)."""
    positions = np.flatnonzero(_stale(state, params["days"]))
    days_since = (state.now - state.last_assessed[positions]) / DAY
    return Findings(positions=positions, value_after=np.floor(days_since))


def stale_holds(state: State, params: Mapping[str, float], alerts: pd.DataFrame) -> np.ndarray:
    return _stale(state, params["days"])[alerts["position"].to_numpy()]


def provisional_fires(state: State, params: Mapping[str, float]) -> Findings:
    """The score became provisional (coverage under the threshold) since the previous snapshot
    (both with the active model)."""
    cur, prev = state.current, state.previous
    entering = cur.exists & prev.exists & cur.provisional & ~prev.provisional
    entering &= ~np.isnan(cur.score) & ~np.isnan(prev.score)
    positions = np.flatnonzero(entering)
    return Findings(
        positions=positions,
        before=prev,
        value_before=prev.coverage[positions],
        value_after=cur.coverage[positions],
    )


def provisional_holds(
    state: State, params: Mapping[str, float], alerts: pd.DataFrame
) -> np.ndarray:
    position = alerts["position"].to_numpy()
    return state.current.provisional[position] & ~np.isnan(state.current.score[position])


# --------------------------------------------------------------------------------------------
# Triggers on the other apps' facts: an action overdue, a contact rhythm lost touch, a
# departure recorded. Their state readers (alerts.selectors.linked) add the columns below to
# ``State.extra``, aligned to the customers; NaN where the customer has none.
# --------------------------------------------------------------------------------------------

ACTION_OVERDUE_DAYS = "action_overdue_days"  # days the most overdue running action is late
ACTION_OVERDUE_ELEMENT = "action_overdue_element"  # that action's element code ("" whole)
CONTACT_LOST_DAYS = "contact_lost_days"  # days past the maximum of the most urgent rhythm
DEPARTURE_DAYS = "departure_days"  # days since the newest departure was recorded


def _extra(state: State, name: str) -> np.ndarray:
    values = state.extra.get(name)
    if values is None:
        return np.full(len(state), np.nan)
    return np.asarray(values, dtype=float)


def _at_least(values: np.ndarray, minimum: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return values >= float(minimum) - 1e-9


def _at_most(values: np.ndarray, maximum: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return values <= float(maximum) + 1e-9


def action_overdue_fires(state: State, params: Mapping[str, float]) -> Findings:
    """A running (open or in progress) action is at least ``days`` days past its due date
    (a time-based condition: whoever is in it and has no alert gets one). The alert names
    the most overdue action's element."""
    late = _extra(state, ACTION_OVERDUE_DAYS)
    positions = np.flatnonzero(_at_least(late, params["days"]))
    codes = state.extra.get(ACTION_OVERDUE_ELEMENT)
    index = {code: i for i, code in enumerate(state.codes)}
    element = np.array(
        [index.get(str(codes[p]) if codes is not None else "", -1) for p in positions.tolist()],
        dtype=np.int64,
    )
    return Findings(positions=positions, element=element, value_after=late[positions])


def action_overdue_holds(
    state: State, params: Mapping[str, float], alerts: pd.DataFrame
) -> np.ndarray:
    """Some running action of the customer is still ``days`` days past its due date."""
    late = _extra(state, ACTION_OVERDUE_DAYS)
    return _at_least(late[alerts["position"].to_numpy()], params["days"])


def contact_lost_fires(state: State, params: Mapping[str, float]) -> Findings:
    """The customer's contact rhythm is past its maximum (relations' "lost touch") by at
    least ``days`` days; a contact of that kind clears it."""
    past = _extra(state, CONTACT_LOST_DAYS)
    positions = np.flatnonzero(_at_least(past, params["days"]))
    return Findings(positions=positions, value_after=past[positions])


def contact_lost_holds(
    state: State, params: Mapping[str, float], alerts: pd.DataFrame
) -> np.ndarray:
    past = _extra(state, CONTACT_LOST_DAYS)
    return _at_least(past[alerts["position"].to_numpy()], params["days"])


def departure_fires(state: State, params: Mapping[str, float]) -> Findings:
    """A departure of the customer was recorded in the last ``days`` days (one alert per
    episode; it resolves by itself when the departure is older)."""
    since = _extra(state, DEPARTURE_DAYS)
    positions = np.flatnonzero(_at_most(since, params["days"]))
    return Findings(positions=positions, value_after=np.floor(since[positions]))


def departure_holds(state: State, params: Mapping[str, float], alerts: pd.DataFrame) -> np.ndarray:
    since = _extra(state, DEPARTURE_DAYS)
    return _at_most(since[alerts["position"].to_numpy()], params["days"])
