"""The e2e tests' browser fixtures (Playwright on Debian's chromium), for the survey pages."""

from __future__ import annotations

from tests.e2e.conftest import (  # noqa: F401 - fixtures, registered by importing them
    browser,
    browser_context,
    console_errors,
    open_page,
    screenshot,
)
