"""The relations in a real browser: an account manager logs a visit on a phone and the customer
leaves the "To contact" list; the relations pages pass axe-core in Dutch and English."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from relations import services
from relations.models import ContactMoment, Perspective
from tests.factories import ContactFactory, CustomerFactory, assess
from tests.relations.factories import log, put_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WORDS = {
    "en": {
        "to_contact": "To contact",
        "log": "Log a contact with Transport Hendriks B.V.",
        "summary": "Summary",
        "visit": "Visit",
        "submit": "Log contact",
        "logged": "Visit with Transport Hendriks B.V. is logged.",
    },
    "nl": {
        "to_contact": "Te benaderen",
        "log": "Contactmoment met Transport Hendriks B.V. vastleggen",
        "summary": "Samenvatting",
        "visit": "Bezoek",
        "submit": "Contact vastleggen",
        "logged": "Bezoek met Transport Hendriks B.V. is vastgelegd.",
    },
}


def _customer(manager, name, visit_days, call_days=2):
    customer = put_in(CustomerFactory(account_manager=manager, name=name), "engaging")
    log(customer, "visit", days_ago=visit_days)
    log(customer, "call", days_ago=call_days)
    return customer


@pytest.mark.parametrize("language", ["nl", "en"])
def test_an_account_manager_logs_a_visit_on_a_phone_and_the_customer_leaves_the_list(
    open_page, screenshot, console_errors, anne, language
):
    words = WORDS[language]
    hendriks = _customer(anne, "Transport Hendriks B.V.", visit_days=80)  # overdue: 60 days
    _customer(anne, "Zuivel Noord B.V.", visit_days=120)  # lost touch: past 90 days
    _customer(anne, "Bakkerij De Vries", visit_days=5)  # on track: not listed
    page = open_page(anne, language=language, width=390, height=844, mobile=True)

    page.goto(reverse("relations:to-contact"))
    expect(page.get_by_role("heading", name=words["to_contact"])).to_be_visible()
    rows = page.locator(".to-contact-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Zuivel Noord B.V.")  # the most overdue first
    expect(rows.nth(1)).to_contain_text("Transport Hendriks B.V.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    screenshot(page, f"relations-to-contact-phone-{language}")

    page.get_by_role("link", name=words["log"]).tap()
    expect(page.get_by_label(words["visit"])).to_be_checked()  # a visit is the default
    page.get_by_label(words["summary"]).fill("Jaarplan besproken bij de klant")
    screenshot(page, f"relations-log-visit-phone-{language}")
    page.get_by_role("button", name=words["submit"]).tap()

    expect(page.get_by_role("alert")).to_contain_text(words["logged"])
    expect(page.locator(".to-contact-row")).to_have_count(1)
    expect(page.locator("#to-contact-list")).not_to_contain_text("Transport Hendriks B.V.")
    screenshot(page, f"relations-to-contact-after-visit-phone-{language}")
    moment = ContactMoment.objects.filter(customer=hendriks).order_by("-at").first()
    assert (moment.kind, moment.summary, moment.logged_by) == (
        "visit",
        "Jaarplan besproken bij de klant",
        anne,
    )
    assert console_errors == []


def _serious(page, context: str | dict = "main") -> list[str]:
    """axe-core's serious and critical violations in the page's main content."""
    results = Axe().run(page, context=context)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}x: {v['nodes'][0]['target']})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def relations_data(anne, mira, settings):
    """A customer with a rhythm, a relationship type, a departure with beliefs, and an exit
    survey link, so every relations page has something to show."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    customer = _customer(anne, "Transport Hendriks B.V.", visit_days=80)
    assess(customer, {"service": 2, "price_level": 5, "it_integration": 3}, user=anne)
    leaver = _customer(anne, "Zuivel Noord B.V.", visit_days=30)
    assess(
        leaver,
        {"service": 1},
        kind="customer",
        email="inkoop@zuivel.example",
        at=timezone.now() - timedelta(days=20),
    )
    person = ContactFactory(customer=leaver, name="Iris Bos", language="nl")
    today = timezone.localdate()
    departure = services.departure_record(
        customer=leaver,
        kind="full",
        decided_on=today - timedelta(days=10),
        left_on=today - timedelta(days=1),
        revenue_lost=80_000,
        competitor="NordSupply",
        user=mira,
    )
    services.reasons_record(
        departure=departure, perspective=Perspective.MANAGEMENT, reasons=["price"], user=mira
    )
    services.reasons_record(
        departure=departure, perspective=Perspective.STATED, reasons=["service"], user=mira
    )
    other = _customer(anne, "Metaal Oost B.V.", visit_days=10)
    second = services.departure_record(
        customer=other,
        kind="partial",
        decided_on=today - timedelta(days=5),
        left_on=today,
        revenue_lost=10_000,
        user=mira,
    )
    survey = services.exit_survey_create(
        departure=second,
        contact=None,
        email="x@metaal.example",
        name="Sven",
        language="nl",
        user=mira,
    )
    services.exit_survey_send(survey_id=survey.pk)
    link = re.search(r"(/relations/exit/[A-Za-z0-9_-]{43}/)", mail.outbox[-1].body)[1]
    return {
        "customer": customer,
        "departure": departure,
        "second": second,
        "link": link,
        "person": person,
    }


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_relations_pages_have_no_serious_accessibility_violations(
    open_page, screenshot, console_errors, anne, mira, relations_data, language
):
    data = relations_data
    # On scoring's pages only what the relations add is checked (the rest is scoring's).
    customer_parts = {"include": [["#contact-log"], ["#relationship"], ["#timeline"]]}
    list_parts = {"include": [["#filter-cadence"], ["[class*='kb-cadence-']"]]}
    dashboard_parts = {
        "include": [
            [f'[data-panel="{name}"]']
            for name in ("contact-coverage", "relationship-mismatch", "segment-moves")
        ]
    }
    pages = {
        anne: [
            (reverse("relations:to-contact"), "main"),
            (reverse("scoring:customer-detail", args=[data["customer"].pk]), customer_parts),
            (reverse("relations:contact-log", args=[data["customer"].pk]), "main"),
            (reverse("relations:departure-list"), "main"),
            (reverse("relations:departure-detail", args=[data["departure"].pk]), "main"),
            (reverse("relations:digest-preference"), "main"),
            (reverse("scoring:customer-list"), list_parts),
        ],
        mira: [
            (reverse("relations:why"), "main"),
            (reverse("relations:departure-detail", args=[data["second"].pk]), "main"),
            (reverse("relations:departure-create", args=[data["customer"].pk]), "main"),
            (reverse("relations:setup"), "main"),
            (reverse("relations:setup-section", args=["cadence"]), "main"),
            (reverse("relations:setup-section", args=["types"]), "main"),
            (reverse("relations:contacts-import"), "main"),
            (reverse("scoring:dashboard"), dashboard_parts),
        ],
    }
    found = {}
    for user, urls in pages.items():
        page = open_page(user, language=language)
        for url, context in urls:
            page.goto(url, wait_until="domcontentloaded", timeout=30_000)  # plotly.js is big
            expect(page.locator("main")).to_be_visible()
            problems = _serious(page, context)
            if problems:
                found[url] = problems
        page.context.close()
    public = open_page(None, language=language)
    public.goto(data["link"])
    expect(public.locator("form.reasons-form")).to_be_visible()
    problems = _serious(public)
    if problems:
        found["exit survey"] = problems
    screenshot(public, f"relations-exit-survey-{language}")
    assert found == {}, json.dumps(found, indent=1)
    assert console_errors == []
