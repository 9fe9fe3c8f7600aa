"""Episodes, not repeats: entering raises, staying does not; resolve by itself; hysteresis."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts import services
from alerts.models import Alert, AlertRule
from scoring import services as scoring_services
from tests.alerts.support import ALL_THREE, alerts_of, at_day, evaluate, step
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

# Around the orange/yellow edge at 55: staff score every element (3, IT integration and
# contract 4, presence 6); on presence (weight 1) three contact persons answer too, so
# presence is (6 + (c1 + 3 + 3)/3)/2 and the score (91 + presence)/174·100: the first
# contact's 5 gives 55.1 (yellow), a 3 gives 54.9 (orange).
STAFF = {**ALL_THREE, "it_integration": 4, "contract": 4, "presence": 6}
C1, C2, C3 = "c1@klant.example", "c2@klant.example", "c3@klant.example"


@pytest.fixture
def customer(anne):
    AlertRule.objects.exclude(trigger="band_down").update(active=False)
    return CustomerFactory(account_manager=anne)


def at_the_edge(customer, *, day: float) -> None:
    step(customer, STAFF, day=day, evaluate=False)
    step(customer, {"presence": 3}, kind="customer", email=C2, day=day + 0.01, evaluate=False)
    step(customer, {"presence": 3}, kind="customer", email=C3, day=day + 0.02, evaluate=False)


def second_contact(customer, value: int, *, day: float):
    return step(customer, {"presence": value}, kind="customer", email=C1, day=day)


def shown_score(customer) -> float:
    return round(customer.snapshots.get(is_current=True).binding_score + 1e-9, 1)


def test_a_score_wobbling_around_a_band_edge_gives_one_alert(customer):
    at_the_edge(customer, day=0)
    second_contact(customer, 5, day=1)
    assert shown_score(customer) == 55.1
    raised = []
    for day, value, shown in [(2, 3, 54.9), (3, 5, 55.1), (4, 3, 54.9), (5, 5, 55.1), (6, 3, 54.9)]:
        raised += second_contact(customer, value, day=day).raised
        assert shown_score(customer) == shown
    assert len(raised) == 1
    (alert,) = alerts_of(customer, "band_down")
    assert (alert.band_before, alert.band_after) == ("yellow", "orange")
    # It resolved when the band came back up (day 3) and stayed resolved: no second episode.
    assert alert.status == Alert.Status.RESOLVED
    assert alert.resolved_at == at_day(3)


def test_back_up_for_fourteen_days_re_arms_the_rule(customer):
    at_the_edge(customer, day=0)
    second_contact(customer, 5, day=1)
    second_contact(customer, 3, day=2)  # alert
    second_contact(customer, 5, day=3)  # resolved, not re-armed
    assert evaluate(16.9, [customer.pk]).rearmed == 0
    assert evaluate(17.1, [customer.pk]).rearmed == 1  # 14 days up since day 3
    assert len(second_contact(customer, 3, day=18).raised) == 1
    assert len(alerts_of(customer, "band_down")) == 2


def test_falling_back_within_fourteen_days_restarts_the_clock(customer):
    at_the_edge(customer, day=0)
    second_contact(customer, 5, day=1)
    second_contact(customer, 3, day=2)  # alert
    second_contact(customer, 5, day=3)  # clear since day 3
    second_contact(customer, 3, day=10)  # down again: not armed, no alert
    second_contact(customer, 5, day=12)  # clear since day 12
    assert evaluate(20, [customer.pk]).rearmed == 0  # 17 days after day 3, 8 after day 12
    assert evaluate(26.5, [customer.pk]).rearmed == 1
    assert len(alerts_of(customer, "band_down")) == 1


def test_staying_in_the_condition_raises_no_second_alert(customer):
    step(customer, {**ALL_THREE, "it_integration": 6}, day=0)  # 56.9 yellow
    assert len(step(customer, ALL_THREE, day=1).raised) == 1  # 50.0 orange
    assert step(customer, {**ALL_THREE, "service": 2}, day=2).raised == []  # 48.3, still down
    assert step(customer, {**ALL_THREE, "service": 0}, day=3).raised == []  # 44.8
    assert evaluate(4).raised == []
    (alert,) = alerts_of(customer, "band_down")
    assert alert.status == Alert.Status.OPEN


def test_an_alert_resolves_by_itself_when_the_condition_clears(customer):
    step(customer, {**ALL_THREE, "it_integration": 6}, day=0)
    step(customer, ALL_THREE, day=1)
    (alert,) = alerts_of(customer, "band_down")
    services.alert_acknowledge(alert=alert, user=customer.account_manager)
    result = step(customer, {**ALL_THREE, "it_integration": 6}, day=2)  # yellow again
    assert result.resolved == 1
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED and alert.resolved_at == at_day(2)


def test_the_database_keeps_one_unresolved_alert_per_rule_and_customer(customer):
    step(customer, {**ALL_THREE, "it_integration": 6}, day=0)
    step(customer, ALL_THREE, day=1)
    (alert,) = alerts_of(customer, "band_down")
    twin = Alert(
        rule=alert.rule,
        customer=customer,
        trigger=alert.trigger,
        severity=alert.severity,
        opened_at=timezone.now(),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_two_evaluations_of_the_same_moment_raise_one_alert(customer):
    step(customer, {**ALL_THREE, "it_integration": 6}, day=0)
    step(customer, ALL_THREE, day=1, evaluate=False)
    first = evaluate(1.5, [customer.pk])
    second = evaluate(1.5, [customer.pk])
    assert len(first.raised) == 1 and second.raised == []
    assert len(alerts_of(customer, "band_down")) == 1


def test_a_model_publish_that_re_weights_the_band_raises_no_band_alert(customer, mira):
    """Like with like: a customer whose band falls only because new weights are published
    did not move; the alert compares both ends under the active model."""
    step(customer, {**ALL_THREE, "it_integration": 6}, day=0)  # 99/174 = 56.9 yellow
    draft = scoring_services.scoring_model_draft_create()
    draft.elements.filter(code="it_integration").update(weight=1)  # 90/171 = 52.6 orange
    with _at(1):
        scoring_services.scoring_model_publish(scoring_model=draft, user=mira)
        assert customer.snapshots.get(is_current=True).band == "orange"
        assert services.alerts_evaluate(customer_ids=[customer.pk], now=timezone.now()).raised == []
    # A real drop afterwards is compared under the new weights: 90 → 87 of 171 stays orange.
    assert step(customer, {**ALL_THREE, "it_integration": 3}, day=2).raised == []


def test_snoozed_alerts_return_after_their_day(customer):
    step(customer, {**ALL_THREE, "it_integration": 6}, day=0)
    step(customer, ALL_THREE, day=1)
    (alert,) = alerts_of(customer, "band_down")
    today = dt.date(2026, 3, 3)
    services.alert_snooze(
        alert=alert,
        user=customer.account_manager,
        until=today + dt.timedelta(days=7),
        reason="contact_planned",
        today=today,
    )
    assert services.snoozes_expire(today=today + dt.timedelta(days=7)) == 0
    assert services.snoozes_expire(today=today + dt.timedelta(days=8)) == 1
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


def test_a_snooze_needs_a_future_day_and_a_reason_from_the_list(customer):
    from django.core.exceptions import ValidationError

    step(customer, {**ALL_THREE, "it_integration": 6}, day=0)
    step(customer, ALL_THREE, day=1)
    (alert,) = alerts_of(customer, "band_down")
    today = dt.date(2026, 3, 3)
    with pytest.raises(ValidationError) as problem:
        services.alert_snooze(
            alert=alert, user=customer.account_manager, until=today, reason="bored", today=today
        )
    assert set(problem.value.message_dict) == {"until", "reason"}
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


def _at(day: float):
    import time_machine

    return time_machine.travel(at_day(day), tick=False)
