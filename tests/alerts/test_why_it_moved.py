"""Why did it move: the per-element lines add up to the change, exactly and as shown."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.calculations import score_change_lines, values_score

CODES = [f"e{i}" for i in range(12)]

value = st.one_of(st.none(), st.integers(0, 18).map(lambda n: n / 3))  # means of 0–6 answers
values = st.lists(value, min_size=12, max_size=12)
weights = st.lists(st.integers(1, 40).map(lambda n: n / 4), min_size=12, max_size=12)


def tenths(score: float) -> int:
    return math.floor(score * 10 + 0.5 + 1e-9)


@settings(max_examples=400, deadline=None)
@given(weights, values, values)
def test_lines_add_up_to_the_change_exactly_and_as_shown(w, before, after):
    change = score_change_lines(CODES, w, before, after)
    if change.before is None or change.after is None:
        assert change.lines == ()
        return
    assert math.isclose(
        sum(line.change for line in change.lines), change.after - change.before, abs_tol=1e-9
    )
    assert sum(line.shown for line in change.lines) == tenths(change.after) - tenths(change.before)
    for line in change.lines:  # each shown line is its exact value rounded down or up
        assert abs(line.shown - line.change * 10) < 1 + 1e-6
    elements = [line for line in change.lines if line.code is not None]
    sizes = [abs(line.change) for line in elements]
    assert sizes == sorted(sizes, reverse=True)
    assert change.lines[-1].code is None


@settings(max_examples=300, deadline=None)
@given(weights, weights, values, values)
def test_a_weight_change_between_the_two_is_explained_with_the_new_weights(
    old_w, new_w, before, after
):
    """The older snapshot was stored under old weights; compared like with like, both ends are
    scored with the new ones and the lines still add up, to that like-with-like change."""
    stored_before = values_score(np.array(before, dtype=float), np.array(old_w))[0][0]
    change = score_change_lines(CODES, new_w, before, after)
    if change.before is None or change.after is None:
        return
    rescored = values_score(np.array(before, dtype=float), np.array(new_w))[0][0]
    assert math.isclose(change.before, rescored)
    assert math.isclose(sum(line.change for line in change.lines), change.after - rescored)
    assert sum(line.shown for line in change.lines) == tenths(change.after) - tenths(rescored)
    assert not math.isnan(stored_before)


def test_same_elements_answered_puts_everything_on_the_elements():
    w = [3, 3, 2] + [1] * 9
    before = [4, 4, 4] + [None] * 9
    after = [1, 5, 4] + [None] * 9
    change = score_change_lines(CODES, w, before, after)
    # 100·3·(1−4)/(6·8) = −18.75 and 100·3·(5−4)/(6·8) = +6.25; the rest is nothing.
    assert [(line.code, round(line.change, 2)) for line in change.lines] == [
        ("e0", -18.75),
        ("e1", 6.25),
        (None, 0.0),
    ]
    assert sum(line.shown for line in change.lines) == -125


def test_a_newly_answered_element_goes_to_the_rest_line():
    w = [1] * 12
    before = [3] + [None] * 11
    after = [3, 6] + [None] * 10
    change = score_change_lines(CODES, w, before, after)
    assert [line.code for line in change.lines] == [None]
    assert math.isclose(change.lines[0].change, 75 - 50)


def test_no_score_at_one_end_gives_no_lines():
    change = score_change_lines(CODES, [1] * 12, [None] * 12, [3] + [None] * 11)
    assert change.before is None and change.lines == ()
