"""Measuring after: at decision + horizon a survey round asks the treated customers and their
controls (customers and experts) about the targeted element only; a campaign's control group
is asked with its action group; nothing is asked twice."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from actions import services
from actions.models import Action, MeasurementRequest
from scoring import extensions
from surveys import services as survey_services
from surveys.models import Campaign, Invitation
from tests.actions.factories import make_action
from tests.factories import ContactFactory, CustomerFactory, assess
from tests.surveys.support import link_in

pytestmark = pytest.mark.django_db

BASE = {"performance": 3, "service": 3, "it_integration": 2, "contract": 3}


@pytest.fixture(autouse=True)
def queued(broker):
    """Opening a round queues its e-mails on the tests' own Redis (no worker: they wait)."""


def scored_customers(anne, count: int, *, at: dt.datetime) -> list:
    customers = []
    for _ in range(count):
        customer = CustomerFactory(account_manager=anne)
        contact = ContactFactory(customer=customer, language="nl")
        assess(customer, BASE, kind="customer", email=contact.email, at=at)
        customers.append(customer)
    return customers


def test_at_the_horizon_the_treated_and_their_controls_are_asked_about_the_element(anne, mira):
    decided = timezone.now() - dt.timedelta(days=181)
    customers = scored_customers(anne, 8, at=decided - dt.timedelta(days=20))
    treated = customers[:3]
    actions = [make_action(c, by=mira, type_code="it-integration", now=decided) for c in treated]

    result = services.measurements_request_due()

    assert result.requested == 1 and result.actions == 3
    campaign = Campaign.objects.get()
    assert campaign.element_codes == ["it_integration"]
    assert campaign.ask_customers and campaign.ask_experts and not campaign.ask_staff
    assert not campaign.active  # one round only
    asked = set(campaign.customers.values_list("pk", flat=True))
    assert {c.pk for c in treated} < asked  # the treated and at least one control
    assert asked <= {c.pk for c in customers}
    invitations = Invitation.objects.filter(round__campaign=campaign)
    assert set(invitations.values_list("customer_id", flat=True)) == asked
    request = MeasurementRequest.objects.get()
    assert request.treated == 3 and request.controls == len(asked) - 3
    for action in actions:
        action.refresh_from_db()
        assert action.measurement_requested_at is not None

    # The next day's run asks nothing again.
    assert services.measurements_request_due().requested == 0
    assert Campaign.objects.count() == 1


def test_the_answer_page_asks_only_the_targeted_element(anne, mira, settings):
    decided = timezone.now() - dt.timedelta(days=181)
    customers = scored_customers(anne, 4, at=decided - dt.timedelta(days=20))
    make_action(customers[0], by=mira, type_code="it-integration", now=decided)
    services.measurements_request_due()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    invitation = Invitation.objects.filter(customer=customers[0]).first()
    survey_services.invitations_send(invitation_ids=[invitation.pk])
    link = link_in(mail.outbox[-1].body)

    client = Client()
    page = client.get(link, follow=True).content.decode()

    asked = set(re.findall(r'name="value_([a-z_]+)"', page))
    assert asked == {"it_integration"}


def test_not_yet_at_the_horizon_nothing_is_asked(anne, mira):
    decided = timezone.now() - dt.timedelta(days=100)
    customers = scored_customers(anne, 3, at=decided - dt.timedelta(days=20))
    make_action(customers[0], by=mira, type_code="it-integration", now=decided)
    assert services.measurements_request_due().requested == 0
    assert not Campaign.objects.exists()


def test_a_campaigns_control_group_is_asked_with_its_action_group(anne, mira):
    from tests.actions.test_campaigns import launch

    customers = CustomerFactory.create_batch(10, account_manager=anne)
    for customer in customers:
        ContactFactory(customer=customer)
    campaign = launch(mira, holdout=40)
    later = campaign.launched_at + dt.timedelta(days=180, hours=1)

    result = services.measurements_request_due(now=later)

    assert result.requested == 1
    survey = Campaign.objects.get()
    assert set(survey.customers.values_list("pk", flat=True)) == {c.pk for c in customers}
    assert survey.element_codes == ["knowledge_advantage"]
    assert not Action.objects.filter(campaign=campaign, measurement_requested_at=None).exists()


def test_without_a_survey_app_the_actions_wait(anne, mira, monkeypatch):
    monkeypatch.setattr(extensions, "_measurement_requesters", [])
    decided = timezone.now() - dt.timedelta(days=181)
    customers = scored_customers(anne, 2, at=decided - dt.timedelta(days=20))
    action = make_action(customers[0], by=mira, type_code="it-integration", now=decided)
    assert services.measurements_request_due().requested == 0
    action.refresh_from_db()
    assert action.measurement_requested_at is None
