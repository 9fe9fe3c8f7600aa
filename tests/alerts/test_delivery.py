"""Alert e-mail through the real parts: Redis, a Celery worker and an SMTP server on loopback."""

from __future__ import annotations

import datetime as dt

import pytest
import redis
from django.utils import timezone

from alerts import services, tasks
from alerts.models import Alert, AlertEmail, AlertRule, AlertSettings
from alerts.services.delivery import digest_window
from klantbinding.celery import app as celery_app
from tests.alerts.support import ALL_THREE, alerts_of, step
from tests.factories import CustomerFactory
from tests.surveys import conftest as survey_fixtures
from tests.surveys.support import wait_for

# The survey tests' own Redis (emptied for each test) and Celery worker (smtp: tests/conftest.py).
broker = survey_fixtures.broker
redis_server = survey_fixtures.redis_server
celery_worker = survey_fixtures.celery_worker

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def queue_empty() -> bool:
    client = redis.Redis.from_url(celery_app.conf.broker_url)
    return client.llen("celery") == 0 and client.hlen("unacked") == 0


def band_alert(manager, name: str) -> Alert:
    customer = CustomerFactory(account_manager=manager, name=name)
    step(customer, {**ALL_THREE, "it_integration": 6}, day=0)
    step(customer, ALL_THREE, day=1)
    (alert,) = alerts_of(customer, "band_down")
    return alert


def test_the_daily_digest_sends_one_email_per_user_and_none_to_a_user_with_nothing(
    celery_worker, smtp, anne, bart, mira, settings
):
    AlertRule.objects.exclude(trigger__in=["band_down", "element_drop"]).update(active=False)
    AlertSettings.objects.create(user=anne, language="en")  # critical at once, warnings daily
    first = band_alert(anne, "Bakker Bouw B.V.")  # critical: band_down ...
    second = band_alert(anne, "Smit Zorg B.V.")
    # ... and element_drop (warning: staff's IT integration fell 6 → 3) for each.
    assert {a.trigger for a in Alert.objects.all()} == {"band_down", "element_drop"}
    start, _end = digest_window(timezone.localdate())
    Alert.objects.update(opened_at=start + dt.timedelta(hours=3))
    Alert.objects.create(  # raised before the digest's day: not in it
        rule=first.rule,
        customer=first.customer,
        trigger="band_down",
        severity="critical",
        status="resolved",
        opened_at=start - dt.timedelta(hours=1),
        resolved_at=start,
        rearmed_at=start,
    )

    # Submitting the drops e-mailed anne's two critical alerts at once already.
    wait_for(lambda: len(smtp.inbox.messages) >= 2, what="the immediate e-mails")
    immediate = list(smtp.inbox.messages)
    assert [m.to for m in immediate] == [anne.email, anne.email]

    tasks.alerts_send_digests.delay()
    tasks.alerts_send_digests.delay()  # beat firing twice, a redelivery: nothing twice
    wait_for(lambda: len(smtp.inbox.messages) >= 4, what="two digests")
    wait_for(queue_empty, what="the queue to drain")

    digests = [m for m in smtp.inbox.messages if m not in immediate]
    assert sorted(m.to for m in digests) == [anne.email, mira.email]  # none for bart
    (to_anne,) = [m for m in digests if m.to == anne.email]
    assert to_anne.message["Subject"] == "Alerts of the past day: 2 alerts"
    body = to_anne.text()
    assert "Bakker Bouw B.V." in body and "Smit Zorg B.V." in body
    assert "IT integration" in body  # the element that moved it, by name
    assert "The band went down" not in body  # critical ones reached anne at once
    (to_mira,) = [m for m in digests if m.to == mira.email]
    assert to_mira.message["Subject"].startswith("Signalen van de afgelopen dag: 2")
    assert "Bakker Bouw B.V." in to_mira.html()
    assert AlertEmail.objects.filter(kind="daily", status="sent").count() == 2
    assert second.pk  # both customers' alerts went into the same e-mail


def test_a_critical_alert_mails_the_account_manager_at_once_and_once(
    celery_worker, smtp, anne, bart
):
    AlertRule.objects.exclude(trigger="band_down").update(active=False)
    AlertSettings.objects.create(user=anne, language="nl")
    customer = CustomerFactory(account_manager=anne, name="De Vries Logistiek B.V.")
    step(customer, {**ALL_THREE, "it_integration": 6}, day=0)
    step(customer, ALL_THREE, day=1, evaluate=False)
    # The submit evaluated the customer after its commit, raised the alert and queued its
    # e-mail; evaluating again raises nothing new.
    assert services.alerts_evaluate_and_notify(customer_ids=[customer.pk]).raised == []
    (alert_id,) = [a.pk for a in alerts_of(customer, "band_down")]
    wait_for(lambda: smtp.inbox.messages, what="the alert e-mail")
    tasks.alerts_send_immediate.delay([alert_id])  # again: a redelivered task
    tasks.alerts_immediate_sweep.delay()  # and the outbox sweep
    wait_for(queue_empty, what="the queue to drain")

    (message,) = smtp.inbox.messages
    assert message.to == anne.email
    assert (
        message.message["Subject"].strip()
        == "Signaal: De Vries Logistiek B.V. · De band ging omlaag"
    )
    assert "IT-integratie" in message.text()
    assert f"/alerts/{alert_id}/" in message.text()
    assert smtp.inbox.to(bart.email) == []


def test_the_weekly_summary_goes_to_management_only(celery_worker, smtp, anne, mira):
    band_alert(anne, "Bos Glas B.V.")
    Alert.objects.update(opened_at=timezone.now() - dt.timedelta(days=2))
    wait_for(lambda: smtp.inbox.messages, what="anne's immediate e-mail")
    tasks.alerts_send_weekly.delay()
    tasks.alerts_send_weekly.delay()
    wait_for(lambda: len(smtp.inbox.messages) >= 2, what="the weekly summary")
    wait_for(queue_empty, what="the queue to drain")
    (message,) = [m for m in smtp.inbox.messages if m.to != anne.email]
    assert message.to == mira.email
    assert "Bos Glas B.V." in message.text()
