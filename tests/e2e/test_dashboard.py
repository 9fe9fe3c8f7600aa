"""The dashboard in a real browser: every chart draws, filters change the numbers, exports."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
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


def test_manager_uses_the_dashboard(
    open_page, mira, demo_portfolio, console_errors, screenshot, draw_charts
):
    page = open_page(mira)
    page.goto(reverse("scoring:dashboard"))
    draw_charts(page, CHARTS)
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
    draw_charts(page, CHARTS)
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


TICKS = "[...document.querySelectorAll('#chart-{name} .{axis}tick text')].map(t => t.textContent)"
HEATMAP_COLUMN = """(() => {
  const el = document.getElementById('chart-heatmap');
  return el._fullLayout.xaxis._length / el.data[0].x.length;
})()"""


def test_charts_below_the_fold_draw_when_scrolled_to(open_page, mira, demo_portfolio):
    page = open_page(mira)
    page.goto(reverse("scoring:dashboard"))
    page.wait_for_selector("#chart-trend svg.main-svg")  # in sight: drawn at once
    page.wait_for_timeout(500)
    assert page.locator("#chart-heatmap[data-kb-drawn]").count() == 0  # far below: waits
    # Its place is kept, so the page does not jump when it draws.
    assert page.locator("#chart-heatmap").bounding_box()["height"] >= 160
    page.locator("#chart-heatmap").scroll_into_view_if_needed()
    page.wait_for_selector("#chart-heatmap svg.main-svg")


def test_dashboard_fits_a_phone(
    open_page, mira, demo_portfolio, console_errors, screenshot, draw_charts
):
    page = open_page(mira, width=390, height=844, mobile=True)
    page.goto(reverse("scoring:dashboard"))
    draw_charts(page, CHARTS)
    # Nothing sticks out sideways: the page is as wide as the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate("document.body.scrollWidth") <= 390
    for name in CHARTS:
        assert page.locator(f"#chart-{name} .trace, #chart-{name} .hm").count() >= 1, name
    # The heatmap keeps readable columns and scrolls sideways in its own frame, which a
    # keyboard can reach.
    assert page.evaluate(HEATMAP_COLUMN) >= 20
    frame = page.locator(".kb-chart-frame", has=page.locator("#chart-heatmap"))
    assert frame.evaluate("el => el.scrollWidth > el.clientWidth")
    assert frame.get_attribute("tabindex") == "0"
    # Long element names are shortened on the axes (the hover keeps the whole name).
    for name, axis in (("wall", "y"), ("gap", "y"), ("heatmap", "x")):
        ticks = page.evaluate(TICKS.format(name=name, axis=axis))
        assert ticks and all(len(tick) <= 14 for tick in ticks), (name, ticks)
        assert any(tick.endswith("…") for tick in ticks), (name, ticks)
    screenshot(page, "dashboard-phone")
    # The phone's layout (the heatmap's scrolling frame) passes axe-core as the laptop's does.
    violations = Axe().run(page).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in ("serious", "critical")] == []
    assert console_errors == []


def test_laptop_charts_keep_whole_names(open_page, mira, demo_portfolio, draw_charts):
    page = open_page(mira)
    page.goto(reverse("scoring:dashboard"))
    draw_charts(page, ("wall", "heatmap"))
    for name, axis in (("wall", "y"), ("heatmap", "x")):
        ticks = page.evaluate(TICKS.format(name=name, axis=axis))
        assert ticks and not any(tick.endswith("…") for tick in ticks), (name, ticks)
    frame = page.locator(".kb-chart-frame", has=page.locator("#chart-heatmap"))
    assert frame.evaluate("el => el.scrollWidth <= el.clientWidth")


def test_customer_page_draws_its_history_and_radar(
    open_page, mira, demo_portfolio, console_errors, screenshot, draw_charts
):
    customer = (
        Customer.objects.filter(snapshots__is_current=True, snapshots__band="green")
        .order_by("pk")
        .first()
    )
    page = open_page(mira)
    page.goto(customer.get_absolute_url())
    draw_charts(page, ("customer-history", "customer-radar"))
    page.locator("#customer-charts").scroll_into_view_if_needed()
    screenshot(page, "customer-charts")
    assert console_errors == []
