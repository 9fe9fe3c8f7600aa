"""The effect report's narrow read (one stored line per assessment) gives the engine what the
row-by-row read gives it, on a random portfolio; lines are written once and for new
assessments on the next read; a read that meets a concurrent one falls back to the rows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from django.db import IntegrityError
from django.utils import timezone

from actions import assessment_lines, calculations, selectors
from actions.models import AssessmentLine
from scoring.models import Element
from scoring.selectors import assessment_frames as frames_by_rows
from scoring.selectors import scoring_model_active
from tests.actions.factories import make_action
from tests.factories import CustomerFactory, assess

pytestmark = pytest.mark.django_db

KINDS = ("staff", "customer", "expert")


def random_portfolio(anne, mira, seed: int = 7) -> None:
    """Customers with respondents of every kind scoring at random moments over 400 days,
    some answers "don't know", and decided actions in between."""
    rng = np.random.default_rng(seed)
    now = timezone.now()
    elements = list(Element.objects.filter(scoring_model=scoring_model_active()))
    for n in range(24):
        customer = CustomerFactory(account_manager=anne)
        respondents = [(str(rng.choice(KINDS)), f"r{n}-{i}@Klant.example") for i in range(3)]
        for _ in range(int(rng.integers(3, 6))):
            kind, email = respondents[int(rng.integers(len(respondents)))]
            values = {
                e.code: (None if rng.random() < 0.15 else int(rng.integers(0, 7)))
                for e in elements
                if e.is_asked(kind) and rng.random() < 0.9
            }
            at = now - dt.timedelta(days=float(rng.uniform(1, 400)))
            assess(customer, values, kind=kind, email=email, at=at)
        if n % 2 == 0:
            make_action(
                customer, by=mira, now=now - dt.timedelta(days=float(rng.uniform(190, 300)))
            )


def by_id(frames):
    """Assessments in id order: the engine's sums follow the order of the rows (so does the
    respondents' numbering), and the rows' read comes in the database's order."""
    assessments, scores = frames
    return assessments.sort_values("id").reset_index(drop=True), scores


def same_frames(fast, slow) -> None:
    (fa, fs), (sa, ss) = by_id(fast), by_id(slow)
    assert (fast[0]["id"].to_numpy() == fa["id"].to_numpy()).all()  # the lines come sorted
    for column in ("id", "customer_id", "kind", "assessed_at"):
        assert (fa[column].to_numpy() == sa[column].to_numpy()).all(), column
    # The respondent is a number instead of the e-mail: the same respondents, the same groups.
    assert (pd.factorize(fa["respondent"])[0] == pd.factorize(sa["respondent"])[0]).all()
    key = ["assessment_id", "code"]
    fs = fs.astype({"code": str}).sort_values(key).reset_index(drop=True)
    ss = ss.astype({"code": str}).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(fs, ss, check_dtype=False)


def test_the_lines_give_the_engine_what_the_rows_give_it(anne, mira):
    random_portfolio(anne, mira)
    small = selectors.report_small_inputs()
    start = small.now - dt.timedelta(days=2000)

    fast = assessment_lines.assessment_frames(start=start, end=small.now)
    slow = frames_by_rows(start=start, end=small.now)

    assert len(slow[0]) > 60 and len(slow[1]) > 300
    same_frames(fast, slow)
    params = calculations.EffectParams(min_treated=2, min_controls=2, resamples=200)
    reports = [
        calculations.effect_report(
            frames[0], frames[1], small.elements, small.actions, now=small.now, params=params
        )
        for frames in (by_id(fast), by_id(slow))
    ]
    assert reports[0].groups and reports[0].groups == reports[1].groups


def test_lines_are_written_once_and_new_assessments_get_theirs_on_the_next_read(anne, mira):
    customer = CustomerFactory(account_manager=anne)
    assess(customer, {"service": 4}, kind="customer", email="a@klant.example")
    now = timezone.now() + dt.timedelta(minutes=1)
    start = now - dt.timedelta(days=30)

    assert assessment_lines.lines_fill(start=start, end=now) == 1
    assert assessment_lines.lines_fill(start=start, end=now) == 0
    assess(customer, {"service": 6, "contract": None}, kind="customer", email="a@klant.example")
    assessments, scores = assessment_lines.assessment_frames(start=start, end=now)

    assert AssessmentLine.objects.count() == 2 and len(assessments) == 2
    assert sorted(scores["value"]) == [4.0, 6.0]  # "don't know" is no value


def test_a_read_that_meets_a_concurrent_fill_reads_the_rows(anne, monkeypatch):
    customer = CustomerFactory(account_manager=anne)
    assess(customer, {"service": 4}, kind="customer", email="a@klant.example")
    now = timezone.now() + dt.timedelta(minutes=1)
    start = now - dt.timedelta(days=30)

    def collide(*args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(assessment_lines.db, "rows_insert", collide)
    assert assessment_lines.lines_fill(start=start, end=now) is None
    assessments, scores = assessment_lines.assessment_frames(start=start, end=now)

    assert AssessmentLine.objects.count() == 0
    assert list(assessments["respondent"]) == ["a@klant.example"]  # the rows' own read
    assert list(scores["value"]) == [4.0]
