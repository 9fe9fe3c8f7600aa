"""The dashboard's pure maths: monthly trend, band movements, Pareto, pearls and NPS."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from scoring.calculations import (
    band_move_matrix,
    band_moves,
    monthly_trend,
    net_promoter_score,
    pareto,
    pearls,
    state_at,
    track_summary,
)


def at(month: int, day: int = 15) -> datetime:
    return datetime(2025, month, day, 12, tzinfo=UTC)


def month_end(month: int) -> datetime:
    return (pd.Timestamp(2025, month, 1, tz="UTC") + pd.offsets.MonthEnd(0)).to_pydatetime()


HISTORY = pd.DataFrame(
    [
        # customer 1: red in January, green from March
        (1, at(1), 30.0, "red"),
        (1, at(3), 80.0, "green"),
        # customer 2: scored from February on, yellow
        (2, at(2), 60.0, "yellow"),
        # customer 3: orange, then loses its score in March
        (3, at(1), 50.0, "orange"),
        (3, at(3), np.nan, ""),
    ],
    columns=["customer_id", "computed_at", "binding_score", "band"],
)
REVENUE = pd.Series({1: 300.0, 2: 100.0, 3: 100.0})


def test_monthly_trend_carries_each_score_until_the_next_one():
    trend = monthly_trend(HISTORY, REVENUE, [month_end(m) for m in (1, 2, 3, 4)])
    assert trend["customers"].tolist() == [2, 3, 2, 2]
    assert trend["score"].tolist() == pytest.approx([40.0, 140 / 3, 70.0, 70.0])
    # February: (30·300 + 60·100 + 50·100) / 500
    assert trend["weighted_score"].iloc[1] == pytest.approx(20_000 / 500)
    assert trend[["red", "orange", "yellow", "green"]].iloc[1].tolist() == [1, 1, 1, 0]
    assert trend[["red", "orange", "yellow", "green"]].iloc[2].tolist() == [0, 0, 1, 1]


def test_monthly_trend_before_any_history_is_empty():
    trend = monthly_trend(HISTORY, REVENUE, [datetime(2024, 12, 31, tzinfo=UTC)])
    assert trend["customers"].tolist() == [0]
    assert np.isnan(trend["score"].iloc[0])


def test_state_at_takes_the_latest_row_at_or_before_the_moment():
    state = state_at(HISTORY, at(3))
    assert state.loc[1, "band"] == "green"
    assert state.loc[3, "band"] == ""
    assert state_at(HISTORY, at(2, 1)).loc[1, "band"] == "red"
    assert 2 not in state_at(HISTORY, at(1)).index


def test_band_moves_put_each_customer_on_the_track_of_its_starting_band():
    before = pd.Series({1: "red", 2: "orange", 3: "yellow", 4: "green", 5: "yellow"})
    after = pd.Series({1: "yellow", 2: "red", 3: "green", 4: "green", 6: "red"})
    moves = band_moves(before, after, pd.Index([1, 2, 3, 4, 5, 6]))
    assert moves.loc[1, ["track", "direction"]].tolist() == ["churn", "up"]
    assert moves.loc[2, ["track", "direction"]].tolist() == ["churn", "down"]
    assert moves.loc[3, ["track", "direction"]].tolist() == ["loyalty", "up"]
    assert moves.loc[4, ["track", "direction"]].tolist() == ["loyalty", "same"]
    # Losing or gaining a score is no move on a track.
    assert moves.loc[5, ["to_band", "track"]].tolist() == ["", ""]
    assert moves.loc[6, ["from_band", "track"]].tolist() == ["", ""]

    matrix = band_move_matrix(moves)
    assert matrix.loc["red", "yellow"] == 1
    assert matrix.loc["", "red"] == 1
    assert matrix.loc["yellow", ""] == 1
    assert int(matrix.to_numpy().sum()) == 6

    tracks = track_summary(moves)
    assert tracks.loc["churn"].tolist() == [1, 0, 1]
    assert tracks.loc["loyalty"].tolist() == [1, 1, 0]


def test_pareto_ranks_by_revenue_and_accumulates_the_share():
    table = pareto(pd.Series({10: 100.0, 11: 700.0, 12: 200.0, 13: 0.0, 14: 0.0}))
    assert table.index.tolist() == [11, 12, 10, 13, 14]
    assert table["revenue_share"].tolist() == pytest.approx([70.0, 90.0, 100.0, 100.0, 100.0])
    assert table["customer_share"].tolist() == pytest.approx([20.0, 40.0, 60.0, 80.0, 100.0])
    assert table["top"].tolist() == [True, False, False, False, False]


def test_pearls_are_small_good_payers_with_room_to_grow_and_a_good_margin():
    index = pd.Index(range(10))
    revenue = pd.Series([1000, 900, 100, 100, 100, 100, 100, 100, 0, 100], index=index, dtype=float)
    potential = pd.Series(
        [5000, 5000, 250, 150, 250, 250, 250, 250, 0, 200], index=index, dtype=float
    )
    payment = pd.Series(["good"] * 4 + ["poor"] + ["good"] * 5, index=index)
    margin = pd.Series([10, 10, 30, 20, 20, 5, 5, 30, 20, 30], index=index, dtype=float)
    result = pearls(revenue, potential, payment, margin)
    # The median margin is 20. 0 and 1 are the top 20 %; 3 has too little potential; 4 pays
    # poorly; 5, 6 and 8 have a margin at or below the median; 9 has exactly twice.
    assert result[result].index.tolist() == [2, 7, 9]


def test_net_promoter_score_is_promoters_minus_detractors():
    assert net_promoter_score(pd.Series([10, 9, 8, 7, 6, 0])) == pytest.approx(0.0)
    assert net_promoter_score(pd.Series([10, 9, 9, 3])) == pytest.approx(50.0)
    assert net_promoter_score(pd.Series([], dtype=float)) is None
