"""The customer list and the customer page in a real browser, on a laptop and a phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import CustomerFactory, assess

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def portfolio(anne, bart):
    now = timezone.now()
    for n in range(56):
        manager = anne if n % 2 else bart
        customer = CustomerFactory(name=f"Klant {n:02d} B.V.", account_manager=manager)
        if n % 7:
            values = {"performance": n % 7, "it_integration": (n * 3) % 7, "contract": 4}
            assess(customer, values, user=manager, at=now - timedelta(days=n * 3))


def test_management_filters_sorts_and_pages_the_customer_list(
    open_page, screenshot, console_errors, mira, bart, portfolio
):
    page = open_page(mira, language="en")
    page.goto(reverse("scoring:customer-list"))
    expect(page.locator("#customer-count")).to_have_text("56 customers")
    assert page.locator("tbody tr").count() == 50
    page.select_option("#manager-filter", str(bart.pk))
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#customer-count")).to_have_text("28 customers")
    page.get_by_role("link", name="Binding score").click()
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Binding score")
    page.get_by_role("link", name="Binding score").click()  # again: highest first
    expect(page.locator("th[aria-sort='descending']")).to_contain_text("Binding score")
    scores = page.locator("tbody tr td:nth-child(3)").all_inner_texts()
    numbers = [float(s.rstrip("*")) for s in scores if s.strip() != "–"]
    assert numbers == sorted(numbers, reverse=True)
    assert scores[-1] == "–"  # customers without a score come last
    screenshot(page, "customer-list-management-laptop")
    page.get_by_label("Search").fill("Klant 1")
    page.get_by_label("Search").press("Enter")
    expect(page.locator("#customer-count")).to_have_text("5 customers")  # 10, 12, ..., 18
    assert console_errors == []


def test_customer_list_and_page_on_a_phone(open_page, screenshot, console_errors, anne):
    customer = CustomerFactory(name="Transport Hendriks B.V.", account_manager=anne)
    now = timezone.now()
    assess(customer, {"performance": 2, "service": 3, "it_integration": 1}, user=anne, at=now)
    assess(
        customer,
        {"performance": 5, "service": 4, "price_level": 2},
        kind="customer",
        email="inkoop@hendriks.example",
        at=now - timedelta(days=20),
    )
    assess(customer, {"competition": 1, "it_integration": 3}, kind="expert", email="x@markt.nl")
    page = open_page(anne, language="nl", width=390, height=844, mobile=True)
    page.goto(reverse("scoring:customer-list"))
    row = page.locator("tr", has_text="Transport Hendriks B.V.")
    expect(row).to_contain_text("%")
    screenshot(page, "customer-list-phone-one")
    row.get_by_role("link", name="Transport Hendriks B.V.").tap()
    expect(page.get_by_role("heading", name="Transport Hendriks B.V.")).to_be_visible()
    # plotly.js (3.5 MB, parser-blocking) sits above the history: on a busy machine the rest
    # of the page is parsed seconds after the heading shows.
    page.wait_for_load_state("load")
    performance = page.locator(".element-table tr[data-code='performance']")
    expect(performance).to_contain_text("3,5")  # (2 + 5) / 2
    expect(performance).to_contain_text("3,0")  # spread 5 − 2
    expect(page.locator("#walls li").first).to_contain_text("IT-integratie")
    history = page.locator("#history tbody tr")
    expect(history).to_have_count(3)
    screenshot(page, "customer-page-phone-three-kinds")
    history.first.get_by_role("link").first.tap()  # the date opens the assessment
    expect(
        page.get_by_role("heading", name="Beoordeling · Transport Hendriks B.V.")
    ).to_be_visible()
    page.go_back()
    screenshot(page, "customer-page-phone-three-kinds")
    page.set_viewport_size({"width": 1366, "height": 900})
    screenshot(page, "customer-page-three-kinds-laptop")
    assert console_errors == []
