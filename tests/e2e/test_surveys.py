"""The survey pages in a real browser: a respondent on a phone, management on a laptop."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from scoring.models import Assessment
from surveys import services
from surveys.models import Invitation
from tests.factories import ContactFactory, CustomerFactory
from tests.surveys.conftest import (  # noqa: F401 - the survey tests' own Redis, not yours
    broker,
    redis_server,
)
from tests.surveys.support import invite, make_campaign

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHONE = {"width": 375, "height": 740, "mobile": True}


@pytest.fixture
def customers(anne):
    """Anne's customers with contact persons: ``customers(n, contacts=1, language="nl")``."""

    def build(count: int, *, contacts: int = 1, language: str = "nl") -> list:
        made = CustomerFactory.create_batch(count, account_manager=anne)
        for customer in made:
            ContactFactory.create_batch(contacts, customer=customer, language=language)
        return made

    return build


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_customer_answers_on_a_phone_in_their_own_language(
    open_page, screenshot, console_errors, customers, settings
):
    contact = customers(1, language="nl")[0].contacts.get()
    link = invite(make_campaign(), settings)[contact.email]
    page = open_page(language="en", **PHONE)  # an English phone; the contact reads Dutch

    page.goto(link)

    assert "/surveys/s/" not in page.url  # the token left the address bar
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_text("Hoe tevreden bent u over onze prestaties")).to_be_visible()
    assert no_sideways_scroll(page)
    full = screenshot(page, "survey-answer-phone")
    page.screenshot(path=str(full.with_name("survey-answer-phone-screen.png")))
    page.locator("label[for='id_value_performance_5']").click()
    page.locator("label[for='id_value_service_6']").click()
    page.locator("label[for='id_value_price_level_7']").click()  # don't know
    page.get_by_text("Opmerking toevoegen").first.click()
    page.locator("#id_comment_performance").fill("Altijd op tijd.")
    page.locator("label[for='id_nps_9']").click()
    page.screenshot(path=str(full.with_name("survey-answer-phone-nps.png")))
    page.get_by_role("button", name="Verstuur mijn antwoorden").click()

    expect(page.get_by_role("heading", name="Dank u wel!")).to_be_visible()
    screenshot(page, "survey-thanks-phone")
    assessment = Assessment.objects.get(respondent_email=contact.email)
    assert assessment.nps == 9
    assert assessment.scores.get(element__code="performance").comment == "Altijd op tijd."
    assert assessment.scores.get(element__code="service").value == 6
    assert assessment.scores.get(element__code="price_level").value is None
    assert console_errors == []


def test_an_empty_answer_gets_a_message_on_the_page(open_page, customers, settings):
    contact = customers(1, language="en")[0].contacts.get()
    link = invite(make_campaign(), settings)[contact.email]
    page = open_page(language="en", **PHONE)
    page.goto(link)
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("Please give a score to at least one question")).to_be_visible()
    assert not Assessment.objects.exists()


def test_management_follows_a_round_on_a_laptop_and_resends(
    open_page, screenshot, console_errors, mira, customers
):
    made = customers(6, contacts=2)
    opened = services.round_open(campaign=make_campaign(name="Kwartaalmeting"))
    invitations = list(opened.round.invitations.order_by("pk"))
    now = timezone.now()
    Invitation.objects.filter(pk__in=[i.pk for i in invitations[:9]]).update(
        status="sent", sent_at=now
    )
    Invitation.objects.filter(pk__in=[i.pk for i in invitations[:4]]).update(
        status="answered", answered_at=now
    )
    Invitation.objects.filter(pk=invitations[11].pk).update(
        status="failed", attempts=1, last_error="550 5.1.1 <x@klant.example>: mailbox unknown"
    )
    page = open_page(mira, language="en")
    page.goto(reverse("surveys:campaign-list"))
    expect(page.get_by_role("link", name="Kwartaalmeting")).to_be_visible()
    screenshot(page, "survey-campaigns-laptop")
    page.get_by_role("link", name="Kwartaalmeting").click()
    page.get_by_role("link", name="Round of").first.click()
    expect(page.get_by_text("mailbox unknown")).to_be_visible()
    screenshot(page, "survey-round-laptop")
    page.get_by_role("button", name="Send again").click()
    expect(page.get_by_text("is being sent again")).to_be_visible()
    assert Invitation.objects.get(pk=invitations[11].pk).status == "pending"
    assert made
    assert console_errors == []


def test_the_campaign_form_and_the_account_managers_list_fit_a_phone(
    open_page, screenshot, console_errors, mira, anne, customers
):
    customers(3)
    services.round_open(campaign=make_campaign())
    page = open_page(mira, language="nl", **PHONE)
    page.goto(reverse("surveys:campaign-create"))
    expect(page.get_by_role("heading", name="Nieuwe campagne")).to_be_visible()
    assert no_sideways_scroll(page)
    # Only the field the chosen scope needs is shown.
    expect(page.locator("#id_sector")).to_be_hidden()
    page.get_by_label("de actieve klanten van één sector").check()
    expect(page.locator("#id_sector")).to_be_visible()
    expect(page.locator("#id_customer_ids")).to_be_hidden()
    screenshot(page, "survey-campaign-form-phone")
    page = open_page(anne, language="nl", **PHONE)
    page.goto(reverse("surveys:my-invitations"))
    expect(page.get_by_role("heading", name="Enquêtes over mijn klanten")).to_be_visible()
    assert no_sideways_scroll(page)
    screenshot(page, "survey-my-invitations-phone")
    assert console_errors == []


def test_the_campaign_forms_reminder_field_agrees_with_the_server(open_page, mira):
    """The browser refuses a reminder on or after the expiry day, as the server does."""
    page = open_page(mira)
    page.goto(reverse("surveys:campaign-create"))
    reminder = page.locator("#id_reminder_after_days")
    assert reminder.get_attribute("min") == "1"
    page.fill("#id_expires_after_days", "5")
    page.fill("#id_reminder_after_days", "5")
    assert reminder.get_attribute("max") == "4"
    assert reminder.evaluate("field => field.checkValidity()") is False
    page.fill("#id_max_reminders", "0")  # no reminders: any delay will do
    assert reminder.get_attribute("max") is None
    assert reminder.evaluate("field => field.checkValidity()") is True
