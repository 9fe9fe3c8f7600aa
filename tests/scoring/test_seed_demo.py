"""The demo portfolio: realistic, complete and deterministic."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count

from scoring.models import Assessment, Contact, Customer, MarketExpert, ScoreSnapshot


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", no_progress=True, stdout=out, **options)
    return out.getvalue()


def portfolio_fingerprint() -> list[tuple]:
    customers = list(
        Customer.objects.order_by("external_id").values_list(
            "external_id", "name", "sector", "annual_revenue", "account_manager__username"
        )
    )
    assessments = list(
        Assessment.objects.order_by(
            "customer__external_id", "assessed_at", "respondent_email"
        ).values_list("customer__external_id", "respondent_kind", "respondent_email", "nps")
    )
    return customers + assessments


def test_seed_demo_builds_a_complete_portfolio_and_prints_the_logins(db):
    output = seed(customers=60, seed=5, history_months=6)
    assert Customer.objects.count() == 60
    assert Contact.objects.count() >= 60
    assert MarketExpert.objects.exists()
    kinds = set(Assessment.objects.values_list("respondent_kind", flat=True))
    assert kinds == {"staff", "customer", "expert"}
    # Five account managers share the portfolio.
    managers = Customer.objects.values("account_manager").annotate(n=Count("id"))
    assert len(managers) == 5
    # Scores are stored, with history, and some customers have thin or stale data.
    current = ScoreSnapshot.objects.filter(is_current=True)
    assert current.filter(binding_score__isnull=False).count() > 40
    assert (
        current.filter(provisional=True).exists()
        or current.filter(binding_score__isnull=True).exists()
    )
    assert ScoreSnapshot.objects.filter(is_current=False).exists()
    assert "directie" in output and "anne" in output and "klantbinding-demo" in output


def test_seed_demo_is_deterministic_for_a_seed(db):
    with transaction.atomic():
        seed(customers=25, seed=11, history_months=0)
        first = portfolio_fingerprint()
        transaction.set_rollback(True)
    seed(customers=25, seed=11, history_months=0)
    assert portfolio_fingerprint() == first
    assert len(first) > 25


def test_seed_demo_refuses_a_database_with_customers_unless_asked_to_skip(db):
    seed(customers=5, seed=1, history_months=0)
    with pytest.raises(CommandError, match="already has customers"):
        seed(customers=5, seed=1)
    assert "no demo data loaded" in seed(customers=5, seed=1, if_empty=True)
    assert Customer.objects.count() == 5
