"""The customer page's one timeline mixes what the apps registered: assessments and survey
answers (scoring), contacts and departures (relations), actions and alerts."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from alerts import services as alert_services
from alerts.models import AlertRule
from relations import services as relation_services
from scoring import extensions
from tests.alerts.support import ALL_THREE
from tests.factories import CustomerFactory, assess

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def test_every_app_has_a_source_in_the_timeline_registry():
    assert {"assessments", "contacts", "departures", "actions", "alerts"} <= set(
        extensions._timeline_sources
    )


def test_the_customer_page_mixes_all_of_them_newest_first(client, anne, mira, bart):
    from tests.actions.factories import make_action

    AlertRule.objects.exclude(trigger="band_down").update(active=False)
    customer = CustomerFactory(account_manager=anne, name="Visser Transport B.V.")

    def on(day: int):
        return time_machine.travel(START + dt.timedelta(days=day), tick=False)

    with on(0):
        assess(customer, {**ALL_THREE, "it_integration": 6}, at=timezone.now())
    with on(1):  # a lower IT integration drops the band: an alert; and a survey answer
        assess(customer, ALL_THREE, at=timezone.now())
        alert_services.alerts_evaluate(customer_ids=[customer.pk], now=timezone.now())
        answers = {"performance": 4, "service": 4}
        assess(customer, answers, kind="customer", email="klant@visser.nl", at=timezone.now())
    with on(2):
        action = make_action(customer, by=mira, title="Koppeling met hun ERP")
    with on(3):
        relation_services.contact_log(
            customer=customer,
            kind="visit",
            at=timezone.now(),
            summary="Koppeling besproken",
            user=anne,
            action=action,
        )

    with on(4):
        client.force_login(anne)
        page = client.get(
            reverse("scoring:customer-detail", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE="en"
        )
    kinds = [entry.kind for entry in page.context["timeline"]]
    # Newest first: the visit, the action (decided, proposed), the alert, the survey answer
    # and the assessment of day 1, the first assessment.
    assert kinds[0] == "contact"
    assert set(kinds[1:3]) == {"action"}
    assert sorted(kinds[3:6]) == ["alert", "assessment", "assessment"]
    assert kinds[6:] == ["assessment"]
    html = page.content.decode()
    for css in ("timeline-contact", "timeline-action", "timeline-alert", "timeline-assessment"):
        assert css in html
    assert "Survey answered" in html and "Koppeling besproken" in html

    client.force_login(bart)  # another account manager sees none of it
    assert client.get(reverse("scoring:customer-detail", args=[customer.pk])).status_code == 404
