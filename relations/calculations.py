"""The rules of the relationship around the score, as pure maths (no Django).

- **Contact cadence**: per contact kind a target and a maximum interval in days. Counted from
  the last contact of that kind (in whole days), a customer is *ok*, *due* (the target falls
  within the next ``due_within`` days, today included), *overdue* (past the target) or *lost
  touch* (past the maximum); never contacted is lost touch. Over several kinds the worst state
  counts. Which logged kinds count for which rhythm is ``COUNTS_FOR``: internal notes count
  for none.
- **Value segments**: ordered rules over revenue, margin, potential, payment behaviour, band
  and the customer's place in the Pareto of contribution (revenue × margin); the first rule a
  customer meets gives its segment.
- **Why they leave**: stated against believed reasons, as a matrix, an agreement share and the
  gaps per reason.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

OK, DUE, OVERDUE, LOST = "ok", "due", "overdue", "lost"
STATES = (OK, DUE, OVERDUE, LOST)  # from good to bad
DUE_WITHIN_DAYS = 7
# A logged contact of the key's kind resets the rhythm of these kinds. A video call is a call;
# after a visit nobody needs a phone call that week. An internal note is no touch at all.
COUNTS_FOR: dict[str, tuple[str, ...]] = {
    "visit": ("visit", "call"),
    "call": ("call",),
    "video_call": ("video_call", "call"),
    "email": ("email",),
    "event": ("event",),
    "note": (),
}
# "Never contacted": earlier than any real contact, so every date threshold has passed.
NEVER = date.min


# --------------------------------------------------------------------------------------------
# Contact cadence
# --------------------------------------------------------------------------------------------


def cadence_state(
    days_since: int | None, target: int, maximum: int, due_within: int = DUE_WITHIN_DAYS
) -> str:
    """The state of one rhythm, ``days_since`` whole days after its last contact (None: never).

    Exactly at the target is due (due today), one day past it overdue; exactly at the maximum
    is still overdue, one day past it lost touch.
    """
    if days_since is None or days_since > maximum:
        return LOST
    if days_since > target:
        return OVERDUE
    if target - days_since < due_within:
        return DUE
    return OK


@dataclass(frozen=True)
class CadenceDates:
    """The first day of each state after a last contact: the state on any day follows."""

    due_from: date
    overdue_from: date
    lost_from: date

    def state_on(self, day: date) -> str:
        return state_on(day, self.due_from, self.overdue_from, self.lost_from)


def cadence_dates(
    last: date | None, target: int, maximum: int, due_within: int = DUE_WITHIN_DAYS
) -> CadenceDates:
    """When a rhythm whose last contact was on ``last`` turns due, overdue and lost touch."""
    if last is None:
        return CadenceDates(NEVER, NEVER, NEVER)
    return CadenceDates(
        due_from=last + timedelta(days=max(0, target - due_within + 1)),
        overdue_from=last + timedelta(days=target + 1),
        lost_from=last + timedelta(days=maximum + 1),
    )


def state_on(day: date, due_from: date, overdue_from: date, lost_from: date) -> str:
    """The state on ``day`` of a customer whose rhythms give these first days (the earliest
    over its kinds); the same as the worst ``cadence_state`` of its kinds."""
    if day >= lost_from:
        return LOST
    if day >= overdue_from:
        return OVERDUE
    if day >= due_from:
        return DUE
    return OK


def worst(states: Iterable[str]) -> str | None:
    """The worst of several states (None for none)."""
    ranks = [STATES.index(s) for s in states]
    return STATES[max(ranks)] if ranks else None


def rhythm_lasts(last_per_kind: pd.DataFrame) -> pd.DataFrame:
    """Per customer and rhythm kind, the day of the last contact that counts for it.

    ``last_per_kind``: columns customer_id, kind (as logged), last (ordinal day numbers).
    Returns columns customer_id, kind (the rhythm), last.
    """
    rows = []
    for logged, rhythms in COUNTS_FOR.items():
        part = last_per_kind[last_per_kind["kind"] == logged]
        for rhythm in rhythms:
            rows.append(part.assign(kind=rhythm))
    if not rows:
        return pd.DataFrame(columns=["customer_id", "kind", "last"])
    counted = pd.concat(rows, ignore_index=True)
    if counted.empty:
        return pd.DataFrame(columns=["customer_id", "kind", "last"])
    return counted.groupby(["customer_id", "kind"], as_index=False, sort=False)["last"].max()


def cadence_table(
    customers: pd.DataFrame,
    targets: pd.DataFrame,
    last_per_kind: pd.DataFrame,
    *,
    due_within: int = DUE_WITHIN_DAYS,
    kind_order: Sequence[str] = tuple(COUNTS_FOR),
) -> pd.DataFrame:
    """For many customers at once: the first day due, overdue and lost touch, the most urgent
    rhythm kind and its last contact.

    ``customers``: columns customer_id, segment_id. ``targets``: segment_id, kind, target,
    maximum. ``last_per_kind``: customer_id, kind (as logged), last (ordinal day numbers of
    ``date.toordinal()``). Returns one row per customer whose segment has targets, indexed by
    customer_id: due_from, overdue_from, lost_from (ordinals; NEVER's for a rhythm never
    touched), kind and last (ordinal, or 0 for never).
    """
    columns = ["due_from", "overdue_from", "lost_from", "kind", "last"]
    if customers.empty or targets.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="customer_id"))
    plan = customers.merge(targets, on="segment_id", how="inner")
    lasts = rhythm_lasts(last_per_kind)
    plan = plan.merge(lasts, on=["customer_id", "kind"], how="left")
    never = plan["last"].isna().to_numpy()
    last = plan["last"].fillna(0).to_numpy(dtype=np.int64)
    target = plan["target"].to_numpy(dtype=np.int64)
    maximum = plan["maximum"].to_numpy(dtype=np.int64)
    never_day = NEVER.toordinal()
    plan["due_from"] = np.where(never, never_day, last + np.maximum(0, target - due_within + 1))
    plan["overdue_from"] = np.where(never, never_day, last + target + 1)
    plan["lost_from"] = np.where(never, never_day, last + maximum + 1)
    plan["last"] = last
    # The most urgent rhythm: the earliest overdue day, then the kinds' order.
    plan["kind_rank"] = [
        kind_order.index(k) if k in kind_order else len(kind_order) for k in plan["kind"]
    ]
    plan = plan.sort_values(["customer_id", "overdue_from", "kind_rank"], kind="stable")
    first = plan.groupby("customer_id", sort=True).first()
    table = plan.groupby("customer_id", sort=True)[["due_from", "overdue_from", "lost_from"]].min()
    table["kind"] = first["kind"]
    table["last"] = first["last"]
    return table[columns]


def ordinal_date(day: int) -> date | None:
    """A day number of ``date.toordinal()`` as a date; 0 is None (never)."""
    return date.fromordinal(int(day)) if day else None


# --------------------------------------------------------------------------------------------
# Value segments
# --------------------------------------------------------------------------------------------

PAYMENT_UNKNOWN = "unknown"  # a rule's payment condition for customers without one
BAND_NONE = "none"  # a rule's band condition for customers without a score


@dataclass(frozen=True)
class SegmentRuleSpec:
    """One rule as plain data: every condition that is set must hold (None: not set)."""

    segment_id: int
    payment: tuple[str, ...] = ()
    bands: tuple[str, ...] = ()
    revenue_min: float | None = None
    revenue_max: float | None = None
    margin_min: float | None = None
    margin_max: float | None = None
    potential_min: float | None = None
    potential_max: float | None = None
    contribution_top: float | None = None  # among the customers bringing the first X %
    contribution_tail: float | None = None  # outside the customers bringing the first X %
    rule_id: int | None = None


def pareto_position(contribution: np.ndarray) -> np.ndarray:
    """Per customer, the share (0–100) of the total positive contribution that the customers
    ranked above it bring, largest contribution first (ties in the given order).

    The largest customer is at 0; "the customers bringing the first 80 %" are those below 80.
    A customer contributing nothing or less is at 100; an unknown contribution is NaN.
    """
    values = np.asarray(contribution, dtype=float)
    position = np.full(len(values), np.nan)
    known = np.flatnonzero(~np.isnan(values))
    if not len(known):
        return position
    positive = np.clip(values[known], 0, None)
    total = positive.sum()
    order = known[np.argsort(-values[known], kind="stable")]
    if total <= 0:
        position[known] = 100.0
        return position
    ordered = np.clip(values[order], 0, None)
    before = np.concatenate([[0.0], np.cumsum(ordered)[:-1]])
    position[order] = np.where(ordered > 0, 100.0 * before / total, 100.0)
    return position


def rule_matches(frame: pd.DataFrame, rule: SegmentRuleSpec) -> np.ndarray:
    """Which customers of ``frame`` meet every condition of ``rule``.

    ``frame``: revenue, margin, potential (floats, margin NaN when unknown), payment ("" when
    unknown), band ("" without a score) and pareto (``pareto_position``). A condition on an
    unknown value is not met.
    """
    match = np.ones(len(frame), dtype=bool)
    with np.errstate(invalid="ignore"):
        for column, low, high in (
            ("revenue", rule.revenue_min, rule.revenue_max),
            ("margin", rule.margin_min, rule.margin_max),
            ("potential", rule.potential_min, rule.potential_max),
        ):
            values = frame[column].to_numpy(dtype=float)
            if low is not None:
                match &= values >= low
            if high is not None:
                match &= values < high
        pareto = frame["pareto"].to_numpy(dtype=float)
        if rule.contribution_top is not None:
            match &= pareto < rule.contribution_top
        if rule.contribution_tail is not None:
            match &= pareto >= rule.contribution_tail
    if rule.payment:
        payment = frame["payment"].fillna("").replace("", PAYMENT_UNKNOWN).to_numpy(dtype=object)
        match &= np.isin(payment, list(rule.payment))
    if rule.bands:
        band = frame["band"].fillna("").replace("", BAND_NONE).to_numpy(dtype=object)
        match &= np.isin(band, list(rule.bands))
    return match


def with_pareto(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its ``pareto`` column: the position by contribution (revenue × margin)."""
    frame = frame.copy()
    revenue = frame["revenue"].to_numpy(dtype=float)
    margin = pd.to_numeric(frame["margin"], errors="coerce").to_numpy(dtype=float)
    frame["pareto"] = pareto_position(revenue * margin / 100.0)
    return frame


def assign_segments(
    frame: pd.DataFrame, rules: Sequence[SegmentRuleSpec]
) -> tuple[np.ndarray, np.ndarray]:
    """The segment of each customer by the first rule it meets, and that rule's position.

    ``frame`` as ``rule_matches`` takes it, without ``pareto`` (computed here from revenue ×
    margin). Returns two integer arrays: segment ids (-1 when no rule matches) and the index
    of the matching rule in ``rules`` (-1 likewise).
    """
    frame = with_pareto(frame)
    segment = np.full(len(frame), -1, dtype=np.int64)
    which = np.full(len(frame), -1, dtype=np.int64)
    open_ = np.ones(len(frame), dtype=bool)
    for position, rule in enumerate(rules):
        hit = open_ & rule_matches(frame, rule)
        segment[hit] = rule.segment_id
        which[hit] = position
        open_ &= ~hit
    return segment, which


UP, SAME, DOWN = "up", "same", "down"


def segment_moves(
    before: pd.Series, after: pd.Series, rank: Mapping[int, int], customers: pd.Index
) -> pd.Series:
    """Per customer, how its segment moved between two moments: up (to a segment ranked
    before, e.g. engaging → thriving), same, down, or "" when either end has no segment.

    ``before``/``after`` map customer ids to segment ids; ``rank`` maps a segment id to its
    order (lower is more valuable).
    """
    start = before.reindex(customers).map(rank).to_numpy(dtype=float)
    end = after.reindex(customers).map(rank).to_numpy(dtype=float)
    known = ~np.isnan(start) & ~np.isnan(end)
    labels = np.where(
        known,
        np.where(end < start, UP, np.where(end > start, DOWN, SAME)),
        "",
    )
    return pd.Series(labels, index=customers, dtype=object)


def crossing(rows: pd.Series, columns: pd.Series, row_labels: Sequence, column_labels: Sequence):
    """Counts of customers per (row value, column value), in the given label order."""
    table = pd.crosstab(
        pd.Categorical(rows.to_numpy(dtype=object), categories=list(row_labels)),
        pd.Categorical(columns.to_numpy(dtype=object), categories=list(column_labels)),
        dropna=False,
    )
    return table.reindex(index=list(row_labels), columns=list(column_labels), fill_value=0)


# --------------------------------------------------------------------------------------------
# Why they leave
# --------------------------------------------------------------------------------------------


def reason_matrix(
    pairs: Sequence[tuple[Sequence[str], Sequence[str]]], codes: Sequence[str]
) -> pd.DataFrame:
    """Stated (rows) × believed (columns): in how many departures each pair was named.

    ``pairs`` holds, per departure with both sets, (stated reasons, believed reasons).
    """
    position = {code: i for i, code in enumerate(codes)}
    counts = np.zeros((len(codes), len(codes)), dtype=np.int64)
    for stated, believed in pairs:
        for s in set(stated):
            for b in set(believed):
                if s in position and b in position:
                    counts[position[s], position[b]] += 1
    return pd.DataFrame(counts, index=list(codes), columns=list(codes))


def agreement_share(pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> float | None:
    """The share (0–100) of departures whose believed reasons include a stated one."""
    if not pairs:
        return None
    agree = sum(1 for stated, believed in pairs if set(stated) & set(believed))
    return 100.0 * agree / len(pairs)


def reason_gaps(
    pairs: Sequence[tuple[Sequence[str], Sequence[str]]], codes: Sequence[str]
) -> pd.DataFrame:
    """Per reason: the share of departures stating it, the share believing it, and the gap
    (stated − believed, in percentage points), the largest gap either way first.

    Over the departures with both sets, as in the study where customers said service 70 % of
    the time and the sellers believed 20 %.
    """
    n = len(pairs)
    stated = np.array([sum(code in set(s) for s, _b in pairs) for code in codes], dtype=float)
    believed = np.array([sum(code in set(b) for _s, b in pairs) for code in codes], dtype=float)
    table = pd.DataFrame(
        {
            "stated": 100.0 * stated / n if n else np.full(len(codes), np.nan),
            "believed": 100.0 * believed / n if n else np.full(len(codes), np.nan),
        },
        index=pd.Index(list(codes), name="code"),
    )
    table["gap"] = table["stated"] - table["believed"]
    order = np.argsort(-np.abs(table["gap"].fillna(0).to_numpy()), kind="stable")
    return table.iloc[order]


def round_share(value: float | None) -> int | None:
    """A share as a whole percentage, rounded half up (None stays None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return math.floor(value + 0.5 + 1e-9)
