"""The dashboard in a real browser: every chart draws, filters change the numbers, exports."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.urls import reverse

from scoring.demo import seed_portfolio
from scoring.models import Customer

# The live server needs real commits; restore the migrations' data (groups, the active scoring
# model) after each test, or the next one finds an empty database.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CHARTS = ("trend", "bands", "quadrants", "gap", "wall", "pareto", "heatmap")


@pytest.fixture
def demo_portfolio():
    seed_portfolio(customers=120, seed=11, history_months=6)


def wait_for_charts(page, names=CHARTS) -> None:
    for name in names:
        page.wait_for_selector(f"#chart-{name} svg.main-svg")


def test_manager_uses_the_dashboard(open_page, mira, demo_portfolio, console_errors, screenshot):
    page = open_page(mira)
    page.goto(reverse("scoring:dashboard"))
    wait_for_charts(page)
    for name in CHARTS:
        # plotly drew its SVG, with at least one trace in it
        assert page.locator(f"#chart-{name} svg.main-svg").count() >= 1
        assert page.locator(f"#chart-{name} .trace, #chart-{name} .hm").count() >= 1, name
    screenshot(page, "dashboard-laptop")

    everyone = page.locator("#dashboard-moment").inner_text()
    mean = page.locator("#headline-mean").inner_text()
    sector = page.locator("#id_sector option").nth(1).get_attribute("value")
    page.select_option("#id_sector", sector)
    with page.expect_navigation():
        page.click("#apply-filters")
    wait_for_charts(page)
    assert f"sector={sector}" in page.url.replace("+", " ").replace("%20", " ")
    in_sector = Customer.objects.filter(active=True, sector=sector).count()
    assert page.locator("#dashboard-moment").inner_text() != everyone
    assert f"{in_sector} customer" in page.locator("#dashboard-moment").inner_text()
    assert page.locator("#headline-mean").inner_text() != mean or in_sector == 120

    with page.expect_download() as download:
        page.click("#export-csv")
    path = download.value.path()
    rows = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))
    assert download.value.suggested_filename.endswith(".csv")
    assert len(rows) == in_sector
    assert console_errors == []


def test_dashboard_fits_a_phone(open_page, mira, demo_portfolio, console_errors, screenshot):
    page = open_page(mira, width=390, height=844, mobile=True)
    page.goto(reverse("scoring:dashboard"))
    wait_for_charts(page)
    # Nothing sticks out sideways: the page is as wide as the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "dashboard-phone")
    assert console_errors == []


def test_customer_page_draws_its_history_and_radar(
    open_page, mira, demo_portfolio, console_errors, screenshot
):
    customer = (
        Customer.objects.filter(snapshots__is_current=True, snapshots__band="green")
        .order_by("pk")
        .first()
    )
    page = open_page(mira)
    page.goto(customer.get_absolute_url())
    page.wait_for_selector("#chart-customer-history svg.main-svg")
    page.wait_for_selector("#chart-customer-radar svg.main-svg")
    page.locator("#customer-charts").scroll_into_view_if_needed()
    screenshot(page, "customer-charts")
    assert console_errors == []
