"""Customers, contact persons and market experts kept in the app: who may do what, the forms'
checks in both languages, what a POST cannot change, and the change history."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scoring.models import Contact, Customer, MarketExpert
from surveys.selectors import round_recipients
from tests.factories import ContactFactory, CustomerFactory, MarketExpertFactory
from tests.surveys.support import make_campaign

pytestmark = pytest.mark.django_db


def client_of(user: object, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


CUSTOMER = {
    "external_id": "K100",
    "name": "Nieuw B.V.",
    "account_manager": "",
    "sector": "Bouw",
    "annual_revenue": "250000",
    "margin_pct": "12.5",
    "revenue_potential": "300000",
    "payment_behaviour": "good",
    "active": "on",
}


# --- contact persons ------------------------------------------------------------------------


def test_the_account_manager_adds_a_contact_person_on_the_customer_page(anne):
    customer = CustomerFactory(account_manager=anne)
    client = client_of(anne)
    page = client.get(customer.get_absolute_url()).content.decode()
    add_url = reverse("scoring:contact-person-create", args=[customer.pk])
    assert add_url in page
    response = client.post(
        add_url,
        {
            "name": "Piet Jansen",
            "email": " Piet@Klant.example ",
            "role": "champion",
            "language": "en",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == customer.get_absolute_url() + "#contacts"
    contact = Contact.objects.get(customer=customer)
    assert (contact.name, contact.email, contact.role, contact.language) == (
        "Piet Jansen",
        "piet@klant.example",
        "champion",
        "en",
    )
    assert contact.active and not contact.opted_out
    record = contact.history.latest()
    assert (record.history_type, record.history_user) == ("+", anne)
    page = client.get(customer.get_absolute_url()).content.decode()
    assert "Piet Jansen" in page and "piet@klant.example" in page and "champion" in page


def test_another_account_manager_gets_a_404_and_changes_nothing(anne, bart):
    customer = CustomerFactory(account_manager=anne)
    contact = ContactFactory(customer=customer, name="Piet")
    client = client_of(bart)
    data = {"name": "Kaper", "email": "kaper@x.example", "role": "", "language": "nl"}
    assert (
        client.get(reverse("scoring:contact-person-create", args=[customer.pk])).status_code == 404
    )
    assert (
        client.post(reverse("scoring:contact-person-create", args=[customer.pk]), data).status_code
        == 404
    )
    edit = reverse("scoring:contact-person-edit", args=[contact.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, data).status_code == 404
    active = reverse("scoring:contact-person-active", args=[contact.pk])
    assert client.post(active, {"active": "0"}).status_code == 404
    contact.refresh_from_db()
    assert (contact.name, contact.active) == ("Piet", True)
    assert Contact.objects.count() == 1
    for name in ("scoring:customer-edit",):
        assert client.get(reverse(name, args=[customer.pk])).status_code == 403


def test_extra_fields_in_the_post_change_neither_customer_nor_opt_out(anne, bart):
    mine = CustomerFactory(account_manager=anne)
    other = CustomerFactory(account_manager=bart)
    contact = ContactFactory(customer=mine, name="Piet", email="piet@klant.example")
    opted_at = timezone.now()
    Contact.objects.filter(pk=contact.pk).update(opted_out=True, opted_out_at=opted_at)
    client = client_of(anne)
    response = client.post(
        reverse("scoring:contact-person-edit", args=[contact.pk]),
        {
            "name": "Piet Jansen",
            "email": "piet@klant.example",
            "role": "user",
            "language": "nl",
            "customer": other.pk,
            "opted_out": "",
            "opted_out_at": "",
            "active": "",
            "account_manager": anne.pk,
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.name == "Piet Jansen"
    assert contact.customer == mine
    assert contact.opted_out and contact.opted_out_at == opted_at
    assert contact.active
    other.refresh_from_db()
    assert other.account_manager == bart
    # A new contact person cannot be put on another customer or born opted out either.
    client.post(
        reverse("scoring:contact-person-create", args=[mine.pk]),
        {
            "name": "Sara",
            "email": "sara@klant.example",
            "language": "nl",
            "customer": other.pk,
            "opted_out": "on",
        },
    )
    sara = Contact.objects.get(email="sara@klant.example")
    assert sara.customer == mine and not sara.opted_out


def test_an_opted_out_contact_is_shown_as_such_with_no_way_to_opt_them_in(anne):
    contact = ContactFactory(customer=CustomerFactory(account_manager=anne))
    Contact.objects.filter(pk=contact.pk).update(opted_out=True, opted_out_at=timezone.now())
    client = client_of(anne)
    page = client.get(reverse("scoring:contact-person-edit", args=[contact.pk])).content.decode()
    assert "Opted out of surveys on" in page
    assert "Only the contact person can change this" in page
    assert 'name="opted_out"' not in page
    listing = client.get(contact.customer.get_absolute_url()).content.decode()
    assert "opted out" in listing


def test_a_second_contact_with_the_same_email_is_refused_in_the_users_language(anne):
    customer = CustomerFactory(account_manager=anne, name="Acme B.V.")
    ContactFactory(customer=customer, email="piet@acme.example")
    url = reverse("scoring:contact-person-create", args=[customer.pk])
    data = {"name": "Piet", "email": "PIET@acme.example", "language": "nl"}
    english = client_of(anne, "en").post(url, data)
    assert english.status_code == 200
    assert (
        "Acme B.V. already has a contact person with this e-mail address."
        in english.content.decode()
    )
    dutch = client_of(anne, "nl").post(url, {**data, "email": "geen adres"})
    assert "Voer een geldig e-mailadres in." in dutch.content.decode()
    dutch = client_of(anne, "nl").post(url, data)
    assert "Acme B.V. heeft al een contactpersoon met dit e-mailadres." in dutch.content.decode()
    assert "Controleer de gemarkeerde velden" in dutch.content.decode()
    assert Contact.objects.filter(customer=customer).count() == 1


def test_a_deactivated_contact_is_not_invited_and_can_be_reactivated(anne, mira):
    customer = CustomerFactory(account_manager=anne)
    piet = ContactFactory(customer=customer, email="piet@klant.example")
    ContactFactory(customer=customer, email="sara@klant.example")
    campaign = make_campaign()
    assert {r.email for r in round_recipients(campaign)} == {
        "piet@klant.example",
        "sara@klant.example",
    }
    client = client_of(mira)
    url = reverse("scoring:contact-person-active", args=[piet.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"active": "0"}, follow=True)
    assert "is deactivated" in response.content.decode()
    piet.refresh_from_db()
    assert not piet.active
    assert piet.history.latest().history_user == mira
    assert {r.email for r in round_recipients(campaign)} == {"sara@klant.example"}
    page = client.get(customer.get_absolute_url()).content.decode()
    assert "deactivated" in page and "Reactivate" in page
    client.post(url, {"active": "1"})
    piet.refresh_from_db()
    assert piet.active


# --- customers ------------------------------------------------------------------------------


def test_management_adds_a_customer_with_an_account_manager(mira, anne):
    client = client_of(mira)
    listing = client.get(reverse("scoring:customer-list")).content.decode()
    assert reverse("scoring:customer-create") in listing
    response = client.post(
        reverse("scoring:customer-create"), {**CUSTOMER, "account_manager": anne.pk}
    )
    customer = Customer.objects.get(external_id="K100")
    assert response["Location"] == customer.get_absolute_url()
    assert (customer.name, customer.account_manager, str(customer.margin_pct)) == (
        "Nieuw B.V.",
        anne,
        "12.50",
    )
    assert customer.history.latest().history_user == mira
    # Anne now sees it among hers; the page offers management to edit it.
    assert client_of(anne).get(customer.get_absolute_url()).status_code == 200
    assert (
        reverse("scoring:customer-edit", args=[customer.pk])
        in client.get(customer.get_absolute_url()).content.decode()
    )


def test_account_managers_cannot_add_or_edit_customers(anne):
    mine = CustomerFactory(account_manager=anne, name="Mijn B.V.")
    client = client_of(anne)
    assert client.get(reverse("scoring:customer-create")).status_code == 403
    assert client.post(reverse("scoring:customer-create"), CUSTOMER).status_code == 403
    edit = reverse("scoring:customer-edit", args=[mine.pk])
    assert client.post(edit, {**CUSTOMER, "account_manager": ""}).status_code == 403
    mine.refresh_from_db()
    assert (mine.name, mine.account_manager) == ("Mijn B.V.", anne)
    assert not Customer.objects.filter(external_id="K100").exists()
    page = client.get(mine.get_absolute_url()).content.decode()
    assert (
        edit not in page
        and reverse("scoring:customer-create")
        not in client.get(reverse("scoring:customer-list")).content.decode()
    )


def test_moving_a_customer_to_another_account_manager_is_in_the_change_log(mira, anne, bart):
    customer = CustomerFactory(account_manager=anne, external_id="K7", name="Bouw B.V.")
    client = client_of(mira)
    data = {**CUSTOMER, "external_id": "K7", "name": "Bouw B.V.", "account_manager": bart.pk}
    assert (
        client.post(reverse("scoring:customer-edit", args=[customer.pk]), data).status_code == 302
    )
    customer.refresh_from_db()
    assert customer.account_manager == bart
    record = customer.history.latest()
    assert record.history_user == mira and record.prev_record.account_manager == anne
    log = client.get("/audit/?kind=scoring.customer").content.decode()
    assert f"<del>{anne.get_full_name()}</del> → <ins>{bart.get_full_name()}</ins>" in log


def test_the_customer_form_refuses_bad_values_in_dutch(mira):
    CustomerFactory(external_id="K100")
    client = client_of(mira, "nl")
    response = client.post(
        reverse("scoring:customer-create"),
        {**CUSTOMER, "annual_revenue": "-5", "margin_pct": "150", "name": " "},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "De klant is niet opgeslagen" in page
    assert "Een andere klant heeft dit externe id." in page
    assert "Zorg ervoor dat deze waarde minstens 0 is." in page
    assert "Zorg ervoor dat deze waarde hoogstens 100 is." in page
    assert "Dit veld is vereist." in page
    assert Customer.objects.count() == 1


# --- market experts -------------------------------------------------------------------------


def test_management_adds_and_edits_a_market_expert(mira):
    CustomerFactory(external_id="K1", sector="Bouw")
    CustomerFactory(external_id="K2", sector="Zorg")
    client = client_of(mira)
    response = client.post(
        reverse("scoring:expert-create"),
        {
            "name": "Eva Markt",
            "email": "Eva@Markt.example",
            "organisation": "Marktinzicht",
            "language": "nl",
            "active": "on",
            "sectors": ["Zorg"],
            "customer_ids": "K1",
        },
    )
    assert response.status_code == 302
    expert = MarketExpert.objects.get()
    assert (expert.email, expert.sectors) == ("eva@markt.example", ["Zorg"])
    assert list(expert.customers.values_list("external_id", flat=True)) == ["K1"]
    assert expert.history.latest().history_user == mira
    listing = client.get(reverse("scoring:expert-list")).content.decode()
    assert "Eva Markt" in listing and "Zorg" in listing
    edit = reverse("scoring:expert-edit", args=[expert.pk])
    form = client.get(edit).content.decode()
    assert "K1" in form
    client.post(
        edit,
        {
            "name": "Eva Markt",
            "email": "eva@markt.example",
            "language": "en",
            "sectors": ["Bouw"],
            "customer_ids": "",
            "opted_out": "on",
        },
    )
    expert.refresh_from_db()
    assert (expert.language, expert.sectors, expert.active, expert.opted_out) == (
        "en",
        ["Bouw"],
        False,
        False,
    )
    assert not expert.customers.exists()
    assert expert.history.latest().prev_record.language == "nl"


def test_the_expert_form_names_unknown_customers_and_a_taken_email(mira):
    MarketExpertFactory(email="eva@markt.example")
    response = client_of(mira, "nl").post(
        reverse("scoring:expert-create"),
        {"name": "Eva", "email": "EVA@markt.example", "language": "nl", "customer_ids": "K404"},
    )
    page = response.content.decode()
    assert "Geen klant heeft het externe id K404." in page
    assert "Een andere marktexpert heeft dit e-mailadres." in page
    assert MarketExpert.objects.count() == 1


def test_market_experts_are_for_management_only(anne):
    expert = MarketExpertFactory()
    client = client_of(anne)
    for url in (
        reverse("scoring:expert-list"),
        reverse("scoring:expert-create"),
        reverse("scoring:expert-edit", args=[expert.pk]),
    ):
        assert client.get(url).status_code == 403
        assert client.post(url, {"name": "x", "email": "x@x.example"}).status_code == 403
    assert MarketExpert.objects.count() == 1
