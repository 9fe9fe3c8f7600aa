"""Improvement actions in a real browser, in Dutch and English: management proposes an action
from the customer page's "where the wall rises most" panel, the account manager finds it under
"My actions", ticks the checklist and completes it. axe-core checks every page on the way
(no serious or critical violations)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from actions.models import Action
from tests.factories import CustomerFactory, assess

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

AXE = Axe()
WORDS = {
    "en": {
        "propose": "propose an action",
        "save": "Save the action",
        "open": "open",
        "steps": "Save the checklist",
        "in_progress": "in progress",
        "complete": "Complete",
        "achieved": "achieved",
        "done_button": "Mark as done",
        "done": "done",
        "running": "Running",
    },
    "nl": {
        "propose": "actie voorstellen",
        "save": "Actie opslaan",
        "open": "open",
        "steps": "Checklist opslaan",
        "in_progress": "bezig",
        "complete": "Afronden",
        "achieved": "bereikt",
        "done_button": "Markeer als afgerond",
        "done": "afgerond",
        "running": "Lopend",
    },
}


def slow_machine(page: Page) -> Page:
    """Several test runs share two cores: give page loads (plotly.js is large) more time."""
    page.set_default_timeout(30_000)
    return page


# Checked elsewhere, not part of these pages' own content: the menu bar of base.html (its
# link colour on the blue bar) and the scoring app's charts on the customer page.
NOT_OURS = [["nav.navbar"], ["#chart-customer-history"], ["#chart-customer-radar"]]


def accessible(page: Page, what: str, *, only: list | None = None) -> None:
    """axe-core on the page as it stands (or on the parts ``only`` names): no serious or
    critical violation."""
    context = {"include": only, "exclude": NOT_OURS} if only else {"exclude": NOT_OURS}
    results = AXE.run(page, context=context)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{what}: {bad}"


@pytest.fixture
def customer(anne):
    customer = CustomerFactory(name="De Vries Logistiek B.V.", account_manager=anne)
    now = timezone.now()
    values = {
        "performance": 5,
        "service": 4,
        "price_level": 3,
        "it_integration": 1,
        "contract": 4,
        "knowledge_advantage": 3,
    }
    assess(customer, values, user=anne, at=now - timedelta(days=10))
    assess(customer, {**values, "service": 2}, kind="customer", email="inkoop@devries.example")
    return customer


@pytest.mark.parametrize("language", ["en", "nl"])
def test_proposed_from_the_wall_then_ticked_off_and_completed_by_the_account_manager(
    open_page, screenshot, console_errors, mira, anne, customer, language
):
    words = WORDS[language]
    boss = slow_machine(open_page(mira, language=language))
    boss.goto(reverse("scoring:customer-detail", args=[customer.pk]))
    walls = boss.locator("#walls")
    expect(walls).to_contain_text("IT")
    # The customer page is the scoring app's: what this app adds to it is checked.
    accessible(boss, "customer page", only=[["#panel-actions"], ["#walls"], ["#elements-heading"]])
    first = walls.locator("a.propose-action").first
    expect(first).to_contain_text(words["propose"])
    first.click()

    expect(boss).to_have_url(re.compile(r"/actions/propose/\?customer=\d+&element=it_integration"))
    expect(boss.locator("#id_element_code")).to_have_value("it_integration")
    expect(boss.locator("#id_owner")).to_have_value(str(anne.pk))
    accessible(boss, "propose form")
    screenshot(boss, f"actions-propose-{language}")
    boss.locator("#id_title").fill("Koppeling met het ERP van De Vries")
    boss.locator("#id_rationale").fill("IT-integratie staat op 1; orders komen nu per mail.")
    boss.get_by_role("button", name=words["save"]).click()

    expect(boss.locator("#action-title")).to_have_text("Koppeling met het ERP van De Vries")
    expect(boss.locator("#action-status")).to_contain_text(words["open"])
    expect(boss.locator("#baseline-table tr[data-line='value']")).to_contain_text("1")
    accessible(boss, "action page (management)")
    action = Action.objects.get(customer=customer)
    assert action.status == "open" and action.origin == "wall"
    assert action.element_code == "it_integration" and action.owner == anne

    owner = slow_machine(open_page(anne, language=language))
    owner.goto(reverse("actions:mine"))
    row = owner.locator("#running-actions tr[data-action]").filter(has_text="Koppeling met")
    expect(row).to_have_count(1)
    accessible(owner, "my actions")
    screenshot(owner, f"actions-my-actions-{language}")
    row.get_by_role("link", name="Koppeling met het ERP van De Vries").click()

    owner.locator("#step-1").check()
    owner.locator("#step-2").check()
    owner.get_by_role("button", name=words["steps"]).click()
    expect(owner.locator("#action-status")).to_contain_text(words["in_progress"])
    expect(owner.locator("#step-1")).to_be_checked()
    accessible(owner, "action page (owner)")
    screenshot(owner, f"actions-checklist-{language}")
    owner.locator("#complete").click()

    owner.get_by_label(words["achieved"], exact=True).check()
    owner.locator("#id_note").fill("Koppeling draait sinds maandag.")
    accessible(owner, "complete form")
    owner.get_by_role("button", name=words["done_button"]).click()
    expect(owner.locator("#action-status")).to_contain_text(words["done"])
    expect(owner.locator("#outcome")).to_contain_text(words["achieved"], ignore_case=True)
    screenshot(owner, f"actions-done-{language}")

    action.refresh_from_db()
    assert action.status == "done" and action.outcome == "achieved"
    assert action.steps.filter(done_at__isnull=False).count() == 2

    # The customer page tells the story, and management sees it on the board.
    boss.goto(reverse("scoring:customer-detail", args=[customer.pk]))
    expect(boss.locator("#panel-actions")).to_contain_text("Koppeling met het ERP van De Vries")
    boss.goto(reverse("actions:board"))
    expect(boss.locator(".board-column[data-status='done']")).to_contain_text("Koppeling met")
    accessible(boss, "board")
    boss.goto(reverse("actions:report"))
    accessible(boss, "effect report")
    assert console_errors == []


def test_my_actions_and_an_action_on_a_phone(open_page, screenshot, console_errors, mira, anne):
    from tests.actions.factories import make_action

    customer = CustomerFactory(name="Transport Hendriks B.V.", account_manager=anne)
    action = make_action(customer, by=mira, title="Kennisdag voor de planners")
    page = slow_machine(open_page(anne, language="nl", width=390, height=844, mobile=True))
    page.goto(reverse("actions:mine"))
    expect(page.locator("#running-actions")).to_contain_text("Kennisdag voor de planners")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    screenshot(page, "actions-my-actions-phone")
    page.goto(reverse("actions:action-detail", args=[action.pk]))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    accessible(page, "action page on a phone")
    screenshot(page, "actions-action-phone")
    assert console_errors == []
