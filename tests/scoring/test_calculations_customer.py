"""The one-customer rule gives exactly what the portfolio rule gives (issue 12).

A property test: hypothesis draws portfolios of random customers (respondents of every kind,
don't-knows, codes of other model versions, assessments on and just past the window's edges,
ties in time, random element and source weights, a zero source weight), runs
``compute_portfolio`` once over the portfolio and ``compute_customer`` per customer on that
customer's rows in the same order, and asks for equal numbers, to the last bit. No database.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.calculations import (
    FACTORS,
    KINDS,
    CustomerResult,
    RuleElements,
    RuleParams,
    compute_customer,
    compute_portfolio,
    counted_assessments,
    latest_per_respondent,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
RESPONDENTS = ("anne@example.com", "bert@example.com", "carla@example.com", "")

weights = st.one_of(
    st.integers(min_value=1, max_value=6).map(float),
    st.floats(min_value=0.05, max_value=10, allow_nan=False, allow_infinity=False),
)
source_weight = st.one_of(
    st.just(1.0),
    st.just(0.0),
    st.floats(min_value=0.01, max_value=5, allow_nan=False, allow_infinity=False),
)


@st.composite
def portfolios(draw: st.DrawFn):
    """Elements, rule parameters and the assessments and scores of a few customers."""
    n_elements = draw(st.integers(min_value=1, max_value=12))
    codes = [f"e{i}" for i in range(n_elements)]
    elements = pd.DataFrame(
        {
            "code": codes,
            "factor": [draw(st.sampled_from(FACTORS)) for _ in codes],
            "weight": [draw(weights) for _ in codes],
        }
    )
    validity = draw(st.integers(min_value=1, max_value=400))
    sources = {kind: draw(source_weight) for kind in KINDS}
    if draw(st.booleans()):
        sources.pop(draw(st.sampled_from(KINDS)))  # a kind without a source weight weighs 0
    params = RuleParams(
        validity_days=validity,
        source_weights=sources,
        provisional_coverage=draw(st.sampled_from([50.0, 0.0, 75.0])),
    )
    start = NOW - timedelta(days=validity)
    # On the edges (both inclusive), just outside them, inside, and before the window.
    moments = st.one_of(
        st.sampled_from(
            [NOW, start, start - MICROSECOND, start + MICROSECOND, NOW + MICROSECOND, NOW]
        ),
        st.integers(min_value=0, max_value=validity * 24).map(
            lambda hours: NOW - timedelta(hours=hours)
        ),
        st.integers(min_value=1, max_value=200).map(lambda days: start - timedelta(days=days)),
    )
    value = st.one_of(st.none(), st.integers(min_value=0, max_value=6).map(float))
    n_customers = draw(st.integers(min_value=1, max_value=10))
    customers = list(range(101, 101 + n_customers))
    assessments: list[tuple[int, int, str, str, datetime]] = []
    scores: list[tuple[int, str, float]] = []
    n_assessments = draw(st.integers(min_value=0, max_value=4 * n_customers))
    # Ids not in time order, so ties in time go to the higher id rather than the first row.
    ids = draw(st.permutations(list(range(1, n_assessments + 1))))
    for assessment_id in ids:
        customer = draw(st.sampled_from(customers))
        kind = draw(st.sampled_from(KINDS))
        respondent = draw(st.sampled_from(RESPONDENTS))
        at = draw(moments)
        assessments.append((assessment_id, customer, kind, respondent, at))
        answered = draw(st.lists(st.sampled_from([*codes, "other_version"]), unique=True))
        for code in answered:
            v = draw(value)
            scores.append((assessment_id, code, math.nan if v is None else v))
    scores = draw(st.permutations(scores))  # the frames' order is the database's
    return elements, params, customers, assessments, scores


def _same(a: float | None, b: float) -> bool:
    """Equal to the last bit, None standing for the portfolio's NaN."""
    if a is None:
        return math.isnan(b)
    return a == b


def _check(result: CustomerResult, row: pd.Series, values: np.ndarray, means: np.ndarray) -> None:
    for column in ("binding_score", *FACTORS):
        assert _same(getattr(result, column), float(row[column])), column
    assert result.coverage == float(row["coverage"])
    assert result.provisional == bool(row["provisional"])
    assert result.band == str(row["band"] or "")
    assert result.respondents == int(row["respondents"])
    assert np.array_equal(np.asarray(result.element_values), values, equal_nan=True)
    assert np.array_equal(np.asarray(result.kind_means).ravel(), means, equal_nan=True)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(portfolios())
def test_one_customer_equals_the_portfolio_rule(portfolio) -> None:
    elements, params, customers, assessments, scores = portfolio
    frame = pd.DataFrame(
        assessments, columns=["id", "customer_id", "kind", "respondent", "assessed_at"]
    )
    frame["assessed_at"] = pd.to_datetime(frame["assessed_at"], utc=True)
    frame = frame.astype({"id": "int64", "customer_id": "int64"})
    score_frame = pd.DataFrame(scores, columns=["assessment_id", "code", "value"]).astype(
        {"assessment_id": "int64", "value": float}
    )
    portfolio_result = compute_portfolio(
        frame, score_frame, elements, now=NOW, params=params, customer_ids=customers
    )
    rule_elements = RuleElements.from_frame(elements)
    owner = {a[0]: a[1] for a in assessments}
    for customer in customers:
        mine = [(i, kind, who, at) for i, c, kind, who, at in assessments if c == customer]
        my_scores = [s for s in scores if owner[s[0]] == customer]
        result = compute_customer(mine, my_scores, rule_elements, now=NOW, params=params)
        _check(
            result,
            portfolio_result.scores.loc[customer],
            portfolio_result.element_values.loc[customer].to_numpy(dtype=float),
            portfolio_result.kind_means.loc[customer].to_numpy(dtype=float),
        )


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(portfolios())
def test_counted_assessments_equal_latest_per_respondent(portfolio) -> None:
    """Step 1 without pandas (which the customer page's "why it moved" also counts with)
    keeps exactly the assessments the portfolio rule's step 1 keeps, per customer."""
    _elements, params, customers, assessments, _scores = portfolio
    frame = pd.DataFrame(
        assessments, columns=["id", "customer_id", "kind", "respondent", "assessed_at"]
    )
    frame["assessed_at"] = pd.to_datetime(frame["assessed_at"], utc=True)
    kept = latest_per_respondent(frame, now=NOW, params=params)
    for customer in customers:
        mine = [(i, kind, who, at) for i, c, kind, who, at in assessments if c == customer]
        counted = counted_assessments(mine, now=NOW, params=params)
        theirs = kept[kept["customer_id"] == customer]
        assert set(counted) == set(theirs["id"].tolist())
        assert sorted(counted.values()) == sorted(
            zip(theirs["kind"], theirs["respondent"], strict=True)
        )


def test_one_assessment_on_its_own() -> None:
    """An assessment dated now, alone: the score its own values give (DESIGN §3 by hand)."""
    elements = RuleElements.of(
        ["performance", "distinctiveness", "presence"],
        ["satisfaction", "alternatives", "investment"],
        [3, 2, 1],
    )
    result = compute_customer(
        [(7, "customer", "", NOW)],
        [(7, "performance", 6.0), (7, "distinctiveness", None), (7, "presence", 3.0)],
        elements,
        now=NOW,
    )
    assert result.binding_score == pytest.approx(100 * (3 * 6 + 1 * 3) / (6 * 4))
    assert result.coverage == pytest.approx(100 * 4 / 6)
    assert result.alternatives is None
    assert result.band == "green"
    assert result.respondents == 1
    assert result.kind_means[KINDS.index("customer")][0] == 6.0


def test_nothing_answered_gives_no_score() -> None:
    elements = RuleElements.of(["a"], ["satisfaction"], [1])
    result = compute_customer([(1, "staff", "x", NOW)], [(1, "a", None)], elements, now=NOW)
    assert result.binding_score is None
    assert result.band == ""
    assert result.coverage == 0.0
    assert result.provisional
    assert result.respondents == 0


def test_weights_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RuleElements.of(["a"], ["satisfaction"], [0])
