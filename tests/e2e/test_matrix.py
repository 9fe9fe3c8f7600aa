"""The scoring matrix in a real browser: keyboard, mouse and touch, the live preview, submit."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from scoring.models import Assessment
from tests.factories import CustomerFactory, assess

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Typed on the focused row after the first two rows are chosen with the mouse: "x" is
# "don't know". Together with performance 5 and service 3 they give
# 100·74 / (6·24) = 51.4 (orange) with 24 of 29 weight scored (83 %).
KEYS_FROM_PRICE_LEVEL = ["x", "6", "2", "x", "3", "5", "1", "0", "6", "4"]


def test_account_manager_scores_a_customer_with_keyboard_and_mouse(
    open_page, screenshot, console_errors, anne
):
    customer = CustomerFactory(name="Jansen Logistiek B.V.", account_manager=anne)
    page = open_page(anne, language="en")
    page.goto(reverse("scoring:customer-list"))
    screenshot(page, "customer-list-before-laptop")
    page.get_by_role("link", name="Jansen Logistiek B.V.").click()
    page.get_by_role("link", name="Score now").click()
    expect(
        page.get_by_role("heading", name="Scoring matrix · Jansen Logistiek B.V.")
    ).to_be_visible()
    assert page.locator(".matrix-row").count() == 12

    # Mouse for the first two rows, then the arrow keys move within the row ...
    page.locator("label[for='value_performance-5']").click()
    page.locator("label[for='value_service-2']").click()
    page.keyboard.press("ArrowRight")
    assert page.locator("#value_service-3").is_checked()
    # ... and digits choose on the focused row and move on to the next one.
    page.keyboard.press("3")
    for key in KEYS_FROM_PRICE_LEVEL:
        page.keyboard.press(key)
    assert page.locator("#value_price_level-x").is_checked()
    assert page.locator("#value_personal_bond-4").is_checked()
    assert page.evaluate("document.activeElement.id") == "matrix-submit"

    # The guidance shows on demand.
    guidance = page.locator("#guidance-it_integration")
    expect(guidance).to_be_hidden()
    page.locator("[data-bs-target='#guidance-it_integration']").click()
    expect(guidance).to_be_visible()

    preview = page.locator("#matrix-preview")
    expect(preview).to_contain_text("51.4")
    expect(preview).to_contain_text("83 %")
    expect(preview.locator("[data-preview-score]")).to_have_class(
        "fs-2 badge badge-band score band-orange"
    )
    screenshot(page, "matrix-laptop")

    page.get_by_role("button", name="Submit the assessment").click()
    expect(page.get_by_role("heading", name="Assessment saved")).to_be_visible()
    expect(page.locator("#score-after")).to_contain_text("51.4")
    screenshot(page, "matrix-result-laptop")
    assert Assessment.objects.filter(customer=customer, user=anne).count() == 1

    page.get_by_role("link", name="To the customer page").click()
    expect(page.locator("#binding-score")).to_have_text("51.4")
    expect(page.locator("#coverage")).to_have_text("83 %")
    screenshot(page, "customer-page-laptop")

    page.goto(reverse("scoring:customer-list"))
    row = page.locator("tr", has_text="Jansen Logistiek B.V.")
    expect(row).to_contain_text("51.4")
    screenshot(page, "customer-list-laptop")
    assert console_errors == []


def test_the_same_in_dutch_with_touch_on_a_phone(open_page, screenshot, console_errors, anne):
    customer = CustomerFactory(name="Bakkerij de Vries", account_manager=anne)
    assess(customer, {"performance": 2, "service": 2}, user=anne)
    page = open_page(anne, language="nl", width=390, height=844, mobile=True)
    page.goto(reverse("scoring:customer-list"))
    screenshot(page, "customer-list-phone")
    page.get_by_role("link", name="Bakkerij de Vries").click()
    page.get_by_role("link", name="Nu scoren").click()
    expect(page.get_by_role("heading", name="Scoringsmatrix · Bakkerij de Vries")).to_be_visible()
    expect(page.locator("[data-code='performance'] .matrix-previous")).to_contain_text(
        "uw vorige waarde: 2"
    )
    for code in ("performance", "service", "it_integration", "contract"):
        page.locator(f"label[for='value_{code}-6']").tap()
    page.get_by_role("button", name="Begin met mijn vorige waarden").tap()
    assert page.locator("#value_price_level-x").is_checked()  # not in the earlier assessment
    assert page.locator("#value_performance-6").is_checked()  # chosen values stay
    # performance, service (w3 each), IT (w4) and contract (w3) at 6: 100 % of 13 of 29 weight.
    bar = page.locator("#matrix-preview-bar")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("100,0")
    expect(bar).to_contain_text("45 %")
    screenshot(page, "matrix-phone")
    page.get_by_role("button", name="Beoordeling insturen").tap()
    expect(page.get_by_role("heading", name="Beoordeling opgeslagen")).to_be_visible()
    expect(page.locator("#before-after")).to_contain_text("33,3")
    expect(page.locator("#score-after")).to_contain_text("100,0")
    page.get_by_role("link", name="Naar de klantpagina").tap()
    expect(page.locator("#binding-score")).to_have_text("100,0*")
    expect(
        page.get_by_text("voorlopig: minder dan de helft van het gewicht is gescoord")
    ).to_be_visible()
    screenshot(page, "customer-page-phone")
    assert console_errors == []


def test_an_invalid_submit_shows_the_errors_and_saves_nothing_until_corrected(
    open_page, screenshot, console_errors, anne
):
    customer = CustomerFactory(account_manager=anne)
    page = open_page(anne, language="en")
    page.goto(reverse("scoring:customer-matrix", args=[customer.pk]))
    page.locator("label[for='value_performance-4']").click()
    page.locator("#id_comment").fill("Half done")
    page.get_by_role("button", name="Submit the assessment").click()
    expect(page.get_by_text("The matrix was not saved. Correct the marked rows.")).to_be_visible()
    assert page.locator(".matrix-row-invalid").count() == 11
    expect(page.locator("#error-service")).to_have_text(
        "Choose a score from 0 to 6, or “don't know”."
    )
    # What was filled in stays, and the focus goes to the first row to correct.
    assert page.locator("#value_performance-4").is_checked()
    expect(page.locator("#id_comment")).to_have_value("Half done")
    assert page.evaluate("document.activeElement.name") == "value_service"
    screenshot(page, "matrix-errors-laptop")
    assert not Assessment.objects.exists()

    # A row filled in loses its error text at once; the others keep theirs.
    page.locator("label[for='value_service-5']").click()
    expect(page.locator("#error-service")).to_have_count(0)
    assert (
        page.locator("[name='value_service']").first.evaluate(
            "input => input.closest('.matrix-choices').getAttribute('aria-invalid')"
        )
        is None
    )
    expect(page.locator("#error-contract")).to_be_visible()
    expect(page.locator("#matrix-errors")).to_be_visible()
    page.get_by_role("button", name="“Don't know” for the rows left open").click()
    assert page.locator(".matrix-row-invalid").count() == 0
    expect(page.locator(".matrix-row .invalid-feedback")).to_have_count(0)
    expect(page.locator("#matrix-errors")).to_have_count(0)  # nothing left to correct
    page.get_by_role("button", name="Submit the assessment").click()
    expect(page.get_by_role("heading", name="Assessment saved")).to_be_visible()
    assessment = Assessment.objects.get()
    assert assessment.comment == "Half done"
    assert {s.element.code: s.value for s in assessment.scores.all() if s.value is not None} == {
        "performance": 4,
        "service": 5,
    }
    assert console_errors == []


def test_back_after_a_submit_shows_the_submitted_result_not_a_stale_matrix(
    open_page, console_errors, anne
):
    customer = CustomerFactory(name="Terugweg B.V.", account_manager=anne)
    page = open_page(anne, language="en")
    page.goto(reverse("scoring:customer-detail", args=[customer.pk]))
    page.get_by_role("link", name="Score now").click()
    page.locator("label[for='value_performance-5']").click()
    page.get_by_role("button", name="“Don't know” for the rows left open").click()
    page.locator("#id_comment").fill("Sent once")
    page.get_by_role("button", name="Submit the assessment").click()
    expect(page.get_by_role("heading", name="Assessment saved")).to_be_visible()
    result_url = page.url
    page.go_back()
    expect(page.get_by_text("This matrix was submitted already")).to_be_visible()
    expect(page.get_by_role("heading", name="Assessment saved")).to_be_visible()
    assert page.url == result_url
    expect(page.locator("#id_comment")).to_have_count(0)
    page.go_back(wait_until="commit")  # one more: the customer page it came from
    expect(page.get_by_role("link", name="Score now")).to_be_visible()
    assert Assessment.objects.filter(customer=customer).count() == 1
    assert console_errors == []


def test_back_after_a_submit_without_javascript_shows_a_new_empty_matrix(open_page, anne):
    customer = CustomerFactory(name="Zonder Script B.V.", account_manager=anne)
    page = open_page(anne, language="en", java_script_enabled=False)
    page.goto(reverse("scoring:customer-matrix", args=[customer.pk]))
    for code in page.locator(".matrix-row").evaluate_all("rows => rows.map(r => r.dataset.code)"):
        page.locator(f"label[for='value_{code}-{'5' if code == 'performance' else 'x'}']").click()
    page.locator("#id_comment").fill("Sent once")
    page.get_by_role("button", name="Submit the assessment").click()
    expect(page.get_by_role("heading", name="Assessment saved")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="Scoring matrix · Zonder Script B.V.")).to_be_visible()
    expect(page.locator("#id_comment")).to_have_value("")  # not the old comment
    assert page.locator(".matrix-choices input:checked").count() == 0
    assert Assessment.objects.filter(customer=customer).count() == 1


def test_a_second_account_manager_cannot_reach_the_first_ones_customer(open_page, anne, bart):
    customer = CustomerFactory(name="Anne's Klant", account_manager=anne)
    page = open_page(bart, language="en")
    for url in (
        reverse("scoring:customer-detail", args=[customer.pk]),
        reverse("scoring:customer-matrix", args=[customer.pk]),
    ):
        assert page.goto(url).status == 404
    page.goto(reverse("scoring:customer-list"))
    expect(page.get_by_text("There are no customers to show yet.")).to_be_visible()
    expect(page.get_by_text("Anne's Klant")).to_have_count(0)
