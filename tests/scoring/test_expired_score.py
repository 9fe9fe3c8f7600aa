"""An expired score is not "no score": a customer whose assessments all fell out of the
validity window shows the last known score and since when it expired, is due for re-scoring,
and keeps its band in the dashboard's movements (no green → no score move)."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation

from scoring import calculations, snapshots
from scoring.services import scores_refresh
from tests.factories import CustomerFactory, assess
from tests.scoring.test_dashboard import ALL_SIX


def client_for(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def expired_customer(anne, settings):
    """Anne's customer scored green, then 400 days later with every assessment expired."""
    customer = CustomerFactory(account_manager=anne, annual_revenue=1000)
    start = timezone.now()
    assess(customer, ALL_SIX, user=anne, at=start - timedelta(minutes=1))
    later = start + timedelta(days=400)
    expired_on = (start - timedelta(minutes=1)) + timedelta(
        days=settings.KLANTBINDING["VALIDITY_DAYS"]
    )
    return customer, later, expired_on


def test_customer_page_shows_the_last_known_score_and_since_when_it_expired(anne, settings):
    customer, later, expired_on = expired_customer(anne, settings)
    with time_machine.travel(later, tick=False):
        scores_refresh()
        current = snapshots.current_snapshot(customer)
        assert current is not None and current.binding_score is None  # the rule: no score
        for language, score in (("en", "100.0"), ("nl", "100,0")):
            response = client_for(anne, language).get(
                reverse("scoring:customer-detail", args=[customer.pk])
            )
            page = response.content.decode()
            assert 'id="expired-score"' in page
            with translation.override(language):
                day = formats.date_format(timezone.localtime(expired_on), "DATE_FORMAT")
            words = {"en": "Last known score", "nl": "Laatst bekende score"}[language]
            assert f"{words} {score} (" in page
            assert day in page
            assert "No score yet" not in page and "Nog geen score" not in page
        # Due for re-scoring: in the list's due marker and the dashboard's overdue count.
        listing = client_for(anne).get(reverse("scoring:customer-list"))
        assert "due-marker" in listing.content.decode()
        dashboard = client_for(anne).get(reverse("scoring:dashboard"))
        assert dashboard.context["headline"]["overdue"] == 1


def test_an_expired_score_is_no_band_move_on_the_dashboard(anne, mira, settings):
    customer, later, _expired_on = expired_customer(anne, settings)
    with time_machine.travel(later, tick=False):
        scores_refresh()
        since = (later - timedelta(days=90)).date()  # green then, expired now
        response = client_for(mira).get(reverse("scoring:dashboard"), {"moves_from": since})
        tracks = response.context["tracks"]
        assert [c["count"] for c in tracks["loyalty"]] == [0, 1, 0]  # green stayed green
        assert [c["count"] for c in tracks["churn"]] == [0, 0, 0]
    assert customer.snapshots.filter(binding_score__isnull=True).exists()


def test_known_state_keeps_the_last_band_and_leaves_never_scored_customers_out():
    import pandas as pd

    at = pd.to_datetime(["2025-01-01", "2026-02-01", "2025-03-01"], utc=True)
    history = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "computed_at": at,
            "binding_score": [80.0, float("nan"), float("nan")],
            "band": pd.Categorical(["green", "", ""], [*calculations.BANDS, ""]),
        }
    )
    moment = pd.Timestamp("2026-06-01", tz="UTC").to_pydatetime()
    known = calculations.known_state_at(history, moment)
    assert known["band"].to_dict() == {1: "green"}
    assert calculations.state_at(history, moment)["band"].to_dict() == {1: "", 2: ""}
