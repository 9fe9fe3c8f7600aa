"""Alerts in a real browser: a submitted matrix that drops a customer a band raises an alert
in the account manager's inbox, with the element that moved it; Dutch and English; axe."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from alerts.models import Alert, AlertRule
from tests.factories import CustomerFactory, assess
from tests.surveys import conftest as survey_fixtures

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The tests' own Redis: the alert's e-mail is queued there, never on a developer's broker.
broker = survey_fixtures.broker
redis_server = survey_fixtures.redis_server

CODES = [
    "performance",
    "service",
    "price_level",
    "perception",
    "competition",
    "distinctiveness",
    "knowledge_advantage",
    "perceived_alternatives",
    "it_integration",
    "contract",
    "presence",
    "personal_bond",
]


def no_serious_violations(page, context: str | None = None) -> None:
    results = Axe().run(page, context=context)
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


@pytest.fixture
def yellow_customer(anne):
    """Scored 56.9 (yellow) by Anne two days ago: IT integration 6, every other element 3."""
    customer = CustomerFactory(name="Hollandse Transport B.V.", account_manager=anne)
    values = {code: 3 for code in CODES} | {"it_integration": 6}
    assess(customer, values, user=anne, at=timezone.now() - timedelta(days=2))
    return customer


def test_a_matrix_that_drops_a_band_shows_the_alert_with_the_element_that_moved_it(
    open_page, screenshot, console_errors, anne, yellow_customer
):
    page = open_page(anne, language="en")
    page.goto(reverse("scoring:customer-matrix", args=[yellow_customer.pk]))
    expect(page.locator("#alert-count")).to_have_count(0)
    page.locator("label[for='value_performance-3']").click()
    for _code in CODES:  # a digit chooses on the focused row and moves on to the next
        page.keyboard.press("3")  # every row 3: IT integration falls from 6 to 3
    page.get_by_role("button", name="Submit the assessment").click()
    expect(page.get_by_role("heading", name="Assessment saved")).to_be_visible()
    expect(page.locator("#score-after")).to_contain_text("50.0")

    # The menu counts the new alerts (the band went down; staff's IT integration fell 3);
    # the inbox shows them with why the score moved.
    expect(page.locator("#alert-count")).to_contain_text("2")
    page.locator("#menu-alerts").click()
    expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()
    card = page.locator(".alert-item[data-trigger='band_down']")
    expect(card).to_contain_text("Hollandse Transport B.V.")
    expect(card).to_contain_text("The band went down from yellow to orange.")
    expect(card.locator(".why-lines [data-code='it_integration']")).to_contain_text(
        "IT integration −6.9"
    )
    screenshot(page, "alerts-inbox-laptop")
    no_serious_violations(page)
    alert = Alert.objects.get(customer=yellow_customer, trigger="band_down")
    assert (alert.element_code, alert.severity) == ("it_integration", "critical")

    card.get_by_role("link", name="Hollandse Transport B.V.", exact=True).click()
    expect(page.locator("#why")).to_contain_text("IT integration")
    expect(page.locator("#why")).to_contain_text("came in")
    screenshot(page, "alerts-detail-laptop")
    no_serious_violations(page)
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("The alert is acknowledged.")).to_be_visible()
    expect(page.locator("#alert-count")).to_contain_text("1")
    assert console_errors == []


def test_the_same_in_dutch_on_a_phone_with_a_snooze(
    open_page, screenshot, console_errors, anne, yellow_customer
):
    AlertRule.objects.exclude(trigger="band_down").update(active=False)
    assess(yellow_customer, {code: 3 for code in CODES}, user=anne)  # evaluated on commit
    page = open_page(anne, language="nl", width=390, height=844, mobile=True)
    page.goto(reverse("alerts:inbox"))
    card = page.locator(".alert-item", has_text="Hollandse Transport B.V.")
    expect(card).to_contain_text("De band ging omlaag van geel naar oranje.")
    expect(card.locator(".why-lines [data-code='it_integration']")).to_contain_text(
        "IT-integratie −6,9"
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "alerts-inbox-phone-nl")
    no_serious_violations(page)
    card.get_by_role("link", name="Uitstellen · Hollandse Transport B.V.").tap()
    page.get_by_label("Reden").select_option("contact_planned")
    page.get_by_role("button", name="Uitstellen").tap()
    expect(page.get_by_text("Het signaal is uitgesteld.")).to_be_visible()
    screenshot(page, "alerts-detail-phone-nl")
    no_serious_violations(page)
    page.goto(reverse("alerts:inbox") + "?status=snoozed")
    expect(page.locator(".alert-item")).to_contain_text("een contactmoment gepland")
    page.goto(reverse("scoring:customer-detail", args=[yellow_customer.pk]))
    expect(page.locator("#score-changes")).to_contain_text("IT-integratie")
    screenshot(page, "customer-score-changes-phone-nl")
    no_serious_violations(page, "#score-changes")  # this app's part of scoring's page
    assert console_errors == []
