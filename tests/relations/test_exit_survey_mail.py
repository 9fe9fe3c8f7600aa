"""The exit survey names who is asking, as the survey invitations do: the e-mail comes from
the customer's account manager via the company ("Anne de Jong via Acme Zonen"), with their
address as Reply-To and their signature, or from the company and its reply-to address when the
customer has no (active) account manager; the answer page shows the company's name and logo.
In the contact person's language, received by a real SMTP server on loopback."""

from __future__ import annotations

import re
from datetime import timedelta
from email.utils import parseaddr

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from klantbinding.company import Company, company_get, company_save
from relations import services
from tests.factories import ContactFactory, CustomerFactory
from tests.klantbinding.test_company import png

pytestmark = pytest.mark.django_db

SENDER = "enquete@leverancier.example"
THANKS = {"nl": "Dank u wel,", "en": "Thank you,"}
HEADING = {
    "nl": "Waarom vertrok Hendriks Transport bij ons?",
    "en": "Why did Hendriks Transport leave us?",
}


@pytest.fixture
def acme(settings) -> Company:
    settings.RELATIONS_FROM_EMAIL = f"Klantbinding <{SENDER}>"
    company_save(name="Acme Zonen", reply_to="klantenservice@acme.example", logo=png())
    return company_get()


@pytest.fixture
def anne_de_jong(anne):
    anne.first_name, anne.last_name = "Anne", "de Jong"
    anne.save()
    return anne


def _exit_mail(smtp, customer, mira, language):
    """Record the customer's departure and send one exit survey; the e-mail as received."""
    today = timezone.localdate()
    departure = services.departure_record(
        customer=customer,
        kind="full",
        decided_on=today - timedelta(days=30),
        left_on=today - timedelta(days=2),
        user=mira,
    )
    contact = ContactFactory(customer=customer, name="Joost Bakker", language=language)
    survey = services.exit_survey_create(departure=departure, contact=contact, user=mira)
    assert services.exit_survey_send(survey_id=survey.pk)
    [received] = smtp.inbox.to(contact.email)
    return received.message


def _texts(message) -> tuple[str, str]:
    """The plain and HTML bodies, with the line ends as written (SMTP sends CRLF)."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text.replace("\r\n", "\n"), html.replace("\r\n", "\n")


def _answer_page(text: str) -> str:
    """Follow the e-mail's link to the questions, as the contact person's browser would."""
    path = re.search(r"http://testserver(/relations/exit/[A-Za-z0-9_-]{43}/)", text)[1]
    browser = Client()
    answer = browser.get(path)
    assert answer.status_code == 302
    page = browser.get(answer.url)
    assert page.status_code == 200
    return page.content.decode()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_exit_survey_comes_from_the_account_manager_via_the_company_and_is_signed_by_them(
    smtp, acme, anne_de_jong, mira, language
):
    customer = CustomerFactory(account_manager=anne_de_jong, name="Hendriks Transport")
    message = _exit_mail(smtp, customer, mira, language)

    assert parseaddr(message["From"]) == ("Anne de Jong via Acme Zonen", SENDER)
    assert message["Reply-To"] == anne_de_jong.email
    assert message["Subject"] == HEADING[language]
    text, html = _texts(message)
    assert f"{THANKS[language]}\nAnne de Jong\nAcme Zonen\n" in text
    assert f"{THANKS[language]}<br>Anne de Jong<br>Acme Zonen</p>" in html
    assert f'<img src="http://testserver{acme.logo_path}" alt="Acme Zonen"' in html
    assert "Klantbinding" not in text and ">Klantbinding<" not in html

    page = _answer_page(text)
    assert f'<html lang="{language}">' in page
    assert HEADING[language] in page
    assert re.search(r'id="company"><img src="([^"]+)"[^>]*>Acme Zonen</span>', page)[1] == (
        acme.logo_path.replace("&", "&amp;")
    )
    assert "· Acme Zonen</title>" in page
    assert ">Klantbinding<" not in page and "· Klantbinding" not in page


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("manager", ["none", "inactive"])
def test_without_an_active_account_manager_the_exit_survey_comes_from_the_company(
    smtp, acme, anne_de_jong, mira, language, manager
):
    if manager == "inactive":
        anne_de_jong.is_active = False
        anne_de_jong.save()
    customer = CustomerFactory(
        account_manager=anne_de_jong if manager == "inactive" else None,
        name="Hendriks Transport",
    )
    message = _exit_mail(smtp, customer, mira, language)

    assert parseaddr(message["From"]) == ("Acme Zonen", SENDER)
    assert message["Reply-To"] == "klantenservice@acme.example"
    text, html = _texts(message)
    assert f"{THANKS[language]}\nAcme Zonen\n" in text
    assert f"{THANKS[language]}<br>Acme Zonen</p>" in html
    assert "Anne" not in text and "Anne" not in html and "via" not in message["From"]

    page = _answer_page(text)
    assert HEADING[language] in page and "Acme Zonen</span>" in page


def test_without_company_settings_the_exit_survey_comes_from_the_product_with_no_reply_to(
    smtp, settings, mira
):
    settings.RELATIONS_FROM_EMAIL = f"Klantbinding <{SENDER}>"
    customer = CustomerFactory(account_manager=None, name="Hendriks Transport")
    message = _exit_mail(smtp, customer, mira, "en")

    assert parseaddr(message["From"]) == ("Klantbinding", SENDER)
    assert message["Reply-To"] is None
    text, _html = _texts(message)
    assert "Thank you,\nKlantbinding\n" in text
    assert "<img" not in _html


def test_the_closed_link_page_names_the_company(acme, client):
    page = client.get(reverse("relations:exit-link", args=["x" * 43]))
    assert page.status_code == 404
    assert "Acme Zonen</span>" in page.content.decode()
