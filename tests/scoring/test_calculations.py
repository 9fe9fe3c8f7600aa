"""The binding-score rule on hand-computed cases; no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from scoring.calculations import (
    RuleParams,
    band_of,
    bands,
    compute_portfolio,
    perception_gap,
    points_to_gain,
    quadrant,
    round_half_up,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

# Three elements, one per factor, weights 3, 2 and 1 (total 6).
ELEMENTS = pd.DataFrame(
    {
        "code": ["performance", "distinctiveness", "presence"],
        "factor": ["satisfaction", "alternatives", "investment"],
        "weight": [3.0, 2.0, 1.0],
    }
)


class Portfolio:
    """Builds the assessments and scores frames the rule takes."""

    def __init__(self) -> None:
        self.assessments: list[dict] = []
        self.scores: list[dict] = []

    def add(
        self,
        customer: int,
        kind: str,
        respondent: str,
        values: dict[str, float | None],
        *,
        days_ago: float = 10,
        at: datetime | None = None,
    ) -> Portfolio:
        assessment_id = len(self.assessments) + 1
        self.assessments.append(
            {
                "id": assessment_id,
                "customer_id": customer,
                "kind": kind,
                "respondent": respondent,
                "assessed_at": at or NOW - timedelta(days=days_ago),
            }
        )
        for code, value in values.items():
            self.scores.append(
                {
                    "assessment_id": assessment_id,
                    "code": code,
                    "value": np.nan if value is None else float(value),
                }
            )
        return self

    def compute(self, elements: pd.DataFrame = ELEMENTS, **kwargs):
        assessments = pd.DataFrame(
            self.assessments, columns=["id", "customer_id", "kind", "respondent", "assessed_at"]
        )
        scores = pd.DataFrame(self.scores, columns=["assessment_id", "code", "value"])
        return compute_portfolio(assessments, scores, elements, now=NOW, **kwargs)


def score_of(result, customer: int = 1) -> float:
    return float(result.scores.loc[customer, "binding_score"])


def test_single_staff_assessment_gives_weighted_score_factor_scores_and_full_coverage():
    result = (
        Portfolio()
        .add(
            1,
            "staff",
            "am@x.nl",
            {
                "performance": 6,
                "distinctiveness": 3,
                "presence": 0,
            },
        )
        .compute()
    )
    # 100 · (3·6 + 2·3 + 1·0) / (6 · 6) = 2400 / 36
    assert score_of(result) == pytest.approx(66.6667, abs=1e-4)
    row = result.scores.loc[1]
    assert row["satisfaction"] == pytest.approx(100.0)
    assert row["alternatives"] == pytest.approx(50.0)
    assert row["investment"] == pytest.approx(0.0)
    assert row["coverage"] == pytest.approx(100.0)
    assert not row["provisional"]
    assert row["band"] == "yellow"
    assert row["respondents"] == 1


def test_several_respondents_per_kind_are_averaged_then_kinds_are_averaged():
    result = (
        Portfolio()
        .add(1, "staff", "a@x.nl", {"performance": 6})
        .add(1, "staff", "b@x.nl", {"performance": 4})
        .add(1, "customer", "c@klant.nl", {"performance": 2})
        .compute()
    )
    # staff mean 5, customer mean 2: v = (5 + 2) / 2 = 3.5, not the respondent mean 4.
    assert result.element_values.loc[1, "performance"] == pytest.approx(3.5)
    assert score_of(result) == pytest.approx(100 * 3.5 / 6)
    assert result.kind_means.loc[1, ("staff", "performance")] == pytest.approx(5.0)
    assert result.kind_means.loc[1, ("customer", "performance")] == pytest.approx(2.0)
    assert result.scores.loc[1, "respondents"] == 3


def test_a_respondents_newer_assessment_replaces_the_older_one():
    result = (
        Portfolio()
        .add(1, "staff", "a@x.nl", {"performance": 0, "presence": 6}, days_ago=100)
        .add(1, "staff", "a@x.nl", {"performance": 6}, days_ago=10)
        .compute()
    )
    # Only the newer assessment counts, including for the element it left out.
    assert result.element_values.loc[1, "performance"] == 6
    assert np.isnan(result.element_values.loc[1, "presence"])
    assert score_of(result) == pytest.approx(100.0)
    assert result.scores.loc[1, "respondents"] == 1


def test_same_moment_tie_goes_to_the_assessment_submitted_last():
    at = NOW - timedelta(days=3)
    result = (
        Portfolio()
        .add(1, "staff", "a@x.nl", {"performance": 1}, at=at)
        .add(1, "staff", "a@x.nl", {"performance": 5}, at=at)
        .compute()
    )
    assert result.element_values.loc[1, "performance"] == 5


def test_a_kind_that_skips_an_element_leaves_it_to_the_other_kinds():
    result = (
        Portfolio()
        .add(1, "staff", "a@x.nl", {"performance": 4, "distinctiveness": 6})
        .add(1, "customer", "c@klant.nl", {"performance": 2})
        .compute()
    )
    assert result.element_values.loc[1, "performance"] == pytest.approx(3.0)
    assert result.element_values.loc[1, "distinctiveness"] == pytest.approx(6.0)
    # 100 · (3·3 + 2·6) / (6 · 5)
    assert score_of(result) == pytest.approx(70.0)
    assert result.scores.loc[1, "coverage"] == pytest.approx(100 * 5 / 6)


def test_validity_window_includes_its_first_moment_and_excludes_anything_older():
    window_start = NOW - timedelta(days=365)
    result = (
        Portfolio()
        .add(1, "staff", "edge@x.nl", {"performance": 6}, at=window_start)
        .add(2, "staff", "old@x.nl", {"performance": 6}, at=window_start - timedelta(seconds=1))
        .compute(customer_ids=[1, 2])
    )
    assert score_of(result, 1) == pytest.approx(100.0)
    assert np.isnan(score_of(result, 2))
    assert result.scores.loc[2, "band"] == ""


def test_an_assessment_after_now_does_not_count_and_does_not_hide_the_older_one():
    result = (
        Portfolio()
        .add(1, "staff", "a@x.nl", {"performance": 3}, days_ago=5)
        .add(1, "staff", "a@x.nl", {"performance": 6}, at=NOW + timedelta(days=1))
        .compute()
    )
    assert result.element_values.loc[1, "performance"] == 3


def test_window_length_is_a_parameter():
    portfolio = Portfolio().add(1, "staff", "a@x.nl", {"performance": 6}, days_ago=100)
    assert score_of(portfolio.compute(params=RuleParams(validity_days=365))) == 100
    assert np.isnan(score_of(portfolio.compute(params=RuleParams(validity_days=90))))


def test_dont_know_answers_are_left_out_of_the_means():
    result = (
        Portfolio()
        .add(1, "staff", "a@x.nl", {"performance": 6, "distinctiveness": None})
        .add(1, "staff", "b@x.nl", {"performance": None, "distinctiveness": 3})
        .compute()
    )
    assert result.element_values.loc[1, "performance"] == 6
    assert result.element_values.loc[1, "distinctiveness"] == 3


def test_a_newer_all_dont_know_assessment_still_replaces_the_older_answers():
    result = (
        Portfolio()
        .add(1, "staff", "a@x.nl", {"performance": 6}, days_ago=50)
        .add(1, "staff", "a@x.nl", {"performance": None}, days_ago=5)
        .compute()
    )
    assert np.isnan(score_of(result))
    assert result.scores.loc[1, "respondents"] == 0


def test_no_answers_means_no_score_not_zero():
    result = (
        Portfolio()
        .add(1, "staff", "a@x.nl", {"performance": None, "presence": None})
        .compute(customer_ids=[1, 2])
    )
    for customer in (1, 2):
        row = result.scores.loc[customer]
        assert np.isnan(row["binding_score"])
        assert np.isnan(row["satisfaction"])
        assert row["coverage"] == 0
        assert row["provisional"]
        assert row["band"] == ""


def test_coverage_under_half_is_provisional_and_exactly_half_is_not():
    half = Portfolio().add(1, "staff", "a@x.nl", {"performance": 5}).compute()
    third = Portfolio().add(1, "staff", "a@x.nl", {"distinctiveness": 5}).compute()
    assert half.scores.loc[1, "coverage"] == pytest.approx(50.0)
    assert not half.scores.loc[1, "provisional"]
    assert third.scores.loc[1, "coverage"] == pytest.approx(100 / 3)
    assert third.scores.loc[1, "provisional"]
    # The score covers only the answered elements.
    assert score_of(third) == pytest.approx(100 * 5 / 6)


def test_changed_weight_changes_the_score_as_computed_by_hand():
    portfolio = Portfolio().add(1, "staff", "a@x.nl", {"performance": 6, "presence": 0})
    assert score_of(portfolio.compute()) == pytest.approx(75.0)  # (3·6 + 1·0) / (6·4)
    heavier_presence = ELEMENTS.assign(weight=[3.0, 2.0, 3.0])
    assert score_of(portfolio.compute(heavier_presence)) == pytest.approx(50.0)  # 18 / 36


def test_source_weights_weigh_the_kinds():
    portfolio = (
        Portfolio()
        .add(1, "staff", "a@x.nl", {"performance": 6})
        .add(1, "customer", "c@klant.nl", {"performance": 0})
    )
    params = RuleParams(source_weights={"staff": 1.0, "customer": 2.0, "expert": 1.0})
    result = portfolio.compute(params=params)
    assert result.element_values.loc[1, "performance"] == pytest.approx(2.0)  # (6 + 0·2) / 3


def test_a_kind_with_source_weight_zero_is_ignored():
    portfolio = (
        Portfolio()
        .add(1, "staff", "a@x.nl", {"performance": 6})
        .add(1, "expert", "e@markt.nl", {"performance": 0, "presence": 0})
    )
    params = RuleParams(source_weights={"staff": 1.0, "customer": 1.0, "expert": 0.0})
    result = portfolio.compute(params=params)
    assert result.element_values.loc[1, "performance"] == 6
    assert np.isnan(result.element_values.loc[1, "presence"])


def test_codes_outside_the_active_model_are_ignored():
    result = Portfolio().add(1, "staff", "a@x.nl", {"performance": 6, "retired": 0}).compute()
    assert score_of(result) == pytest.approx(100.0)
    assert "retired" not in result.element_values.columns


def test_portfolio_pass_gives_each_customer_what_it_gets_alone():
    rng = np.random.default_rng(7)
    portfolio = Portfolio()
    for customer in range(1, 41):
        for r in range(int(rng.integers(1, 5))):
            kind = ["staff", "customer", "expert"][r % 3]
            values = {
                code: (None if rng.random() < 0.2 else int(rng.integers(0, 7)))
                for code in ELEMENTS["code"]
            }
            portfolio.add(
                customer, kind, f"r{r}@x.nl", values, days_ago=float(rng.integers(0, 500))
            )
    together = portfolio.compute(customer_ids=range(1, 41)).scores
    for customer in (1, 17, 40):
        alone = Portfolio()
        alone.assessments = [a for a in portfolio.assessments if a["customer_id"] == customer]
        ids = {a["id"] for a in alone.assessments}
        alone.scores = [s for s in portfolio.scores if s["assessment_id"] in ids]
        single = alone.compute(customer_ids=[customer]).scores.loc[customer]
        pd.testing.assert_series_equal(single, together.loc[customer], check_names=False)


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0.0, "red"),
        (39.9, "red"),
        (40.0, "orange"),
        (54.9, "orange"),
        (55.0, "yellow"),
        (69.9, "yellow"),
        (70.0, "green"),
        (100.0, "green"),
        (39.95, "orange"),  # rounds half up to 40.0
        (39.9499, "red"),  # rounds to 39.9
        (54.95, "yellow"),
        (69.95, "green"),
    ],
)
def test_band_edges_use_the_score_rounded_half_up_to_one_decimal(score, band):
    assert band_of(score) == band


def test_band_thresholds_are_parameters():
    assert band_of(45.0, (50, 60, 80)) == "red"
    assert band_of(79.96, (50, 60, 80)) == "green"


def test_band_of_no_score_is_empty():
    assert band_of(None) == ""
    assert bands(pd.Series([np.nan, 12.0])).tolist() == ["", "red"]


def test_rounding_half_up_absorbs_floating_point_error():
    assert round_half_up(39.95) == pytest.approx(40.0)
    assert round_half_up(0.15) == pytest.approx(0.2)
    assert round_half_up(2.675, 2) == pytest.approx(2.68)
    assert round_half_up(39.94) == pytest.approx(39.9)


def test_a_computed_score_of_39_95_lands_in_orange():
    # One element: v = (0.397·3 + 0.603·2) / 1 = 2.397 → 100 · 2.397 / 6 = 39.95
    portfolio = (
        Portfolio()
        .add(1, "staff", "a@x.nl", {"performance": 3})
        .add(1, "customer", "c@klant.nl", {"performance": 2})
    )
    params = RuleParams(source_weights={"staff": 0.397, "customer": 0.603, "expert": 1.0})
    result = portfolio.compute(ELEMENTS.iloc[:1], params=params)
    assert score_of(result) == pytest.approx(39.95, abs=1e-9)
    assert result.scores.loc[1, "band"] == "orange"


def test_perception_gap_puts_the_elements_where_we_rate_ourselves_higher_on_top():
    result = (
        Portfolio()
        .add(1, "staff", "a@x.nl", {"performance": 6, "distinctiveness": 4, "presence": 3})
        .add(1, "customer", "c@klant.nl", {"performance": 2, "distinctiveness": 5, "presence": 3})
        .add(1, "expert", "e@markt.nl", {"performance": 5})
        .compute()
    )
    gap = perception_gap(result.kind_means, ELEMENTS["code"])
    assert list(gap.index) == ["performance", "presence", "distinctiveness"]
    assert gap.loc["performance", "customer_gap"] == pytest.approx(-4.0)
    assert gap.loc["performance", "expert_gap"] == pytest.approx(-1.0)
    assert gap.loc["distinctiveness", "customer_gap"] == pytest.approx(1.0)


def test_points_to_gain_rank_weight_times_room_to_six():
    result = (
        Portfolio()
        .add(1, "staff", "a@x.nl", {"performance": 4, "distinctiveness": 0, "presence": 0})
        .add(2, "staff", "b@x.nl", {"performance": 5, "distinctiveness": 6})
        .compute()
    )
    table = points_to_gain(result.element_values, ELEMENTS)
    # performance 3·(2+1)=9, distinctiveness 2·(6+0)=12, presence 1·6=6
    assert list(table.index) == ["distinctiveness", "performance", "presence"]
    assert table.loc["distinctiveness", "gain"] == pytest.approx(12.0)
    assert table.loc["performance", "gain"] == pytest.approx(9.0)
    assert table.loc["presence", "customers"] == 1
    # Only customer 1 has presence: raising it 0 → 6 adds 100 · 1·6 / (6·6) points.
    assert table.loc["presence", "score_points"] == pytest.approx(100 * 6 / 36)


def test_quadrants_of_satisfaction_and_barriers():
    sat = pd.Series([80.0, 20.0, 80.0, 20.0, np.nan])
    bar = pd.Series([80.0, 80.0, 20.0, 20.0, 50.0])
    assert quadrant(sat, bar).tolist() == ["loyal", "entrapped", "free", "leaving", ""]
