"""The Content-Security-Policy in a real browser: no inline script anywhere, and the small
behaviours that used to be inline (language switch, filters, confirmations) still work."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from scoring.demo import seed_portfolio
from scoring.models import Customer
from surveys import services
from surveys.models import Round
from tests.surveys.conftest import (  # noqa: F401 - the survey tests' own Redis, not yours
    broker,
    redis_server,
)
from tests.surveys.support import make_campaign

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def csp_violations(errors: list[str]) -> list[str]:
    return [e for e in errors if "Content Security Policy" in e or "Refused to" in e]


def test_every_page_runs_under_the_policy_and_the_charts_draw(
    open_page, mira, console_errors, screenshot, draw_charts
):
    seed_portfolio(customers=40, seed=3, history_months=3)
    opened = services.round_open(campaign=make_campaign(), user=mira)
    customer = Customer.objects.filter(snapshots__binding_score__isnull=False).first()
    page = open_page(mira)
    response = page.goto("/dashboard/", timeout=30_000)  # plotly.js takes a while to parse
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    draw_charts(page, ("trend", "quadrants"))
    page.goto(customer.get_absolute_url(), timeout=30_000)
    draw_charts(page, ("customer-radar",))
    for path in (
        "/customers/",
        "/surveys/campaigns/",
        opened.round.get_absolute_url(),
        "/surveys/mine/",
        "/audit/",
    ):
        page.goto(path)
        page.wait_for_load_state("load")
    screenshot(page, "hardening-audit")
    assert csp_violations(console_errors) == []
    assert console_errors == []


def test_the_language_switch_works_without_inline_script(open_page, anne, console_errors):
    page = open_page(anne, language="en")
    page.goto("/customers/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.select_option("#language-select", "nl")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    assert console_errors == []


def test_closing_a_round_asks_first(open_page, mira, console_errors):
    opened = services.round_open(campaign=make_campaign(), user=mira)
    page = open_page(mira)
    page.goto(opened.round.get_absolute_url())
    close = page.locator("form[data-confirm] button[type=submit]")
    page.once("dialog", lambda dialog: dialog.dismiss())
    close.click()
    page.wait_for_timeout(300)
    assert Round.objects.get(pk=opened.round.pk).closed_at is None
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        close.click()
    assert Round.objects.get(pk=opened.round.pk).closed_at is not None
    assert console_errors == []


def test_the_invitation_filter_applies_when_chosen(open_page, anne, mira, console_errors):
    services.round_open(campaign=make_campaign(ask_staff=True), user=mira)
    page = open_page(anne)
    page.goto("/surveys/mine/")
    with page.expect_navigation():
        page.select_option("#status", "answered")
    assert "status=answered" in page.url
    assert console_errors == []
