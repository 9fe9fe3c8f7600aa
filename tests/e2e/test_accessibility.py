"""Every page passes axe-core (WCAG 2.1 AA) with no serious or critical violation, in Dutch and
English, signed in as the role that sees it, and the public pages signed out.

One browser context and one tab visit everything: the sign-ins are made once (a session cookie
per role) and swapped between the role's pages, the language is the language cookie. Every
named URL of the app is either visited here or listed in ``NOT_PAGES`` with the reason, so a
new page without a check fails this test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from playwright.sync_api import Page

from actions.models import Action, ActionCampaign, ActionType
from alerts.models import Alert, AlertRule
from api.models import WebhookEndpoint
from klantbinding.unsubscribe import unsubscribe_token
from relations import services as relations_services
from relations.models import Departure
from scoring.models import Assessment, Customer, MarketExpert
from scoring.services import scoring_model_draft_create
from surveys.models import Round
from tests.surveys.conftest import (  # noqa: F401 - the survey tests' own Redis, not yours
    broker,
    redis_server,
)
from tests.surveys.support import invite, make_campaign

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

AXE = Axe()

# Named URLs that are not pages to look at, and why.
NOT_PAGES = {
    "health": "JSON for the load balancer",
    "logout": "POST only",
    "set_language": "POST only",
    "scoring:customer-matrix-preview": "POST only (the matrix's live preview fragment)",
    "scoring:contact-person-active": "POST only (deactivate or reactivate, from the customer page)",
    "scoring:model-draft-create": "POST only",
    "scoring:model-discard": "POST only",
    "scoring:dashboard-customers": "a fragment of the dashboard, checked inside it",
    "scoring:dashboard-export": "a file download",
    "scoring:upload-preview": "needs an uploaded file; the import pages belong to the imports",
    "scoring:upload-done": "needs an uploaded file; the import pages belong to the imports",
    "surveys:campaign-open-round": "POST only",
    "surveys:round-close": "POST only",
    "surveys:invitation-resend": "POST only",
    "actions:digest-preference": "POST only",
    "actions:action-decide": "POST only",
    "actions:action-start": "POST only",
    "actions:action-steps": "POST only",
    "actions:report-export": "a file download",
    "actions:export": "a file download",
    "relations:contact-delete": "POST only",
    "relations:segment-override": "POST only",
    "relations:belief-set": "POST only",
    "relations:reasons-record": "POST only",
    "relations:exit-survey": "POST only",
    "alerts:acknowledge": "POST only",
    "alerts:reopen": "POST only",
    "scoring:scores-recompute": "POST only",
    "scoring:job-status": "JSON polled by the job page",
    "scoring:job-detail": "needs a running job: tests/e2e/test_scoring_jobs.py runs axe on it",
    "api:token-revoke": "POST only",
    "api:webhook-resend": "POST only",
    "company-logo": "an image (shown on the survey pages and in e-mails)",
    **{
        f"api:{name}": "the JSON API: its schema test walks every operation"
        for name in [
            "schema",
            "me",
            "customers",
            "customer",
            "score",
            "score-history",
            "assessments",
            "assessment",
            "contacts",
            "actions",
            "action",
            "alerts",
            "alert-acknowledge",
            "departures",
            "not-found",
        ]
    },
}


def url_names() -> set[str]:
    """Every named URL of the app (the Django admin's own pages excluded)."""
    names: set[str] = set()

    def walk(patterns: list, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None)
    return names


def portfolio(settings_fixture) -> dict[str, object]:
    """The demo portfolio plus what it leaves out: a draft model, a survey round with links,
    an exit survey with its link."""
    call_command("seed_demo", customers=30, history_months=3, seed=5, no_progress=True)
    User = get_user_model()
    anne = User.objects.get(username="anne")
    boss = User.objects.get(username="directie")
    mine = Customer.objects.filter(account_manager=anne)
    customer = mine.filter(snapshots__isnull=False).first() or mine.first()
    assessment = Assessment.objects.filter(customer__account_manager=anne).first()
    action = Action.objects.filter(customer__account_manager=anne).first()
    departure = Departure.objects.filter(customer__account_manager=anne).first()
    draft = scoring_model_draft_create()
    campaign = make_campaign(name="Klantonderzoek", starts_on=timezone.localdate())
    links = invite(campaign, settings_fixture)
    contact_email, survey_link = next(iter(links.items()))
    opt_out = next(
        re.search(r"(/surveys/o/[A-Za-z0-9_-]{43}/)", m.body)[1]
        for m in mail.outbox
        if contact_email in m.to[0] and "/surveys/o/" in m.body
    )
    mail.outbox.clear()
    today = timezone.localdate()
    leaving = relations_services.departure_record(
        customer=Customer.objects.exclude(account_manager=anne)
        .filter(departures__isnull=True)
        .first(),
        kind="partial",
        decided_on=today - timedelta(days=5),
        left_on=today,
        revenue_lost=10_000,
        user=boss,
    )
    survey = relations_services.exit_survey_create(
        departure=leaving, email="oud@klant.example", name="Sven", language="nl", user=boss
    )
    relations_services.exit_survey_send(survey_id=survey.pk)
    exit_link = re.search(r"(/relations/exit/[A-Za-z0-9_-]{43}/)", mail.outbox[-1].body)[1]
    anne_alert = Alert.objects.filter(customer__account_manager=anne).first()
    return {
        "anne": anne,
        "boss": boss,
        "customer": customer,
        "contact": customer.contacts.order_by("pk").first(),
        "expert": MarketExpert.objects.order_by("pk").first(),
        "assessment": assessment,
        "action": action,
        "departure": departure,
        "leaving": leaving,
        "draft": draft,
        "campaign": campaign,
        "round": Round.objects.get(campaign=campaign),
        "survey_link": survey_link,
        "opt_out": opt_out,
        "exit_link": exit_link,
        "unsubscribe": unsubscribe_token(anne, "alerts-daily"),
        "alert": anne_alert or Alert.objects.first(),
        "rule": AlertRule.objects.first(),
        "endpoint": WebhookEndpoint.objects.create(
            url="https://crm.example.com/hooks/klantbinding",
            events=["score.changed"],
            secret="whsec_" + "A" * 32,
            owner=boss,
        ),
    }


Visit = tuple[str, Callable[[], str]]  # (URL name, the URL to open)


def visits(d: dict) -> dict[str, list[Visit]]:
    """What each role opens: (URL name, URL) in order."""

    def r(name: str, *args: object) -> tuple[str, Callable[[], str]]:
        return name, lambda: reverse(name, args=args)

    c, s = d["customer"].pk, d["survey_link"]
    return {
        "public": [
            r("login"),
            r("password_reset"),
            r("password_reset_done"),
            ("password_reset_confirm", lambda: reverse("password_reset_confirm", args=["x", "y"])),
            r("password_reset_complete"),
            ("surveys:link", lambda: s),  # redirects to the answer page
            ("surveys:answer", lambda: s),
            ("surveys:opt-out-link", lambda: d["opt_out"]),  # to the opt-out question
            ("surveys:opt-out", lambda: d["opt_out"]),
            r("surveys:thanks", d["round"].invitations.first().public_id),
            ("surveys:link (wrong)", lambda: reverse("surveys:link", args=["wrong"])),
            ("relations:exit-link", lambda: d["exit_link"]),  # to the exit questions
            ("relations:exit-answer", lambda: d["exit_link"]),
            r("relations:exit-thanks", d["leaving"].exit_surveys.first().public_id),
            ("unsubscribe", lambda: reverse("unsubscribe", args=[d["unsubscribe"]])),
            ("unsubscribe (wrong)", lambda: reverse("unsubscribe", args=["wrong"])),
            ("404", lambda: "/no-such-page/"),
            r("api:docs"),  # Swagger UI, drawn by its script (see api_docs_drawn)
        ],
        "anne": [
            r("home"),
            r("scoring:customer-list"),
            r("scoring:customer-detail", c),
            r("scoring:customer-matrix", c),
            r("scoring:contact-person-create", c),
            r("scoring:contact-person-edit", d["contact"].pk),
            r("scoring:assessment-detail", d["assessment"].pk),
            r("scoring:assessment-result", d["assessment"].pk),
            r("scoring:dashboard"),
            r("surveys:my-invitations"),
            r("actions:mine"),
            r("actions:propose"),
            r("actions:action-detail", d["action"].pk),
            r("actions:action-complete", d["action"].pk),
            r("relations:to-contact"),
            r("relations:digest-preference"),
            r("relations:contact-log", c),
            r("relations:departure-list"),
            r("relations:departure-detail", d["departure"].pk),
            r("alerts:inbox"),
            r("alerts:detail", d["alert"].pk),
            r("alerts:snooze", d["alert"].pk),
            r("alerts:settings"),
            r("password_change"),
            r("password_change_done"),
            r("api:tokens"),
            ("403", lambda: reverse("scoring:model-list")),
        ],
        "boss": [
            r("scoring:dashboard"),
            r("audit"),
            r("company-settings"),
            r("scoring:model-list"),
            r("scoring:model-edit", d["draft"].pk),
            r("scoring:model-publish", d["draft"].pk),
            r("scoring:upload"),
            r("scoring:customer-create"),
            r("scoring:customer-edit", c),
            r("scoring:expert-list"),
            r("scoring:expert-create"),
            r("scoring:expert-edit", d["expert"].pk),
            r("surveys:campaign-list"),
            r("surveys:campaign-create"),
            r("surveys:campaign-detail", d["campaign"].pk),
            r("surveys:campaign-edit", d["campaign"].pk),
            r("surveys:round-detail", d["round"].pk),
            r("actions:board"),
            r("actions:action-edit", d["action"].pk),
            r("actions:action-cancel", d["action"].pk),
            r("actions:type-list"),
            r("actions:type-create"),
            r("actions:type-edit", ActionType.objects.first().pk),
            r("actions:campaign-list"),
            r("actions:campaign-create"),
            r("actions:campaign-detail", ActionCampaign.objects.first().pk),
            r("actions:report"),
            r("actions:import"),
            r("relations:why"),
            r("relations:departure-create", c),
            r("relations:departure-edit", d["leaving"].pk),
            r("relations:departure-detail", d["leaving"].pk),
            r("relations:contacts-import"),
            r("relations:setup"),
            r("relations:setup-section", "types"),
            r("alerts:rules"),
            r("alerts:rule-create", d["rule"].trigger),
            r("alerts:rule-edit", d["rule"].pk),
            r("api:webhooks"),
            r("api:webhook-create"),
            r("api:webhook-detail", d["endpoint"].pk),
        ],
    }


def draw_charts(page: Page) -> None:
    """Scroll through the page so charts drawn on sight are drawn, and wait for them."""
    if not page.locator("[data-kb-figure]").count():
        return
    charts = page.locator("[data-kb-figure]")
    for index in range(charts.count()):
        charts.nth(index).scroll_into_view_if_needed()
    page.wait_for_function(
        "[...document.querySelectorAll('[data-kb-figure]')]"
        ".every(el => el.dataset.kbDrawn && el.querySelector('.main-svg'))",
        timeout=30_000,
    )
    page.evaluate("window.scrollTo(0, 0)")


def api_docs_drawn(page: Page) -> None:
    """Wait for Swagger UI to draw the API's operations (the page is empty until then)."""
    if page.locator("#swagger-ui").count():
        page.locator(".opblock-summary-control").first.wait_for()


def serious(page: Page) -> list[str]:
    results = AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])}x, "
        f"{[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_every_page_has_no_serious_accessibility_violation(
    browser, live_server, settings, console_errors
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    data = portfolio(settings)
    roles = visits(data)
    # A page added without an accessibility check fails here.
    visited = {name.split(" ")[0] for role in roles.values() for name, _url in role}
    missing = url_names() - visited - set(NOT_PAGES)
    assert missing == set(), f"pages without an accessibility check: {sorted(missing)}"
    sessions = {}
    for role in ("anne", "boss"):
        client = Client()
        client.force_login(data[role])
        sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    found: dict[str, list[str]] = {}
    pages = 0
    try:
        for language in ("nl", "en"):
            for role, role_visits in roles.items():
                context.clear_cookies()
                cookies = [
                    {
                        "name": settings.LANGUAGE_COOKIE_NAME,
                        "value": language,
                        "url": live_server.url,
                    }
                ]
                if role in sessions:
                    cookies.append(
                        {
                            "name": settings.SESSION_COOKIE_NAME,
                            "value": sessions[role],
                            "url": live_server.url,
                        }
                    )
                context.add_cookies(cookies)
                for name, url in role_visits:
                    page.goto(url(), wait_until="load")
                    assert page.locator("html").get_attribute("lang") in ("nl", "en"), name
                    draw_charts(page)
                    api_docs_drawn(page)
                    pages += 1
                    problems = serious(page)
                    if problems:
                        found[f"{language} {role} {name} {page.url[len(live_server.url) :]}"] = (
                            problems
                        )
    finally:
        context.close()
    assert pages >= 2 * 60
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)
    assert console_errors == []


def test_skip_link_and_a_language_switcher_that_waits_for_enter(open_page, anne, console_errors):
    page = open_page(anne, language="en")
    page.goto(reverse("scoring:customer-list"))
    page.keyboard.press("Tab")
    skip = page.locator("#skip-link")
    assert page.evaluate("document.activeElement.id") == "skip-link"
    assert skip.is_visible()
    skip.press("Enter")
    assert page.url.endswith("#content")

    switcher = page.locator("#language-select")
    switcher.focus()
    switcher.press("ArrowUp")  # English is the last of Nederlands, English
    page.wait_for_timeout(500)  # a submit would have started by now
    assert page.locator("html").get_attribute("lang") == "en"
    assert switcher.input_value() != "en"  # the choice moved, the page stayed
    with page.expect_navigation():
        switcher.press("Enter")
    assert page.locator("html").get_attribute("lang") == "nl"

    page.locator("#language-select").select_option("en")  # the mouse still switches at once
    page.wait_for_load_state()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert console_errors == []
