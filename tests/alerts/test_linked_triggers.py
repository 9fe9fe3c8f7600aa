"""The triggers on the actions and relations apps' facts, each at its edge: an action
overdue, a contact rhythm past its maximum (lost touch), a departure recorded. Entering gives
one alert, staying gives none, clearing resolves it by itself."""

from __future__ import annotations

import datetime as dt
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from actions import services as action_services
from alerts import services
from alerts.models import Alert, AlertRule
from relations import services as relation_services
from tests.factories import CustomerFactory
from tests.relations import conftest as relations_fixtures
from tests.relations.factories import log, put_in

pytestmark = pytest.mark.django_db

frozen = relations_fixtures.frozen  # noon on a Monday in Amsterdam, the clock standing still

LINKED = ("action_overdue", "contact_lost", "departure")


def only(trigger: str) -> None:
    AlertRule.objects.exclude(trigger=trigger).update(active=False)


def alerts(customer, trigger: str) -> list[Alert]:
    return list(Alert.objects.filter(customer=customer, trigger=trigger).order_by("pk"))


def evaluate_on(moment) -> services.EvaluationResult:
    with time_machine.travel(moment, tick=False):
        return services.alerts_evaluate(now=timezone.now())


def test_a_new_install_has_the_three_linked_rules_active():
    rules = {r.trigger: r for r in AlertRule.objects.filter(trigger__in=LINKED)}
    assert set(rules) == set(LINKED)
    assert all(rule.active and rule.scope == "all" for rule in rules.values())
    assert rules["departure"].params == {"days": 30.0}


# --------------------------------------------------------------------------------------------
# An action overdue
# --------------------------------------------------------------------------------------------


def test_an_action_raises_an_alert_the_day_after_its_due_date_not_on_it(anne, mira, frozen):
    from tests.actions.factories import make_action

    only("action_overdue")
    customer = CustomerFactory(account_manager=anne)
    today = timezone.localdate()
    action = make_action(customer, by=mira, due_on=today)  # decided: open
    assert services.alerts_evaluate(now=timezone.now()).raised == []  # due today: on time

    result = evaluate_on(frozen + timedelta(days=1))
    (alert,) = Alert.objects.filter(pk__in=result.raised)
    assert (alert.customer_id, alert.severity) == (customer.pk, "info")
    assert alert.element_code == action.element_code == "knowledge_advantage"
    assert alert.value_after == 1
    # Staying overdue raises nothing new; the nightly sweep finds it as well as an evaluation.
    with time_machine.travel(frozen + timedelta(days=5), tick=False):
        assert services.alerts_sweep(now=timezone.now()).raised == []
    assert len(alerts(customer, "action_overdue")) == 1

    action_services.action_complete(action=action, outcome="achieved", by=anne)
    evaluate_on(frozen + timedelta(days=6))
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED


def test_a_proposed_action_past_its_date_is_no_running_action(anne, mira, frozen):
    from tests.actions.factories import make_action

    only("action_overdue")
    customer = CustomerFactory(account_manager=anne)
    make_action(customer, by=mira, due_on=timezone.localdate(), decide=False)
    assert evaluate_on(frozen + timedelta(days=3)).raised == []


def test_a_parameter_of_three_days_waits_for_the_third_day(anne, mira, frozen):
    from tests.actions.factories import make_action

    only("action_overdue")
    AlertRule.objects.filter(trigger="action_overdue").update(params={"days": 3})
    customer = CustomerFactory(account_manager=anne)
    make_action(customer, by=mira, due_on=timezone.localdate())
    assert evaluate_on(frozen + timedelta(days=2)).raised == []
    assert len(evaluate_on(frozen + timedelta(days=3)).raised) == 1


# --------------------------------------------------------------------------------------------
# Lost touch: a contact overdue past its maximum
# --------------------------------------------------------------------------------------------


def test_lost_touch_fires_one_day_past_the_maximum_not_at_it(anne, frozen):
    only("contact_lost")
    # Thriving: visit every 30 days (max 45), call every 7 (max 14).
    at_max = put_in(CustomerFactory(account_manager=anne, name="Op het randje"), "thriving")
    past = put_in(CustomerFactory(account_manager=anne, name="Een dag te laat"), "thriving")
    for customer, visit in ((at_max, 45), (past, 46)):
        log(customer, "visit", days_ago=visit)
        log(customer, "call", days_ago=1)

    result = services.alerts_evaluate(now=timezone.now())
    (alert,) = Alert.objects.filter(pk__in=result.raised)
    assert (alert.customer_id, alert.severity) == (past.pk, "warning")
    assert alert.value_after == 1
    assert services.alerts_evaluate(now=timezone.now()).raised == []  # staying: nothing new
    # The next day the other one passes its maximum too.
    result = evaluate_on(frozen + timedelta(days=1))
    assert [a.customer_id for a in Alert.objects.filter(pk__in=result.raised)] == [at_max.pk]


def test_an_internal_note_does_not_clear_lost_touch_a_visit_does_at_once(
    anne, frozen, django_capture_on_commit_callbacks
):
    only("contact_lost")
    customer = put_in(CustomerFactory(account_manager=anne), "thriving")
    log(customer, "visit", days_ago=60)
    log(customer, "call", days_ago=1)
    services.alerts_evaluate(now=timezone.now())
    (alert,) = alerts(customer, "contact_lost")

    with django_capture_on_commit_callbacks(execute=True):
        log(customer, "note")
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN

    with django_capture_on_commit_callbacks(execute=True):
        log(customer, "visit")  # evaluated once the contact is committed, not at night
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED


# --------------------------------------------------------------------------------------------
# A departure recorded
# --------------------------------------------------------------------------------------------


def _depart(customer, mira, kind: str = "full"):
    today = timezone.localdate()
    return relation_services.departure_record(
        customer=customer,
        kind=kind,
        decided_on=today - timedelta(days=20),
        left_on=today,
        user=mira,
    )


def test_a_departure_raises_its_alert_when_it_is_saved(
    anne, mira, frozen, django_capture_on_commit_callbacks
):
    only("departure")
    customer = CustomerFactory(account_manager=anne)  # never scored
    with django_capture_on_commit_callbacks(execute=True):
        _depart(customer, mira)
    customer.refresh_from_db()
    assert not customer.active  # a full departure: the customer is inactive, still alerted
    (alert,) = alerts(customer, "departure")
    assert (alert.status, alert.severity) == (Alert.Status.OPEN, "warning")
    assert alert.score_after is None and alert.snapshot_after_id is None


def test_nothing_is_raised_before_the_commit(anne, mira, frozen):
    only("departure")
    customer = CustomerFactory(account_manager=anne)
    _depart(customer, mira, kind="partial")  # the test's transaction never commits
    assert alerts(customer, "departure") == []
    # The nightly sweep raises what an evaluation on commit missed.
    assert len(services.alerts_sweep(now=timezone.now()).raised) == 1


def test_a_departure_alert_stays_its_days_then_resolves_and_does_not_come_back(anne, mira, frozen):
    only("departure")
    customer = CustomerFactory(account_manager=anne)
    _depart(customer, mira, kind="downgrade")
    services.alerts_evaluate(now=timezone.now())
    (alert,) = alerts(customer, "departure")

    recorded = alert.opened_at.astimezone(dt.UTC)  # elapsed time, whatever the clock change
    evaluate_on(recorded + timedelta(days=30) - timedelta(minutes=1))
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN
    assert evaluate_on(recorded + timedelta(days=30, minutes=1)).resolved == 1
    evaluate_on(recorded + timedelta(days=31))
    assert len(alerts(customer, "departure")) == 1


def test_the_linked_triggers_read_in_a_fixed_number_of_queries(anne, mira, frozen):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.actions.factories import make_action

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            evaluate_on(frozen + timedelta(days=2))
        return len(captured.captured_queries)

    def add(count: int) -> None:
        for _ in range(count):
            customer = put_in(CustomerFactory(account_manager=anne), "thriving")
            make_action(customer, by=mira, due_on=date.today())
            _depart(CustomerFactory(account_manager=anne), mira, kind="partial")

    add(1)
    first = queries()
    add(4)
    Alert.objects.all().delete()
    assert queries() == first
