"""The scoring matrix and the survey answer page are valid HTML, as the Nu Html Checker judges
them (vnu.jar, the checker behind the W3C's validator; `make test` installs it from npm's
``vnu-jar`` package and runs it on the machine's Java).

Each page is rendered in the states a user meets it in (new, with earlier values, after a
refused submit; in Dutch and English) and all of them are checked in one run of the checker,
which takes seconds to start. Its errors fail the test; its warnings (advice) do not.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from scoring.models import Contact
from tests.factories import ContactFactory, CustomerFactory, MarketExpertFactory, assess
from tests.surveys.support import invite, make_campaign

VNU = Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def html_errors(pages: dict[str, str], folder: Path) -> dict[str, list[str]]:
    """The checker's errors per page name (line: message · the markup it points at)."""
    java = shutil.which("java")
    if java is None or not VNU.exists():
        pytest.fail("The HTML checker is missing: `make test` installs Java and vnu.jar (npm ci).")
    files = {}
    for name, html in pages.items():
        path = folder / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files[path.resolve().as_uri().replace("file:///", "file:/")] = name
    # The checker needs a deep stack; the quick compiler alone starts it twice as fast for
    # a run this short.
    command = [java, "-Xss8m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", str(VNU)]
    run = subprocess.run(
        [*command, "--format", "json", "--stdout", *map(str, sorted(folder.glob("*.html")))],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(run.stdout)
    errors: dict[str, list[str]] = {name: [] for name in pages}
    for message in report["messages"]:
        if message["type"] == "info":  # warnings are advice
            continue
        name = files.get(message.get("url", ""), message.get("url", "?"))
        errors.setdefault(name, []).append(
            f"{message.get('lastLine', '?')}: {message['message']} · {message.get('extract', '')!r}"
        )
    return errors


def assert_valid(pages: dict[str, str], folder: Path) -> None:
    errors = {name: found for name, found in html_errors(pages, folder).items() if found}
    # Each page's errors once per message (a template error repeats on every row).
    assert errors == {}, "\n".join(
        f"{name}: {len(found)} errors\n  "
        + "\n  ".join(list({e.split(" · ")[0].split(": ", 1)[1]: e for e in found}.values()))
        for name, found in errors.items()
    )


def page(client: Client, url: str, *, language: str, data: dict[str, str] | None = None) -> str:
    if data is None:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    else:
        response = client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_the_scoring_matrix_is_valid_html(client, anne, tmp_path):
    new = CustomerFactory(account_manager=anne)
    scored = CustomerFactory(account_manager=anne)
    assess(scored, {"performance": 2, "service": 5, "contract": None}, user=anne)
    client.force_login(anne)
    pages = {}
    for language in ("nl", "en"):
        url = reverse("scoring:customer-matrix", args=[new.pk])
        pages[f"matrix-new-{language}"] = page(client, url, language=language)
        pages[f"matrix-refused-{language}"] = page(
            client,
            url,
            language=language,
            data={"value_performance": "4", "comment_service": "te laat", "comment": "Half"},
        )
    pages["matrix-previous"] = page(
        client, reverse("scoring:customer-matrix", args=[scored.pk]), language="en"
    )
    assert "matrix-row-invalid" in pages["matrix-refused-en"]  # the refused state is there
    assert_valid(pages, tmp_path)


def test_the_survey_answer_page_is_valid_html(anne, settings, tmp_path):
    customer = CustomerFactory(account_manager=anne)
    ContactFactory(customer=customer, language="nl", email="klant@example.nl")
    ContactFactory(customer=customer, language="en", email="customer@example.com")
    expert = MarketExpertFactory(sectors=[customer.sector], language="en")
    links = invite(make_campaign(ask_experts=True), settings)
    pages = {}
    for email in ("klant@example.nl", "customer@example.com", expert.email):
        client = Client()
        answer_url = client.get(links[email]).url
        language = Contact.objects.filter(email=email).values_list("language", flat=True).first()
        name = f"answer-{language or 'expert'}"
        pages[name] = page(client, answer_url, language="en")
        pages[f"{name}-refused"] = page(
            client, answer_url, language="en", data={"value_performance": "9", "nps": "11"}
        )
    assert {"answer-nl", "answer-en"} <= set(pages)
    assert_valid(pages, tmp_path)
