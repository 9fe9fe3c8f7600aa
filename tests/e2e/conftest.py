"""Browser tests: Playwright driving Debian's headless Chromium against a live server.

Playwright cannot download its own browser here, so it launches the `chromium` package's
binary (installed by `make test`). Screenshots go to var/screenshots/ (not committed).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client

# Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
# between browser steps are plain synchronous calls, so Django's async guard can stand down.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium).")
    database = connections[DEFAULT_DB_ALIAS]
    with sync_playwright() as playwright:
        # Playwright leaves an event loop running in this thread, so from here on Django hands
        # out another connection object (asgiref keeps thread-critical locals per context when
        # a loop runs). Give it the database contents saved at set-up, or serialized rollback
        # restores nothing and every later test misses the default model and the groups.
        contents = getattr(database, "_test_serialized_contents", None)
        if contents is not None and connections[DEFAULT_DB_ALIAS] is not database:
            connections[DEFAULT_DB_ALIAS]._test_serialized_contents = contents
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def browser_context(browser: Browser, live_server) -> Iterator[Callable[..., BrowserContext]]:
    """Opens browser contexts (a fresh profile each) against the live server."""
    contexts: list[BrowserContext] = []

    def open_context(
        *,
        language: str = "en",
        width: int = 1366,
        height: int = 900,
        mobile: bool = False,
        java_script_enabled: bool = True,
    ) -> BrowserContext:
        context = browser.new_context(
            base_url=live_server.url,
            locale="nl-NL" if language == "nl" else "en-GB",
            extra_http_headers={"Accept-Language": "nl" if language == "nl" else "en"},
            viewport={"width": width, "height": height},
            is_mobile=mobile,
            has_touch=mobile,
            java_script_enabled=java_script_enabled,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def console_errors() -> list[str]:
    """Browser console errors and uncaught exceptions collected by ``open_page``."""
    return []


@pytest.fixture
def open_page(browser_context, live_server, console_errors: list[str]) -> Callable[..., Page]:
    """A page, signed in as ``user`` when given (through a real session cookie)."""

    def open_(user=None, *, language: str = "en", **context_options: object) -> Page:
        context = browser_context(language=language, **context_options)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            context.add_cookies(
                [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
            )
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                console_errors.append(message.text) if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: console_errors.append(str(error)))
        return page

    return open_


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """Saves a full-page screenshot under var/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shoot(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot


@pytest.fixture
def draw_charts() -> Callable[..., None]:
    """Scrolls each chart (or the named ones) into view, as charts draw when they come into
    sight (static/js/dashboard.js), and waits until plotly has drawn it."""

    def draw(page: Page, names: tuple[str, ...] | None = None, timeout: int = 30_000) -> None:
        selector = "[data-kb-figure]" if names is None else ", ".join(f"#chart-{n}" for n in names)
        charts = page.locator(selector)
        for index in range(charts.count()):
            chart = charts.nth(index)
            chart.scroll_into_view_if_needed(timeout=timeout)
            chart.locator("svg.main-svg").first.wait_for(timeout=timeout)

    return draw
