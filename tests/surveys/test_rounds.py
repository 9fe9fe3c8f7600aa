"""Who a round asks about which customers, and when rounds open."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError
from django.utils import timezone

from surveys import services
from surveys.models import Campaign, Invitation
from tests.factories import ContactFactory, CustomerFactory, MarketExpertFactory
from tests.surveys.support import make_campaign

AMSTERDAM_NOON = "T12:00:00+01:00"


def invited(round_) -> set[tuple[int, str, str]]:
    return set(round_.invitations.values_list("customer_id", "respondent_kind", "email"))


def test_a_round_asks_every_contact_of_every_active_customer_once(portfolio):
    customers = portfolio(3, contacts=2)
    gone = CustomerFactory(active=False)
    ContactFactory(customer=gone)
    opened = services.round_open(campaign=make_campaign())
    assert opened.created and opened.invited == 6
    assert invited(opened.round) == {
        (c.pk, "customer", contact.email) for c in customers for contact in c.contacts.all()
    }
    assert all(i.expires_at == opened.round.closes_at for i in opened.round.invitations.all())


def test_opted_out_contacts_and_experts_are_not_asked(portfolio):
    customer = portfolio(1, contacts=2)[0]
    quitter = customer.contacts.first()
    quitter.opted_out = True
    quitter.save()
    MarketExpertFactory(sectors=[customer.sector], opted_out=True)
    MarketExpertFactory(sectors=[customer.sector], active=False)
    opened = services.round_open(campaign=make_campaign(ask_experts=True))
    assert {i.email for i in opened.round.invitations.all()} == {
        customer.contacts.exclude(pk=quitter.pk).get().email
    }


def test_staff_are_the_account_managers_of_the_customers(portfolio, anne, bart):
    anne_customers = portfolio(2)
    bart_customer = portfolio(1, manager=bart)[0]
    opened = services.round_open(campaign=make_campaign(ask_customers=False, ask_staff=True))
    assert invited(opened.round) == {
        *((c.pk, "staff", anne.email) for c in anne_customers),
        (bart_customer.pk, "staff", bart.email),
    }


def test_experts_are_asked_about_their_sector_and_their_linked_customers(portfolio):
    logistics, care = portfolio(2)
    care.sector = "Zorg"
    care.save()
    sector_expert = MarketExpertFactory(sectors=["Logistiek"])
    linked_expert = MarketExpertFactory(sectors=[])
    linked_expert.customers.add(care)
    opened = services.round_open(campaign=make_campaign(ask_customers=False, ask_experts=True))
    assert invited(opened.round) == {
        (logistics.pk, "expert", sector_expert.email),
        (care.pk, "expert", linked_expert.email),
    }


def test_the_scope_limits_the_customers(portfolio, anne, bart):
    logistics = portfolio(1)[0]
    care = portfolio(1, manager=bart)[0]
    care.sector = "Zorg"
    care.save()
    picked = portfolio(1)[0]

    def customers_of(**fields) -> set[int]:
        campaign = make_campaign(name=str(fields), **fields)
        if fields.get("scope") == "selected":
            campaign.customers.set([picked])
        return {
            i.customer_id for i in services.round_open(campaign=campaign).round.invitations.all()
        }

    assert customers_of(scope="sector", sector="Zorg") == {care.pk}
    assert customers_of(scope="account_manager", account_manager=bart) == {care.pk}
    assert customers_of(scope="selected") == {picked.pk}
    assert customers_of() == {logistics.pk, care.pk, picked.pk}


def test_opening_the_same_period_twice_writes_nothing(portfolio):
    portfolio(2)
    campaign = make_campaign()
    first = services.round_open(campaign=campaign)
    again = services.round_open(campaign=campaign)
    assert not again.created and again.round == first.round
    assert Invitation.objects.count() == 2


def test_an_invitation_is_unique_per_round_customer_and_email(portfolio):
    portfolio(1)
    invitation = services.round_open(campaign=make_campaign()).round.invitations.get()
    invitation.pk = None
    invitation.public_id = None
    with pytest.raises(IntegrityError):
        Invitation.objects.create(
            **{
                f.attname: getattr(invitation, f.attname)
                for f in Invitation._meta.concrete_fields
                if f.attname not in ("id", "public_id")
            }
        )


@pytest.mark.parametrize(
    ("today", "period"),
    [
        ("2025-01-01", "2025-01-01"),
        ("2025-03-31", "2025-01-01"),
        ("2025-04-01", "2025-04-01"),
        ("2025-12-31", "2025-10-01"),
        ("2026-01-15", "2026-01-01"),
    ],
)
def test_the_period_follows_the_cadence_from_the_first_round(today, period):
    campaign = Campaign(starts_on=dt.date(2025, 1, 1), cadence_months=3)
    found = services.period_start(campaign, dt.date.fromisoformat(today))
    assert found == dt.date.fromisoformat(period)


def test_a_month_end_start_keeps_to_the_last_day_of_shorter_months():
    campaign = Campaign(starts_on=dt.date(2025, 1, 31), cadence_months=1)
    assert services.period_start(campaign, dt.date(2025, 2, 28)) == dt.date(2025, 2, 28)
    assert services.period_start(campaign, dt.date(2025, 2, 27)) == dt.date(2025, 1, 31)
    assert services.period_start(campaign, dt.date(2025, 1, 30)) is None


def test_due_rounds_open_once_per_period_and_only_for_active_campaigns(portfolio):
    portfolio(1)
    quarterly = make_campaign(starts_on=dt.date(2025, 1, 1), cadence_months=3)
    make_campaign(name="Uit", starts_on=dt.date(2025, 1, 1), active=False)
    make_campaign(name="Later", starts_on=dt.date(2025, 6, 1))
    with time_machine.travel(f"2025-02-10{AMSTERDAM_NOON}"):
        assert [r.round.campaign for r in services.rounds_open_due()] == [quarterly]
        assert services.rounds_open_due() == []
    with time_machine.travel(f"2025-03-31{AMSTERDAM_NOON}"):
        assert services.rounds_open_due() == []
    with time_machine.travel(f"2025-04-01{AMSTERDAM_NOON}"):
        [opened] = services.rounds_open_due()
        assert opened.round.period == dt.date(2025, 4, 1)
    assert list(quarterly.rounds.order_by("period").values_list("period", flat=True)) == [
        dt.date(2025, 1, 1),
        dt.date(2025, 4, 1),
    ]


def test_a_round_cannot_open_before_the_campaign_starts(portfolio):
    from django.core.exceptions import ValidationError

    campaign = make_campaign(starts_on=timezone.localdate() + dt.timedelta(days=10))
    with pytest.raises(ValidationError):
        services.round_open(campaign=campaign)
