"""The effect report's engine on synthetic portfolios with a planted answer; no database.

Every portfolio here is made by ``synthetic_portfolio``: latent levels per customer and element,
answers = latent + noise, rounded and clipped to 0–6, so customers picked for a low value
score higher next time without any action (regression to the mean). The tests plant an
effect (or a pre-existing trend, or a halo on other elements) in the treated customers'
answers and check the engine finds what was planted, and nothing that was not. The fast paths
of the rule are checked against ``scoring.calculations.compute_portfolio``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from actions.calculations import (
    DAY_NS,
    EffectParams,
    EffectReport,
    GroupResult,
    _balance_row,
    _Panel,
    _StateGrid,
    _week_start,
    effect_report,
    matched_controls,
    welch_interval,
)
from scoring.calculations import KINDS, RuleParams, compute_portfolio

START = datetime(2024, 1, 1, tzinfo=UTC)
NOON = 12 * 3600 * 10**9

SMALL_MODEL = pd.DataFrame(
    {
        "code": ["performance", "service", "distinctiveness", "contract"],
        "factor": ["satisfaction", "satisfaction", "alternatives", "investment"],
        "weight": [3.0, 3.0, 2.0, 3.0],
    }
)

DEFAULT_MODEL = pd.DataFrame(
    {
        "code": [
            "performance",
            "service",
            "price_level",
            "perception",
            "competition",
            "distinctiveness",
            "knowledge_advantage",
            "perceived_alternatives",
            "it_integration",
            "contract",
            "presence",
            "personal_bond",
        ],
        "factor": ["satisfaction"] * 4 + ["alternatives"] * 4 + ["investment"] * 4,
        "weight": [3.0, 3.0, 2.0, 2.0, 2.0, 3.0, 2.0, 2.0, 4.0, 3.0, 1.0, 2.0],
    }
)


# --------------------------------------------------------------------------------------------
# Synthetic portfolios (also used by test_calibration and benchmarks/bench_effect_engine.py)
# --------------------------------------------------------------------------------------------


@dataclass
class Synthetic:
    """The engine's input frames and the planted truth."""

    assessments: pd.DataFrame
    scores: pd.DataFrame
    elements: pd.DataFrame
    actions: pd.DataFrame
    assignments: pd.DataFrame | None
    now: datetime
    treated: np.ndarray  # customer ids that got the action (the action arm of a campaign)

    def report(self, params: EffectParams | None = None, **kwargs) -> EffectReport:
        return effect_report(
            self.assessments,
            self.scores,
            self.elements,
            self.actions,
            now=self.now,
            assignments=self.assignments,
            params=params,
            **kwargs,
        )


def synthetic_portfolio(
    *,
    seed: int,
    customers: int = 300,
    elements: pd.DataFrame = SMALL_MODEL,
    days: int = 720,
    every: dict[str, int] | None = None,
    expert_share: float = 0.5,
    contacts: tuple[int, ...] = (1,),
    noise: float = 1.0,
    answer_rate: float = 0.92,
    target: str = "performance",
    action_type_id: int = 1,
    treated: int = 40,
    select_below: float | None = 2.5,
    decision_days: tuple[int, int] = (360, 450),
    effect: float = 0.0,
    halo: float = 0.0,
    pre_trend: float = 0.0,
    horizon_days: int = 180,
    campaign: bool = False,
    holdout: float = 0.2,
    customer_spread: float = 0.0,
) -> Synthetic:
    """A portfolio where the truth is known.

    Each customer has a latent level per element (plus ``customer_spread`` shared by all its
    elements); every answer is latent + normal noise, rounded and clipped to 0–6. Treated
    customers are the ones with the lowest customer-scored ``target`` at their decision
    (``select_below``; random ones with None), or a campaign's action arm; they get ``effect``
    on ``target`` and ``halo`` on every other element in the answers after their decision,
    and ``pre_trend`` makes their ``target`` rise by that much over the horizon before the
    decision (and stay there).
    """
    rng = np.random.default_rng(seed)
    every = {"staff": 90, "customer": 90, "expert": 180, **(every or {})}
    codes = list(elements["code"])
    n_elements = len(codes)
    latent = rng.normal(3.2, 0.8, size=(customers, n_elements))
    latent += rng.normal(0.0, customer_spread, size=(customers, 1))
    latent = np.clip(latent, 0.3, 5.7)
    customer_ids = np.arange(1, customers + 1)

    # Who assesses when: per respondent a random phase, then every `every` days ± 5.
    owner_parts, kind_parts, respondent_parts, day_parts = [], [], [], []
    n_respondents = 0
    for kind in KINDS:
        if kind == "customer":
            per_customer = rng.choice(contacts, size=customers)
        elif kind == "expert":
            per_customer = (rng.random(customers) < expert_share).astype(int)
        else:
            per_customer = np.ones(customers, dtype=int)
        owners = np.repeat(np.arange(customers), per_customer)
        steps = days // every[kind] + 2
        at = rng.uniform(0, every[kind], size=len(owners))[:, None]
        at = at + np.arange(steps)[None, :] * every[kind] + rng.uniform(-5, 5, (len(owners), steps))
        keep = (at >= 0) & (at < days)
        owner_parts.append(np.broadcast_to(owners[:, None], at.shape)[keep])
        kind_parts.append(np.full(int(keep.sum()), KINDS.index(kind)))
        ids = n_respondents + np.arange(len(owners))
        n_respondents += len(owners)
        respondent_parts.append(np.broadcast_to(ids[:, None], at.shape)[keep])
        day_parts.append(at[keep])
    owner = np.concatenate(owner_parts)
    kind_code = np.concatenate(kind_parts)
    respondent = np.concatenate(respondent_parts)
    n_assessments = len(owner)
    assessed_ns = _ns(START) + (np.concatenate(day_parts) * DAY_NS).astype(np.int64)
    noise_draw = rng.normal(0.0, noise, size=(n_assessments, n_elements))
    answered = rng.random((n_assessments, n_elements)) < answer_rate
    shift = np.zeros((n_assessments, n_elements))
    emails = pd.Categorical.from_codes(
        respondent, categories=[f"r{i}@example.com" for i in range(n_respondents)]
    )

    def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
        values = np.clip(np.round(latent[owner] + shift + noise_draw), 0, 6)
        assessments = pd.DataFrame(
            {
                "id": np.arange(1, n_assessments + 1),
                "customer_id": customer_ids[owner],
                "kind": pd.Categorical.from_codes(kind_code, categories=list(KINDS)),
                "respondent": emails,
                "assessed_at": pd.to_datetime(assessed_ns, utc=True),
            }
        )
        a_index, e_index = np.nonzero(answered)
        scores = pd.DataFrame(
            {
                "assessment_id": a_index + 1,
                "code": pd.Categorical.from_codes(e_index, categories=codes),
                "value": values[a_index, e_index],
            }
        )
        return assessments, scores

    target_pos = codes.index(target) if target else None
    decided_ns = _ns(START) + rng.integers(*decision_days, size=customers) * DAY_NS + NOON
    assignments = None
    if campaign:
        pool = rng.permutation(customers)[: treated * 2]
        in_action = rng.random(len(pool)) >= holdout
        chosen = pool[in_action]
        decided_ns[:] = _ns(START) + decision_days[0] * DAY_NS + NOON
        assignments = pd.DataFrame(
            {
                "campaign_id": 7,
                "customer_id": customer_ids[pool],
                "arm": np.where(in_action, "action", "control"),
                "started_at": pd.to_datetime(decided_ns[pool], utc=True),
                "action_type_id": action_type_id,
                "code": target,
            }
        )
    elif select_below is not None:
        assessments, scores = frames()
        panel = _Panel(assessments, scores, elements, RuleParams())
        means = panel.at(panel.positions(customer_ids), decided_ns)
        observed = means[:, KINDS.index("customer"), target_pos]
        chosen = rng.permutation(np.flatnonzero(observed <= select_below))[:treated]
    else:
        chosen = rng.permutation(customers)[:treated]

    # Plant the truth in the treated customers' answers.
    is_treated = np.zeros(customers, dtype=bool)
    is_treated[chosen] = True
    mine = is_treated[owner]
    after = mine & (assessed_ns > decided_ns[owner])
    if target_pos is not None:
        shift[after, target_pos] += effect
        others = [i for i in range(n_elements) if i != target_pos]
        shift[np.ix_(after, others)] += halo
        if pre_trend:
            horizon = horizon_days * DAY_NS
            since = (assessed_ns - (decided_ns[owner] - horizon)) / horizon
            ramp = np.clip(since, 0.0, 1.0) - 1.0  # −1 long before, 0 from the decision on
            shift[mine, target_pos] += pre_trend * ramp[mine]
    else:
        shift[after, :] += effect
    assessments, scores = frames()
    actions = pd.DataFrame(
        {
            "action_id": np.arange(1, len(chosen) + 1),
            "customer_id": customer_ids[chosen],
            "action_type_id": action_type_id,
            "code": target,
            "decided_at": pd.to_datetime(decided_ns[chosen], utc=True),
            "campaign_id": 7 if campaign else None,
        }
    )
    return Synthetic(
        assessments=assessments,
        scores=scores,
        elements=elements,
        actions=actions,
        assignments=assignments,
        now=START + timedelta(days=days),
        treated=customer_ids[chosen],
    )


def _ns(moment: datetime) -> int:
    return int(pd.Timestamp(moment).value)


def _at(day: float) -> datetime:
    return START + timedelta(days=day)


def only_group(report: EffectReport) -> GroupResult:
    assert len(report.groups) == 1
    return report.groups[0]


CUSTOMERS_ONLY = EffectParams(outcome_kinds=("customer",))


# --------------------------------------------------------------------------------------------
# The fast paths give what the rule gives
# --------------------------------------------------------------------------------------------


def rule_at(
    synthetic: Synthetic, moment: datetime, *, after: datetime | None = None
) -> pd.DataFrame:
    """compute_portfolio at a moment, optionally on the assessments made after ``after``."""
    assessments = synthetic.assessments
    if after is not None:
        assessments = assessments[assessments["assessed_at"] > after]
    return compute_portfolio(
        assessments,
        synthetic.scores,
        synthetic.elements,
        now=moment,
        customer_ids=np.unique(synthetic.assessments["customer_id"]),
    )


def assert_means_equal(fast: np.ndarray, kind_means: pd.DataFrame, codes: list[str]) -> None:
    for k, kind in enumerate(KINDS):
        for e, code in enumerate(codes):
            expected = kind_means[(kind, code)].to_numpy(dtype=float)
            np.testing.assert_allclose(fast[:, k, e], expected, rtol=0, atol=1e-12)


@pytest.fixture(scope="module")
def busy_portfolio() -> Synthetic:
    """Two contacts for some customers, experts for half, blanks, every kind."""
    return synthetic_portfolio(
        seed=3,
        customers=120,
        contacts=(1, 2, 3),
        every={"staff": 30, "customer": 75, "expert": 150},
        answer_rate=0.8,
        days=800,
        treated=0,
    )


def test_value_at_a_moment_equals_the_rule(busy_portfolio: Synthetic) -> None:
    synthetic = busy_portfolio
    panel = _Panel(synthetic.assessments, synthetic.scores, synthetic.elements, RuleParams())
    customers = panel.positions(panel.customers)
    for day in (0.5, 100.25, 365, 400, 777.7):
        moment = _at(day)
        fast = panel.at(customers, np.full(len(customers), _ns(moment)))
        rule = rule_at(synthetic, moment)
        assert_means_equal(fast, rule.kind_means, list(synthetic.elements["code"]))
        score = panel.binding_score(fast)
        np.testing.assert_allclose(score, rule.scores["binding_score"], rtol=0, atol=1e-9)
        bands = np.array(["red", "orange", "yellow", "green", ""])[panel.band(score)]
        assert list(bands) == list(rule.scores["band"])


def test_value_after_a_decision_equals_the_rule_on_later_assessments(
    busy_portfolio: Synthetic,
) -> None:
    synthetic = busy_portfolio
    panel = _Panel(synthetic.assessments, synthetic.scores, synthetic.elements, RuleParams())
    customers = panel.positions(panel.customers)
    n = len(customers)
    for start_day, end_day in ((300, 480), (410.5, 590.5), (600, 780)):
        fast = panel.after(
            customers, np.full(n, _ns(_at(start_day))), np.full(n, _ns(_at(end_day)))
        )
        rule = rule_at(synthetic, _at(end_day), after=_at(start_day))
        assert_means_equal(fast, rule.kind_means, list(synthetic.elements["code"]))


def test_the_candidate_grid_equals_the_rule_at_every_grid_moment(busy_portfolio: Synthetic) -> None:
    synthetic = busy_portfolio
    panel = _Panel(synthetic.assessments, synthetic.scores, synthetic.elements, RuleParams())
    moments = np.array([_ns(_at(day)) for day in (3, 150, 366, 367, 500, 799)])
    grid = _StateGrid(panel, moments)
    codes = list(synthetic.elements["code"])
    for column, moment in enumerate(moments):
        rule = rule_at(synthetic, pd.Timestamp(moment, tz="UTC").to_pydatetime())
        rows = grid.index[column]
        for k, kind in enumerate(KINDS):
            for e, code in enumerate(codes):
                np.testing.assert_allclose(
                    grid.values(k, e)[rows], rule.kind_means[(kind, code)], rtol=0, atol=1e-12
                )
        np.testing.assert_allclose(
            grid.score[rows], rule.scores["binding_score"], rtol=0, atol=1e-9
        )
        bands = np.array(["red", "orange", "yellow", "green", ""])[grid.band[rows]]
        assert list(bands) == list(rule.scores["band"])


def test_the_fast_paths_follow_the_rule_in_its_corners() -> None:
    """Ties on assessed_at (the higher id wins), the window's inclusive start, a blank
    assessment replacing an answered one, a code of an older model, a source weight of 0,
    one e-mail at two customers, and half points (the float path of the grid)."""
    moment = datetime(2025, 6, 1, 12, tzinfo=UTC)
    year = timedelta(days=365)
    rows = [
        # id, customer, kind, respondent, assessed_at, {code: value}
        (1, 1, "customer", "a@x", moment - timedelta(days=10), {"performance": 1}),
        (2, 1, "customer", "a@x", moment - timedelta(days=10), {"performance": 5}),  # tie
        (3, 1, "staff", "s@x", moment - year, {"performance": 2, "service": 4}),  # at start
        (4, 1, "expert", "e@x", moment - year - timedelta(microseconds=1), {"service": 6}),
        (5, 2, "customer", "a@x", moment - timedelta(days=200), {"performance": 4}),
        (6, 2, "customer", "a@x", moment - timedelta(days=100), {}),  # blank replaces 5
        (7, 2, "staff", "s@x", moment - timedelta(days=5), {"old_code": 6, "contract": 3.5}),
        (8, 3, "customer", "b@x", moment - timedelta(days=1), {"contract": 2.5, "service": 1}),
        (9, 3, "customer", "c@x", moment - timedelta(days=2), {"contract": 4}),
        (10, 3, "staff", "s@x", moment, {"contract": 0}),  # exactly at the moment
    ]
    assessments = pd.DataFrame(
        [r[:5] for r in rows], columns=["id", "customer_id", "kind", "respondent", "assessed_at"]
    )
    scores = pd.DataFrame(
        [(r[0], code, value) for r in rows for code, value in r[5].items()],
        columns=["assessment_id", "code", "value"],
    )
    for weights in ({"staff": 1.0, "customer": 1.0, "expert": 1.0}, {"staff": 0.0}):
        params = RuleParams(source_weights={"customer": 1.0, "expert": 2.0, **weights})
        panel = _Panel(assessments, scores, SMALL_MODEL, params)
        customers = panel.positions(np.array([1, 2, 3]))
        fast = panel.at(customers, np.full(3, _ns(moment)))
        rule = compute_portfolio(assessments, scores, SMALL_MODEL, now=moment, params=params)
        assert_means_equal(fast, rule.kind_means, list(SMALL_MODEL["code"]))
        np.testing.assert_allclose(
            panel.binding_score(fast), rule.scores["binding_score"], rtol=0, atol=1e-9
        )
        grid = _StateGrid(panel, np.array([_ns(moment) - DAY_NS, _ns(moment)]))
        rows_now = grid.index[1]
        np.testing.assert_allclose(
            grid.score[rows_now], rule.scores["binding_score"], rtol=0, atol=1e-9
        )
        for e in range(len(SMALL_MODEL)):
            for k in range(3):
                np.testing.assert_allclose(grid.values(k, e)[rows_now], fast[:, k, e], atol=1e-12)
    # The tie went to the later id, the inclusive start counted, one microsecond more did not.
    assert fast[0, KINDS.index("customer"), 0] == 5
    assert fast[0, KINDS.index("staff"), 1] == 4
    assert np.isnan(fast[0, KINDS.index("expert"), 1])
    assert np.isnan(fast[1, KINDS.index("customer"), 0])  # the blank one replaced the 4


# --------------------------------------------------------------------------------------------
# The estimators find what was planted
# --------------------------------------------------------------------------------------------


def test_matched_estimate_covers_a_planted_effect_despite_regression_to_the_mean() -> None:
    synthetic = synthetic_portfolio(seed=11, customers=600, treated=60, effect=1.0)
    outcome = only_group(synthetic.report()).outcome("customer")
    estimate = outcome.estimate
    assert not estimate.too_little_data
    assert estimate.low <= 1.0 <= estimate.high
    assert estimate.low > 0
    # The naive before/after adds the regression to the mean on top of the effect.
    assert outcome.naive_change > estimate.high
    assert outcome.role == "primary"
    assert only_group(synthetic.report()).outcome("expert").role == "secondary"


def test_randomised_estimate_covers_a_planted_effect() -> None:
    synthetic = synthetic_portfolio(
        seed=12, customers=600, treated=150, effect=1.0, campaign=True, holdout=0.3
    )
    group = only_group(synthetic.report())
    assert group.estimator == "randomised" and group.campaign_id == 7
    estimate = group.outcome("customer").estimate
    assert estimate.low <= 1.0 <= estimate.high
    assert estimate.low > 0
    treated, controls = group.outcome("customer").treated, group.outcome("customer").controls
    assert treated.arm == "action" and controls.arm == "control"
    assert estimate.n_treated == treated.used and estimate.n_controls == controls.used


def test_low_starters_without_effect_show_no_positive_effect_though_before_after_does() -> None:
    synthetic = synthetic_portfolio(seed=13, customers=600, treated=60, effect=0.0)
    outcome = only_group(synthetic.report()).outcome("customer")
    # Naive before/after: the treated customers' own change, clearly positive.
    assert outcome.naive_change > 0.5
    estimate = outcome.estimate
    assert estimate.low <= 0 <= estimate.high
    assert not estimate.low > 0
    # Matching on the value before removes what the naive view mistakes for an effect.
    assert estimate.high < outcome.naive_change


def test_naive_before_after_interval_is_positive_on_the_same_portfolio() -> None:
    """What a before/after count shows on the portfolio above: its own t interval > 0."""
    synthetic = synthetic_portfolio(seed=13, customers=600, treated=60, effect=0.0)
    panel = _Panel(synthetic.assessments, synthetic.scores, synthetic.elements, RuleParams())
    customers = panel.positions(synthetic.actions["customer_id"].to_numpy())
    decided = synthetic.actions["decided_at"].astype("int64").to_numpy()
    horizon = 180 * DAY_NS
    k = KINDS.index("customer")
    before = panel.at(customers, decided)[:, k, 0]
    after = panel.after(customers, decided, decided + horizon)[:, k, 0]
    change = (after - before)[~np.isnan(after - before)]
    low = change.mean() - stats.t.ppf(0.975, len(change) - 1) * stats.sem(change)
    assert low > 0


def test_pre_trend_flag_fires_when_treated_customers_were_already_rising() -> None:
    rising = synthetic_portfolio(
        seed=14, customers=600, treated=60, select_below=None, pre_trend=2.0
    )
    outcome = only_group(rising.report(CUSTOMERS_ONLY)).outcome("customer")
    assert outcome.pre_trend.effect > 0.5
    assert outcome.pre_trend_flag
    clean = synthetic_portfolio(seed=14, customers=600, treated=60, select_below=None)
    assert not only_group(clean.report(CUSTOMERS_ONLY)).outcome("customer").pre_trend_flag


def test_placebo_flag_fires_when_the_action_moves_elements_it_did_not_target() -> None:
    halo = synthetic_portfolio(seed=15, customers=600, treated=60, effect=1.0, halo=1.0)
    group = only_group(halo.report(CUSTOMERS_ONLY))
    # Outside the target's factor (satisfaction), the element with most measurable treated.
    assert group.placebo_code == "distinctiveness"
    outcome = group.outcome("customer")
    assert outcome.placebo.low <= 1.0 <= outcome.placebo.high
    assert outcome.placebo_flag
    clean = synthetic_portfolio(seed=15, customers=600, treated=60, effect=1.0)
    assert not only_group(clean.report(CUSTOMERS_ONLY)).outcome("customer").placebo_flag


def test_under_ten_treated_is_too_little_data_never_a_point_estimate() -> None:
    nine = synthetic_portfolio(seed=16, customers=400, treated=9, effect=1.0)
    outcome = only_group(nine.report(CUSTOMERS_ONLY)).outcome("customer")
    assert outcome.treated.used < 10
    assert outcome.estimate.too_little_data
    assert (outcome.estimate.effect, outcome.estimate.low, outcome.estimate.high) == (
        None,
        None,
        None,
    )
    assert outcome.pre_trend.too_little_data and not outcome.pre_trend_flag
    plenty = synthetic_portfolio(seed=16, customers=400, treated=20, effect=1.0)
    outcome = only_group(plenty.report(CUSTOMERS_ONLY)).outcome("customer")
    assert outcome.treated.used >= 10 and not outcome.estimate.too_little_data


def test_under_ten_controls_is_too_little_data() -> None:
    # 14 customers: however many are treated, fewer than 10 can be controls.
    few = synthetic_portfolio(seed=17, customers=24, treated=12, select_below=None)
    outcome = only_group(few.report(CUSTOMERS_ONLY)).outcome("customer")
    assert outcome.estimate.n_controls < 10
    assert outcome.estimate.too_little_data and outcome.estimate.effect is None


def test_randomised_under_ten_in_an_arm_is_too_little_data() -> None:
    synthetic = synthetic_portfolio(seed=18, customers=300, treated=30, campaign=True, holdout=0.1)
    outcome = only_group(synthetic.report(CUSTOMERS_ONLY)).outcome("customer")
    assert outcome.controls.used < 10
    assert outcome.estimate.too_little_data and outcome.estimate.effect is None


def test_balance_row_standardises_the_difference_and_flags_above_a_tenth() -> None:
    treated = np.array([1.0, 2.0, 3.0])
    control = np.array([1.0, 3.0, 5.0])
    weights = np.array([1.0, 1.0, 2.0])  # weighted mean 3.5, weighted variance 2.75
    row = _balance_row("before_value", treated, control, weights, 0.1)
    pooled = math.sqrt((2 / 3 + 2.75) / 2)
    assert row.mean_treated == 2.0 and row.mean_control == 3.5
    assert row.smd == pytest.approx((2.0 - 3.5) / pooled)
    assert row.flagged
    close = _balance_row("before_value", treated, treated + 0.05, np.ones(3), 0.1)
    assert abs(close.smd) < 0.1 and not close.flagged


def test_balance_table_flags_the_trend_a_pre_existing_rise_leaves_unmatched() -> None:
    rising = synthetic_portfolio(
        seed=14, customers=600, treated=60, select_below=None, pre_trend=2.0
    )
    balance = {row.variable: row for row in only_group(rising.report()).outcome("customer").balance}
    assert balance["score_trend"].flagged and balance["score_trend"].smd > 0.1
    assert not balance["before_value"].flagged


def test_welch_interval_is_scipys() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(1.0, 1.0, 40), rng.normal(0.0, 2.5, 15)
    effect, low, high = welch_interval(a, b)
    expected = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert effect == pytest.approx(a.mean() - b.mean())
    assert (low, high) == pytest.approx((expected.low, expected.high))


# --------------------------------------------------------------------------------------------
# The report around the numbers
# --------------------------------------------------------------------------------------------


def test_the_report_is_stable_and_a_group_does_not_move_when_another_type_arrives() -> None:
    synthetic = synthetic_portfolio(seed=19, customers=400, treated=40, effect=0.5)
    first = only_group(synthetic.report()).outcome("customer").estimate
    again = only_group(synthetic.report()).outcome("customer").estimate
    assert first == again
    other = synthetic.actions.assign(
        action_id=synthetic.actions["action_id"] + 1000,
        customer_id=(synthetic.actions["customer_id"] % 400) + 1,
        action_type_id=2,
        code="contract",
    )
    more = Synthetic(
        **{**synthetic.__dict__, "actions": pd.concat([synthetic.actions, other])}
    ).report()
    assert len(more.groups) == 2
    assert more.groups[0].outcome("customer").estimate == first


def test_counts_add_up_with_pending_and_departed_customers() -> None:
    synthetic = synthetic_portfolio(
        seed=20, customers=500, treated=60, select_below=None, decision_days=(300, 700)
    )
    actions = synthetic.actions
    leaving = actions["customer_id"].iloc[:5]
    departures = pd.DataFrame(
        {
            "customer_id": leaving,
            "left_at": actions["decided_at"].iloc[:5] + pd.Timedelta(days=30),
        }
    )
    report = synthetic.report(departures=departures)
    for outcome in only_group(report).outcomes:
        t = outcome.treated
        assert t.total == 60
        assert t.pending == int(
            (actions["decided_at"] + pd.Timedelta(days=180) > synthetic.now).sum()
        )
        assert t.left == int(
            (actions["decided_at"].iloc[:5] + pd.Timedelta(days=180) <= synthetic.now).sum()
        )
        assert t.pending + t.left + t.no_baseline + t.unmatched + t.not_measurable + t.used == 60
        assert t.matched == t.not_measurable + t.used
        c = outcome.controls
        assert c.left + c.not_measurable + c.used == c.total
    assert {b.band for b in only_group(report).outcome("customer").by_band} <= {
        "red",
        "orange",
        "yellow",
        "green",
    }


def test_split_by_band_estimates_each_band_on_its_own() -> None:
    synthetic = synthetic_portfolio(
        seed=21, customers=800, treated=120, effect=1.0, select_below=3.0, customer_spread=0.8
    )
    outcome = only_group(synthetic.report(CUSTOMERS_ONLY)).outcome("customer")
    measured = [b for b in outcome.by_band if not b.estimate.too_little_data]
    assert len(measured) >= 2
    assert sum(b.estimate.n_treated for b in outcome.by_band) == outcome.estimate.n_treated
    for band in measured:
        assert band.estimate.low <= 1.0 <= band.estimate.high


def test_whole_binding_actions_are_measured_in_score_points_without_placebo() -> None:
    def planted(effect: float) -> GroupResult:
        synthetic = synthetic_portfolio(
            seed=22, customers=600, treated=60, target="", effect=effect, select_below=None
        )
        return only_group(synthetic.report(CUSTOMERS_ONLY))

    group, without = planted(1.0), planted(0.0)
    assert group.code == "" and group.unit == "points"
    assert group.placebo_code is None
    outcome = group.outcome("customer")
    assert outcome.placebo is None and not outcome.placebo_flag
    assert outcome.estimate.low > 0
    # Same customers, same noise: the difference is the planted +1 on every element, which is
    # 100/6 ≈ 16.7 binding-score points (a little less where answers are clipped at 6).
    gained = outcome.estimate.effect - without.outcome("customer").estimate.effect
    assert 15.5 <= gained <= 100 / 6 + 0.01


def test_a_negative_effect_is_red_in_the_forest() -> None:
    synthetic = synthetic_portfolio(seed=23, customers=600, treated=60, effect=-1.0)
    (row,) = synthetic.report(CUSTOMERS_ONLY).forest("customer")
    assert row.negative and row.high < 0
    assert row.estimator == "matched" and row.code == "performance" and row.unit == "scale"


def test_matched_controls_are_alike_and_had_no_such_action() -> None:
    synthetic = synthetic_portfolio(seed=24, customers=400, treated=40, decision_days=(360, 700))
    controls = matched_controls(
        synthetic.assessments,
        synthetic.scores,
        synthetic.elements,
        synthetic.actions,
        now=synthetic.now,
    )
    pending = synthetic.actions["decided_at"] > synthetic.now - pd.Timedelta(days=180)
    assert set(controls["action_id"]) & set(synthetic.actions["action_id"][pending])
    panel = _Panel(synthetic.assessments, synthetic.scores, synthetic.elements, RuleParams())
    mine = controls[controls["kind"] == "customer"].merge(synthetic.actions, on="action_id")
    week = mine["week_start"].astype("int64").to_numpy()
    decided = mine["decided_at"].astype("int64").to_numpy()
    assert np.all(week == _week_start(decided))
    k = KINDS.index("customer")
    control = panel.at(panel.positions(mine["customer_id_x"].to_numpy()), week)
    treated = panel.at(panel.positions(mine["customer_id_y"].to_numpy()), decided)
    assert np.all(np.abs(control[:, k, 0] - treated[:, k, 0]) <= 0.5 + 1e-9)
    score_c, score_t = panel.binding_score(control), panel.binding_score(treated)
    assert np.all(np.abs(score_c - score_t) <= 5 + 1e-9)
    assert np.all(panel.band(score_c) == panel.band(score_t))
    # No control got this action type within the horizon around the decision.
    treated_at = synthetic.actions.set_index("customer_id")["decided_at"]
    for customer, when in zip(mine["customer_id_x"], mine["decided_at"], strict=True):
        if customer in treated_at.index:
            assert abs(treated_at[customer] - when) > pd.Timedelta(days=180)


def test_no_data_gives_too_little_data_never_an_error() -> None:
    assessments = pd.DataFrame(
        {
            "id": pd.Series([], dtype="int64"),
            "customer_id": pd.Series([], dtype="int64"),
            "kind": pd.Series([], dtype=object),
            "respondent": pd.Series([], dtype=object),
            "assessed_at": pd.Series([], dtype="datetime64[ns, UTC]"),
        }
    )
    scores = pd.DataFrame(
        {
            "assessment_id": pd.Series([], dtype="int64"),
            "code": pd.Series([], dtype=object),
            "value": pd.Series([], dtype=float),
        }
    )
    actions = pd.DataFrame(
        {
            "action_id": [1, 2],
            "customer_id": [5, 6],
            "action_type_id": [1, 2],
            "code": ["performance", "no_longer_in_the_model"],
            "decided_at": pd.to_datetime(["2025-01-01", "2025-02-01"], utc=True),
            "campaign_id": [None, None],
        }
    )
    now = datetime(2025, 12, 1, tzinfo=UTC)
    assert effect_report(assessments, scores, SMALL_MODEL, actions.iloc[:0], now=now).groups == ()
    report = effect_report(assessments, scores, SMALL_MODEL, actions, now=now)
    for group in report.groups:
        for outcome in group.outcomes:
            assert outcome.estimate.too_little_data and outcome.estimate.effect is None
            assert outcome.treated.no_baseline == 1
    assert matched_controls(assessments, scores, SMALL_MODEL, actions, now=now).empty
    campaign = pd.DataFrame(
        {
            "campaign_id": 3,
            "customer_id": [5, 6],
            "arm": ["action", "control"],
            "started_at": pd.Timestamp("2025-01-01", tz="UTC"),
            "action_type_id": 1,
            "code": "performance",
        }
    )
    report = effect_report(
        assessments, scores, SMALL_MODEL, actions.iloc[:0], now=now, assignments=campaign
    )
    assert report.groups[0].outcome("customer").estimate.too_little_data


def test_one_customer_with_one_fresh_action_is_too_little_data() -> None:
    """A fresh install: one customer, one action decided now, no other customer to match."""
    now = datetime(2025, 12, 1, 12, tzinfo=UTC)
    assessments = pd.DataFrame(
        {
            "id": [1, 2],
            "customer_id": [1, 1],
            "kind": ["staff", "customer"],
            "respondent": ["s@x", "c@x"],
            "assessed_at": [now - timedelta(days=10), now],
        }
    )
    scores = pd.DataFrame(
        {"assessment_id": [1, 1, 2], "code": ["performance", "contract", "contract"], "value": 3.0}
    )
    actions = pd.DataFrame(
        {
            "action_id": [1],
            "customer_id": [1],
            "action_type_id": [4],
            "code": ["contract"],
            "decided_at": [now],
            "campaign_id": [None],
        }
    )
    for moment in (now, now + timedelta(days=400)):  # pending, and long after
        (group,) = effect_report(assessments, scores, SMALL_MODEL, actions, now=moment).groups
        for outcome in group.outcomes:
            assert outcome.estimate.too_little_data and outcome.controls.total == 0
    later = effect_report(assessments, scores, SMALL_MODEL, actions, now=now + timedelta(days=400))
    assert later.groups[0].outcome("customer").treated.unmatched == 1
