"""The API's pages in a real browser: an account manager makes a token (shown once) and
revokes it; management registers a webhook endpoint and reads its log; both pages pass
axe-core in Dutch and English; the API docs (Swagger UI from the app's own files) load."""

from __future__ import annotations

import json
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from api.models import ApiToken, WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WORDS = {
    "en": {
        "heading": "API tokens",
        "name": "Name",
        "write": "read and write",
        "make": "Make the token",
        "copy": "Copy it now",
        "revoke": "Revoke",
        "revoked": "revoked",
        "register": "Register an endpoint",
        "url": "URL",
        "submit": "Register",
        "registered": "The endpoint is registered.",
    },
    "nl": {
        "heading": "API-tokens",
        "name": "Naam",
        "write": "lezen en schrijven",
        "make": "Token maken",
        "copy": "Kopieer het nu",
        "revoke": "Intrekken",
        "revoked": "ingetrokken",
        "register": "Een ontvanger registreren",
        "url": "URL",
        "submit": "Registreren",
        "registered": "De ontvanger is geregistreerd.",
    },
}


def _serious(page, context: str | dict = "main") -> list[str]:
    """axe-core's serious and critical violations in the page's main content."""
    results = Axe().run(page, context=context)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}x: {v['nodes'][0]['target']})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_token_is_made_shown_once_and_revoked_and_the_pages_pass_axe(
    open_page, screenshot, console_errors, anne, mira, settings, language
):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    words = WORDS[language]
    found: dict[str, list[str]] = {}
    page = open_page(anne, language=language)
    page.goto("/api/tokens/")
    expect(page.get_by_role("heading", name=words["heading"], exact=True)).to_be_visible()
    page.get_by_label(words["name"]).fill("CRM-koppeling")
    page.get_by_label(words["write"]).check()
    page.get_by_role("button", name=words["make"]).click()
    expect(page.locator("#new-token")).to_contain_text(words["copy"])
    secret = page.locator("#token-secret").input_value()
    assert re.fullmatch(r"kb_[A-Za-z0-9_-]{43}", secret)
    found["tokens"] = _serious(page)
    screenshot(page, f"api-token-made-{language}")
    page.reload()  # posts the form again: no second token, and the secret is not shown again
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#new-token")).to_have_count(0)
    assert ApiToken.objects.filter(user=anne).count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"{words['revoke']} · CRM-koppeling").click()
    expect(page.locator("#token-table tbody tr").first).to_contain_text(words["revoked"])
    assert ApiToken.objects.get(user=anne).revoked_at is not None

    manager = open_page(mira, language=language)
    manager.goto("/api/webhooks/")
    found["webhooks"] = _serious(manager)
    manager.get_by_role("link", name=words["register"]).click()
    manager.get_by_label(words["url"]).fill("http://127.0.0.1:9/hooks")
    manager.get_by_label("score.changed").check()
    found["webhook form"] = _serious(manager)
    manager.get_by_role("button", name=words["submit"], exact=True).click()
    expect(manager.get_by_role("alert")).to_contain_text(words["registered"])
    endpoint = WebhookEndpoint.objects.get()
    expect(manager.locator("#endpoint-secret")).to_have_value(endpoint.secret)
    found["webhook detail"] = _serious(manager)
    screenshot(manager, f"api-webhook-{language}")
    assert {k: v for k, v in found.items() if v} == {}, json.dumps(found, indent=1)
    assert console_errors == []


def test_the_api_docs_load_from_the_apps_own_files(open_page, console_errors, mira):
    page = open_page(mira)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Klantbinding API")
    expect(page.get_by_text("/api/v1/customers/", exact=True).first).to_be_visible()
    origin = page.evaluate("location.origin")
    assert all(url.startswith((origin, "data:")) for url in requested), requested
    # axe-core: the page as drawn, then with an operation opened to try it out.
    found = {"closed": _serious(page, "body")}
    # No link inside an operation's button (deep links are off): nothing interactive nested.
    assert page.locator(".opblock-summary-control a[href]").count() == 0
    page.locator(".opblock-summary-control").first.click()
    page.get_by_role("button", name="Try it out").first.click()
    expect(page.get_by_role("button", name="Execute")).to_be_visible()
    found["try it out"] = _serious(page, "body")
    assert {k: v for k, v in found.items() if v} == {}, json.dumps(found, indent=1)
    assert console_errors == []
