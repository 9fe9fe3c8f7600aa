"""The layout every page shares, in a real browser."""

from __future__ import annotations

import pytest
from django.urls import reverse

# As in every browser test: a flush without serialized rollback would re-create the content
# types, and the next browser test's restore of the migrations' data would then fail.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_layout_serves_its_own_bootstrap_and_switches_language(open_page, anne, console_errors):
    page = open_page(anne, language="en")
    page.goto(reverse("home"))
    # Bootstrap is served by the app itself: the navbar is styled, nothing failed to load.
    assert page.locator("nav.navbar").evaluate("e => getComputedStyle(e).display") == "flex"
    with page.expect_navigation():
        page.select_option("#language-select", "nl")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_text("hoe hoog is het muurtje rond elke klant").is_visible()
    assert console_errors == []
