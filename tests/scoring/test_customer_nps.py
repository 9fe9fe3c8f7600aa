"""The NPS on the customer page: each contact's latest answer in the validity window (as the
dashboard counts it), and its trend over the last quarters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scoring import selectors
from tests.factories import CustomerFactory, assess


def answer(customer, email: str, nps: int, days_ago: int) -> None:
    assess(
        customer,
        {"performance": 5},
        kind="customer",
        email=email,
        nps=nps,
        at=timezone.now() - timedelta(days=days_ago),
    )


def test_nps_counts_each_contacts_latest_answer_and_shows_its_trend(anne):
    customer = CustomerFactory(account_manager=anne)
    answer(customer, "a@klant.example", 2, days_ago=200)  # later replaced by a 10
    answer(customer, "a@klant.example", 10, days_ago=10)
    answer(customer, "b@klant.example", 9, days_ago=150)
    answer(customer, "c@klant.example", 3, days_ago=20)
    nps = selectors.customer_nps(customer)
    assert nps is not None
    assert nps.now.answers == 3
    assert nps.now.nps == pytest.approx(100 * (2 / 3 - 1 / 3))
    # A year and three quarters ago nobody had answered; half a year ago only a's 2 (a
    # detractor); a quarter ago a's 2 and b's 9.
    assert [p.nps for p in nps.trend] == [
        None,
        None,
        pytest.approx(-100.0),
        pytest.approx(0.0),
        pytest.approx(100 / 3),
    ]

    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    client.force_login(anne)
    page = client.get(reverse("scoring:customer-detail", args=[customer.pk])).content.decode()
    assert 'id="customer-nps"' in page
    assert 'id="nps-now">+33,3<' in page
    assert page.split('id="nps-trend"')[1].split("</table>")[0].count("<td") == 5


def test_no_nps_block_without_an_answer(anne):
    customer = CustomerFactory(account_manager=anne)
    assess(customer, {"performance": 5}, user=anne)
    assert selectors.customer_nps(customer) is None
    client = Client()
    client.force_login(anne)
    page = client.get(reverse("scoring:customer-detail", args=[customer.pk])).content.decode()
    assert 'id="customer-nps"' not in page
