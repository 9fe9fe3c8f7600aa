"""Contact persons on the customer page in a real browser: the account manager adds one in
Dutch, sees a wrong e-mail refused, deactivates them; management adds a customer."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from scoring.models import Contact, Customer
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_account_manager_adds_and_deactivates_a_contact_person(
    open_page, screenshot, console_errors, anne
):
    customer = CustomerFactory(name="Transport Hendriks B.V.", account_manager=anne)
    ContactFactory(customer=customer, name="Karin Hendriks", email="karin@hendriks.example")
    page = open_page(anne, language="nl")
    page.goto(customer.get_absolute_url())
    contacts = page.locator("#contacts")
    expect(contacts).to_contain_text("Karin Hendriks")
    contacts.get_by_role("link", name="Contactpersoon toevoegen").click()
    expect(page.locator("h1")).to_have_text("Nieuwe contactpersoon")
    form = page.locator("#contact-form")
    form.get_by_label("Naam").fill("Joost Hendriks")
    form.get_by_label("E-mail").fill("karin@hendriks.example")  # already a contact person
    form.get_by_label("Rol").select_option("decision_maker")
    form.get_by_label("Taal").select_option("en")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#contact-form")).to_contain_text(
        "Transport Hendriks B.V. heeft al een contactpersoon met dit e-mailadres."
    )
    form.get_by_label("E-mail").fill("joost@hendriks.example")
    page.get_by_role("button", name="Opslaan").click()
    expect(page).to_have_url(f"{customer.get_absolute_url()}#contacts", ignore_case=False)
    row = page.locator("#contact-table tr[data-contact='joost@hendriks.example']")
    expect(row).to_contain_text("Joost Hendriks")
    expect(row).to_contain_text("beslisser")
    expect(row).to_contain_text("Engels")
    screenshot(page, "customer-contact-persons")
    joost = Contact.objects.get(email="joost@hendriks.example")
    assert (joost.customer, joost.role, joost.language) == (customer, "decision_maker", "en")
    assert joost.history.latest().history_user == anne

    row.get_by_role("button", name="Deactiveren").click()
    expect(
        page.locator("#contact-table tr[data-contact='joost@hendriks.example']")
    ).to_contain_text("gedeactiveerd")
    joost.refresh_from_db()
    assert not joost.active
    assert console_errors == []


def test_management_adds_a_customer_and_it_lands_with_its_account_manager(
    open_page, console_errors, mira, anne
):
    page = open_page(mira, language="en")
    page.goto(reverse("scoring:customer-list"))
    page.get_by_role("link", name="Add customer").click()
    form = page.locator("#customer-form")
    form.get_by_label("External id").fill("K-900")
    form.get_by_label("Name").fill("Bakkerij de Molen")
    form.get_by_label("Account manager").select_option(str(anne.pk))
    form.get_by_label("Annual revenue").fill("-10")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#customer-form")).to_contain_text(
        "Ensure this value is greater than or equal to 0."
    )
    form.get_by_label("Annual revenue").fill("125000")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("Bakkerij de Molen")
    customer = Customer.objects.get(external_id="K-900")
    assert customer.account_manager == anne
    expect(page.locator("#contacts")).to_contain_text("No contact persons yet")
    assert console_errors == []
