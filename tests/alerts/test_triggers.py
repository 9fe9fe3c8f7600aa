"""Each trigger at its edge: just enough raises an alert, just too little does not."""

from __future__ import annotations

import pytest

from alerts.models import Alert, AlertRule
from tests.alerts.support import ALL_THREE, alerts_of, evaluate, step
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(anne):
    return CustomerFactory(account_manager=anne)


def values(**changes: int | None) -> dict[str, int | None]:
    return {**ALL_THREE, **changes}


def only(trigger: str) -> None:
    AlertRule.objects.exclude(trigger=trigger).update(active=False)


def test_band_down_raises_a_critical_alert_with_what_moved_it(customer):
    only("band_down")
    step(customer, values(it_integration=6), day=0)  # 99/174 = 56.9 yellow
    result = step(customer, values(it_integration=5), day=1)  # 95/174 = 54.6 orange
    (alert,) = Alert.objects.filter(pk__in=result.raised)
    assert (alert.trigger, alert.severity, alert.status) == ("band_down", "critical", "open")
    assert (alert.band_before, alert.band_after) == ("yellow", "orange")
    assert alert.element_code == "it_integration"
    assert [code for code, _exact, _shown in alert.lines] == ["it_integration", ""]
    assert sum(shown for _code, _exact, shown in alert.lines) == 546 - 569


def test_a_drop_within_the_band_raises_nothing(customer):
    only("band_down")
    step(customer, values(it_integration=6, contract=4), day=0)  # 102/174 = 58.6 yellow
    assert step(customer, values(it_integration=6), day=1).raised == []  # 56.9 yellow


def test_score_drop_fires_at_exactly_the_points_and_not_a_tenth_less(customer, anne):
    only("score_drop")
    other = CustomerFactory(account_manager=anne)
    # Both start at 77/174 = 44.3.
    step(customer, values(presence=0, personal_bond=0, it_integration=2, contract=4), day=0)
    step(other, values(presence=0, personal_bond=0, it_integration=2, contract=4), day=0)
    base = customer.snapshots.get(is_current=True).binding_score
    low = values(presence=0, personal_bond=0, it_integration=2, contract=4)
    # 100 days later: performance 3 → 0 takes the score to 68/174 = 39.1, 5.2 down: raises;
    # IT integration 2 → 0 takes the other to 69/174 = 39.7, 4.6 down: does not.
    step(customer, {**low, "performance": 0}, day=100, evaluate=False)
    step(other, {**low, "it_integration": 0}, day=100, evaluate=False)
    result = evaluate(100)
    assert [a.customer_id for a in Alert.objects.filter(pk__in=result.raised)] == [customer.pk]
    (alert,) = alerts_of(customer, "score_drop")
    assert alert.value_before == pytest.approx(base)
    assert alert.value_before - alert.value_after == pytest.approx(900 / 174)


def test_score_drop_compares_the_shown_scores_against_the_points(customer):
    only("score_drop")
    rule = AlertRule.objects.get(trigger="score_drop")
    rule.params = {"points": 5.2, "days": 90}
    rule.save()
    step(customer, values(), day=0)  # 50.0
    step(customer, values(performance=0), day=100, evaluate=False)  # 44.8: exactly 5.2 down
    assert len(evaluate(100).raised) == 1
    rule.params = {"points": 5.3, "days": 90}
    rule.save()
    Alert.objects.all().delete()
    assert evaluate(100).raised == []


def test_element_drop_for_one_respondent_kind_at_one_and_a_half(customer):
    only("element_drop")
    step(customer, values(), day=0)
    step(customer, {"service": 5}, kind="customer", email="c1@klant.example", day=1)
    step(customer, {"service": 4}, kind="customer", email="c2@klant.example", day=2)  # mean 4.5
    # c1 answers 3: the customers' mean of service 4.5 → 3.5, a drop of 1.0: nothing.
    c1 = "c1@klant.example"
    assert step(customer, {"service": 3}, kind="customer", email=c1, day=3).raised == []
    # c2 answers 1: 3.5 → 2.0, a drop of 1.5: raises, naming service and the customers.
    result = step(customer, {"service": 1}, kind="customer", email="c2@klant.example", day=4)
    (alert,) = Alert.objects.filter(pk__in=result.raised)
    assert (alert.element_code, alert.respondent_kind) == ("service", "customer")
    assert (alert.value_before, alert.value_after) == (3.5, 2.0)


def test_perception_gap_of_two_raises_and_one_and_a_half_does_not(customer, anne):
    only("perception_gap")
    other = CustomerFactory(account_manager=anne)
    for who in (customer, other):
        step(who, values(service=5), day=0)
    step(other, {"service": 4}, kind="customer", email="a@klant.example", day=1)
    # Two contacts answer 4 and 3: the customers' mean 3.5 is 1.5 under staff's 5.
    assert step(other, {"service": 3}, kind="customer", email="b@klant.example", day=2).raised == []
    result = step(customer, {"service": 3}, kind="customer", email="c@klant.example", day=1)
    (alert,) = Alert.objects.filter(pk__in=result.raised)
    assert (alert.element_code, alert.value_after) == ("service", -2.0)


def test_a_detractor_raises_and_a_passive_does_not(customer, anne):
    only("nps_detractor")
    other = CustomerFactory(account_manager=anne)
    for who in (customer, other):
        step(who, values(), day=0)
    passive = step(other, {"service": 4}, kind="customer", email="p@klant.example", nps=7, day=1)
    assert passive.raised == []
    result = step(customer, {"service": 4}, kind="customer", email="d@klant.example", nps=6, day=1)
    (alert,) = Alert.objects.filter(pk__in=result.raised)
    assert alert.value_after == 6


def test_stale_after_the_given_days_and_not_a_day_before(customer, anne):
    only("stale")
    step(customer, values(), day=0)
    assert evaluate(179.9).raised == []
    (raised,) = evaluate(180.01).raised
    assert Alert.objects.get(pk=raised).customer_id == customer.pk


def test_provisional_when_coverage_falls_under_half(customer):
    only("provisional")
    step(customer, values(), day=0)  # all answered
    # A new staff assessment with only 14 of 29 weight answered: 48 % coverage.
    kept = ("performance", "service", "it_integration", "contract", "presence")
    sparse = {code: (3 if code in kept else None) for code in ALL_THREE}
    (raised,) = step(customer, sparse, day=1).raised
    alert = Alert.objects.get(pk=raised)
    assert round(alert.value_after) == 48
    assert not step(customer, sparse, day=2).raised  # staying provisional is no new alert
