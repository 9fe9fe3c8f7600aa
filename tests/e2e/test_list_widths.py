"""The customer list on a phone and on a laptop (issue 10 item 9): on a 390 px phone each row
shows the band with the score and whether an assessment is due, without scrolling sideways;
at 1366 px management's list, with its extra columns, is not cut off on the right."""

from __future__ import annotations

import pytest
from django.urls import reverse

from scoring.demo import seed_portfolio

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

OVERFLOW = "el => el.scrollWidth - el.clientWidth"


@pytest.fixture
def portfolio():
    seed_portfolio(customers=60, seed=11, history_months=3)


def _inside(page, locator, width: int) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_a_phone_shows_band_score_and_due(open_page, mira, portfolio, screenshot):
    page = open_page(mira, width=390, height=844, mobile=True)
    page.goto(reverse("scoring:customer-list") + "?due=1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    table = page.locator(".table-responsive")
    assert table.evaluate(OVERFLOW) <= 0  # the table itself does not scroll sideways
    rows = page.locator("table.customer-table tbody tr")
    assert rows.count() >= 1
    for index in range(min(rows.count(), 5)):
        row = rows.nth(index)
        name = row.locator("td").first.get_by_role("link")
        due = row.locator(".due-marker")
        assert name.is_visible() and _inside(page, name, 390)
        assert due.is_visible() and _inside(page, due, 390)
        badge = row.locator(".badge-band")
        if badge.count():  # customers without a score show a dash
            assert badge.is_visible() and _inside(page, badge, 390)
            assert "band-" in (badge.get_attribute("class") or "")
    # The score of a scored customer is written in its badge.
    page.goto(reverse("scoring:customer-list"))
    badge = page.locator("table.customer-table .badge-band").first
    assert badge.is_visible() and _inside(page, badge, 390)
    assert any(ch.isdigit() for ch in badge.inner_text())
    screenshot(page, "customer-list-phone")


def test_managements_list_is_not_cut_off_on_a_laptop(open_page, mira, portfolio, screenshot):
    page = open_page(mira, width=1366, height=900)
    page.goto(reverse("scoring:customer-list"))
    headers = page.locator("table.customer-table thead th")
    assert headers.count() >= 11  # manager, the factors and the other apps' columns
    assert page.locator(".table-responsive").evaluate(OVERFLOW) <= 0
    last = headers.last
    assert last.is_visible() and _inside(page, last, 1366)
    screenshot(page, "customer-list-laptop")
