"""The relations' rules as pure maths: no database."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from relations import calculations as calc
from relations.calculations import DUE, LOST, OK, OVERDUE, SegmentRuleSpec

# --------------------------------------------------------------------------------------------
# Cadence states at the edges (target 30, maximum 45, due within 7 days)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "state"),
    [
        (0, OK),
        (23, OK),  # the target is 7 days away: not yet due
        (24, DUE),  # 6 days left: due within the week
        (30, DUE),  # exactly at the target: due today, not overdue
        (31, OVERDUE),  # one day past the target
        (45, OVERDUE),  # exactly at the maximum: still overdue
        (46, LOST),  # one day past the maximum: lost touch
        (400, LOST),
        (None, LOST),  # never contacted
    ],
)
def test_cadence_state_at_the_edges(days, state):
    assert calc.cadence_state(days, 30, 45, due_within=7) == state


def test_a_weekly_rhythm_is_on_track_on_the_day_of_the_contact_and_due_the_next():
    assert calc.cadence_state(0, 7, 14) == OK
    assert calc.cadence_state(1, 7, 14) == DUE


def test_stored_dates_give_the_same_state_as_the_days_since_on_every_day():
    last = date(2026, 3, 1)
    for target, maximum in [(30, 45), (7, 14), (3, 3), (180, 365), (60, 90)]:
        dates = calc.cadence_dates(last, target, maximum, due_within=7)
        for days in range(0, maximum + 10):
            day = last + timedelta(days=days)
            assert dates.state_on(day) == calc.cadence_state(days, target, maximum, 7), (
                target,
                maximum,
                days,
            )


def test_never_contacted_is_lost_touch_on_any_day():
    dates = calc.cadence_dates(None, 30, 45)
    assert dates.state_on(date(1990, 1, 1)) == LOST


def test_the_worst_state_of_several_rhythms_counts():
    assert calc.worst([OK, DUE, OK]) == DUE
    assert calc.worst([OVERDUE, LOST, OK]) == LOST
    assert calc.worst([]) is None


# --------------------------------------------------------------------------------------------
# Which contacts count
# --------------------------------------------------------------------------------------------


def _lasts(rows):
    return pd.DataFrame(rows, columns=["customer_id", "kind", "last"])


def test_an_internal_note_counts_for_no_rhythm():
    lasts = calc.rhythm_lasts(_lasts([(1, "note", 100), (1, "call", 50)]))
    assert dict(zip(lasts["kind"], lasts["last"], strict=True)) == {"call": 50}


def test_a_visit_also_counts_as_a_call_and_a_video_call_as_a_call():
    lasts = calc.rhythm_lasts(_lasts([(1, "visit", 80), (1, "call", 50), (2, "video_call", 70)]))
    got = {(c, k): v for c, k, v in lasts.itertuples(index=False)}
    assert got[(1, "visit")] == 80
    assert got[(1, "call")] == 80  # the later visit counts for the call rhythm
    assert got[(2, "call")] == 70
    assert (2, "visit") not in got


def test_cadence_table_takes_the_earliest_dates_over_the_rhythms_and_names_the_urgent_one():
    day = date(2026, 3, 1).toordinal()
    customers = pd.DataFrame({"customer_id": [1, 2, 3], "segment_id": [10, 10, 20]})
    targets = pd.DataFrame(
        [(10, "visit", 30, 45), (10, "call", 7, 14), (20, "visit", 180, 365)],
        columns=["segment_id", "kind", "target", "maximum"],
    )
    lasts = _lasts(
        [
            (1, "visit", day - 10),  # visit 10 days ago, also the last call
            (1, "call", day - 12),
            (2, "call", day - 3),  # no visit ever
            (3, "note", day),  # only a note: never visited
        ]
    )
    table = calc.cadence_table(customers, targets, lasts, due_within=7)
    assert list(table.index) == [1, 2, 3]
    one = table.loc[1]
    assert one["kind"] == "call"  # the call (7 days) is due before the visit (30)
    assert one["overdue_from"] == day - 10 + 8
    assert one["last"] == day - 10
    assert table.loc[2, "kind"] == "visit"
    assert table.loc[2, "overdue_from"] == calc.NEVER.toordinal()
    assert table.loc[2, "last"] == 0
    assert table.loc[3, "lost_from"] == calc.NEVER.toordinal()


def test_customers_without_targets_get_no_row():
    customers = pd.DataFrame({"customer_id": [1], "segment_id": [99]})
    targets = pd.DataFrame(
        [(10, "visit", 30, 45)], columns=["segment_id", "kind", "target", "maximum"]
    )
    assert calc.cadence_table(customers, targets, _lasts([])).empty


# --------------------------------------------------------------------------------------------
# Segments
# --------------------------------------------------------------------------------------------


def test_pareto_position_is_the_share_of_contribution_ranked_above():
    position = calc.pareto_position(np.array([10.0, 60.0, 30.0, -5.0, np.nan, 0.0]))
    assert position[1] == 0  # the largest
    assert position[2] == pytest.approx(60.0)
    assert position[0] == pytest.approx(90.0)
    assert position[3] == 100.0 and position[5] == 100.0  # nothing or less
    assert np.isnan(position[4])


def _frame(**columns):
    frame = pd.DataFrame(columns)
    for name, default in (("potential", 0.0), ("payment", "good"), ("band", "")):
        if name not in frame:
            frame[name] = default
    return frame


def test_the_first_matching_rule_wins():
    frame = _frame(revenue=[100.0, 100.0], margin=[10.0, 10.0], payment=["good", "poor"])
    good = SegmentRuleSpec(segment_id=1, payment=("good",))
    anyone = SegmentRuleSpec(segment_id=2)
    segments, rules = calc.assign_segments(frame, [good, anyone])
    assert list(segments) == [1, 2] and list(rules) == [0, 1]
    segments, rules = calc.assign_segments(frame, [anyone, good])  # order reversed
    assert list(segments) == [2, 2] and list(rules) == [0, 0]


def test_the_default_rules_follow_the_olive_oil_example():
    thriving = SegmentRuleSpec(segment_id=1, contribution_top=80, payment=("good",))
    draining = SegmentRuleSpec(segment_id=3, contribution_tail=80, payment=("poor",))
    engaging = SegmentRuleSpec(segment_id=2)
    frame = _frame(
        revenue=[1000.0, 900.0, 50.0, 40.0, 30.0, 1200.0],
        margin=[20.0, 20.0, 10.0, 10.0, None, 20.0],
        payment=["good", "poor", "poor", "good", "poor", ""],
    )
    segments, _ = calc.assign_segments(frame, [thriving, draining, engaging])
    # 0: top and pays well; 1: top but pays badly; 2: tail and pays badly; 3: tail, pays well;
    # 4: margin unknown (no contribution known); 5: top, payment unknown.
    assert list(segments) == [1, 2, 3, 2, 2, 2]


def test_no_rule_matching_leaves_the_customer_without_segment():
    frame = _frame(revenue=[10.0], margin=[5.0], payment=["poor"])
    segments, rules = calc.assign_segments(frame, [SegmentRuleSpec(1, payment=("good",))])
    assert list(segments) == [-1] and list(rules) == [-1]


def test_rules_on_band_revenue_margin_and_unknown_payment():
    frame = _frame(
        revenue=[100.0, 500.0, 500.0],
        margin=[10.0, 30.0, 5.0],
        band=["red", "", "green"],
        payment=["good", "", "average"],
    )
    no_score = SegmentRuleSpec(1, bands=("none",))
    unknown_payment = SegmentRuleSpec(2, payment=("unknown",))
    bounded = SegmentRuleSpec(3, revenue_min=200, revenue_max=600, margin_max=10)
    assert list(calc.rule_matches(calc.with_pareto(frame), no_score)) == [
        False,
        True,
        False,
    ]
    assert list(calc.rule_matches(calc.with_pareto(frame), unknown_payment)) == [
        False,
        True,
        False,
    ]
    assert list(calc.rule_matches(calc.with_pareto(frame), bounded)) == [
        False,
        False,
        True,
    ]


def test_segment_moves_up_means_towards_the_first_segment():
    customers = pd.Index([1, 2, 3, 4])
    before = pd.Series({1: 20, 2: 10, 3: 20})
    after = pd.Series({1: 10, 2: 30, 3: 20, 4: 10})
    rank = {10: 1, 20: 2, 30: 3}
    moves = calc.segment_moves(before, after, rank, customers)
    assert list(moves) == ["up", "down", "same", ""]


# --------------------------------------------------------------------------------------------
# Why they leave
# --------------------------------------------------------------------------------------------


def test_reason_gaps_show_service_underestimated_and_price_overestimated():
    # Ten departures as in the study: customers said service 7 times and price in 2 (plus
    # one "other"); the company believed service 2 times and price 5.
    stated = [["service"]] * 7 + [["price"]] * 2 + [["other"]]
    believed = [["price"]] * 5 + [["service"]] * 2 + [["other"]] * 3
    pairs = list(zip(stated, believed, strict=True))
    gaps = calc.reason_gaps(pairs, ["price", "service", "other"])
    assert gaps.loc["service", "stated"] == 70 and gaps.loc["service", "believed"] == 20
    assert gaps.loc["price", "stated"] == 20 and gaps.loc["price", "believed"] == 50
    assert gaps.index[0] == "service"  # the biggest gap first
    assert gaps.loc["service", "gap"] == 50


def test_reason_matrix_counts_each_pair_once_per_departure():
    pairs = [(["service", "price"], ["price"]), (["service"], ["price", "service"])]
    matrix = calc.reason_matrix(pairs, ["price", "service"])
    assert matrix.loc["service", "price"] == 2
    assert matrix.loc["price", "price"] == 1
    assert matrix.loc["service", "service"] == 1
    assert matrix.loc["price", "service"] == 0


def test_agreement_share_counts_departures_whose_belief_includes_a_stated_reason():
    pairs = [(["service"], ["price"]), (["service", "price"], ["price"]), (["a"], ["a"])]
    assert calc.agreement_share(pairs) == pytest.approx(200 / 3)
    assert calc.agreement_share([]) is None
