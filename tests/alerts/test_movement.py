"""Why did it move, read from stored snapshots: like with like, with the answers behind it."""

from __future__ import annotations

import math

import pytest
import time_machine
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import services as scoring_services
from scoring.models import ScoreSnapshot
from scoring.movement import customer_movements, movements
from tests.alerts.support import ALL_THREE, at_day
from tests.factories import CustomerFactory, assess

pytestmark = pytest.mark.django_db


def tenths(score: float) -> int:
    return math.floor(score * 10 + 0.5 + 1e-9)


def submit(customer, values, *, day, kind="staff", email=None):
    with time_machine.travel(at_day(day), tick=False):
        return assess(customer, values, kind=kind, email=email, at=at_day(day))


def test_the_lines_name_the_assessments_that_came_in_and_dropped_out(anne):
    customer = CustomerFactory(account_manager=anne)
    submit(customer, ALL_THREE, day=0)
    submit(customer, {"service": 1}, kind="customer", email="c@klant.example", day=10)
    (movement,) = customer_movements(customer, limit=1)
    service, rest = movement.lines
    # The customer's 1 next to staff's 3 makes service 2: 100·3·(2 − 3)/(6·29) = −1.7.
    assert service.code == "service" and service.shown == -1.7
    assert [(m.kind, m.came_in) for m in service.assessments] == [("customer", True)]
    assert rest.is_rest and rest.shown == 0
    assert movement.shown_change == round(
        (tenths(movement.after) - tenths(movement.before)) / 10, 1
    )


def test_an_assessment_leaving_the_validity_window_is_named_as_dropped_out(anne):
    customer = CustomerFactory(account_manager=anne)
    submit(customer, {"service": 6}, kind="customer", email="c@klant.example", day=0)
    submit(customer, ALL_THREE, day=200)
    with time_machine.travel(at_day(366), tick=False):
        scoring_services.scores_refresh(customer_ids=[customer.pk])
    newest = customer_movements(customer, limit=1)[0]
    (service, _rest) = newest.lines
    assert [(m.kind, m.came_in) for m in service.assessments] == [("customer", False)]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    before=st.lists(st.one_of(st.none(), st.integers(0, 6)), min_size=12, max_size=12),
    after=st.lists(st.one_of(st.none(), st.integers(0, 6)), min_size=12, max_size=12),
    weights=st.lists(st.integers(1, 8), min_size=12, max_size=12),
    customer_answers=st.lists(st.one_of(st.none(), st.integers(0, 6)), min_size=12, max_size=12),
)
def test_stored_snapshots_across_a_weight_change_add_up_like_with_like(
    anne, mira, before, after, weights, customer_answers
):
    """Random portfolios: a staff assessment, a customer's, a new model version with other
    weights, a second staff assessment; the movement between the first and the last snapshot
    is scored with the active weights at both ends and its lines add up to that change."""
    if all(v is None for v in before) or all(v is None for v in after):
        return
    codes = list(ALL_THREE)
    customer = CustomerFactory(account_manager=anne)
    submit(customer, dict(zip(codes, before, strict=True)), day=0)
    answers = {c: v for c, v in zip(codes, customer_answers, strict=True) if c != "competition"}
    submit(customer, answers, kind="customer", email="c@klant.example", day=1)
    first = customer.snapshots.get(is_current=True)
    draft = scoring_services.scoring_model_draft_create()
    for code, weight in zip(codes, weights, strict=True):
        draft.elements.filter(code=code).update(weight=weight)
    with time_machine.travel(at_day(2), tick=False):
        scoring_services.scoring_model_publish(scoring_model=draft, user=mira)
    submit(customer, dict(zip(codes, after, strict=True)), day=3)
    last = customer.snapshots.get(is_current=True)
    assert first.scoring_model_id != last.scoring_model_id
    (movement,) = movements([(first, last)])
    assert movement.reweighted
    expected_before = _score(first, codes, weights)
    assert movement.before == pytest.approx(expected_before, abs=1e-3)
    assert movement.after == pytest.approx(last.binding_score)
    assert sum(line.change for line in movement.lines) == pytest.approx(
        movement.after - movement.before, abs=1e-9
    )
    assert (
        round(sum(line.shown for line in movement.lines), 1)
        == (tenths(movement.after) - tenths(movement.before)) / 10
    )
    ScoreSnapshot.objects.filter(customer=customer).delete()


def _score(snapshot, codes, weights):
    values = snapshot.element_values(codes)
    answered = [
        (w, values[c]) for c, w in zip(codes, weights, strict=True) if values[c] is not None
    ]
    return 100 * sum(w * v for w, v in answered) / (6 * sum(w for w, _v in answered))


def test_the_customer_page_shows_the_history_of_score_changes_with_the_lines(client, anne):
    customer = CustomerFactory(account_manager=anne)
    submit(customer, ALL_THREE, day=0)
    submit(customer, {**ALL_THREE, "it_integration": 1}, day=5)
    client.force_login(anne)
    page = client.get(reverse("scoring:customer-detail", args=[customer.pk])).content.decode()
    assert 'id="score-changes"' in page
    assert 'data-code="it_integration"' in page
    assert "−4,6" in page or "−4.6" in page  # 100·4·(1−3)/(6·29) = −4.6
