"""The dashboard from the cache: one build per change of the data, per filter set, per scope
and language; the cached page equals the built one."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

import scoring.selectors
from scoring import services
from scoring.models import Customer
from tests.factories import CustomerFactory, assess
from tests.scoring.test_dashboard import ALL_SIX, client_for, portfolio  # noqa: F401

URL = reverse("scoring:dashboard")


class Builds:
    """Counts the dashboard's builds (the selector behind the cache)."""

    def __init__(self) -> None:
        self.count = 0


@pytest.fixture
def builds(monkeypatch) -> Builds:
    counter = Builds()
    build = scoring.selectors.dashboard_page

    def counted(*args, **kwargs):
        counter.count += 1
        return build(*args, **kwargs)

    monkeypatch.setattr(scoring.selectors, "dashboard_page", counted)
    return counter


def html(response) -> str:
    """The page without its per-response CSRF tokens."""
    assert response.status_code == 200
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    return re.sub(r'csrf[-_]?token"?\s*[:=]\s*"[^"]*"', "", text, flags=re.IGNORECASE)


def test_the_cached_page_equals_the_built_page(mira, portfolio, builds):  # noqa: F811
    client = client_for(mira)
    built = html(client.get(URL))
    cached = html(client.get(URL))
    assert builds.count == 1
    assert cached == built
    cache.clear()
    assert html(client.get(URL)) == built
    assert builds.count == 2


def test_a_snapshot_a_customer_or_a_published_model_rebuilds_it(mira, portfolio, builds):  # noqa: F811
    client = client_for(mira)
    first = client.get(URL).context["headline"]
    assert builds.count == 1

    assess(portfolio["red"], ALL_SIX)  # a new snapshot
    after_snapshot = client.get(URL).context["headline"]
    assert builds.count == 2
    assert after_snapshot["mean_score"] > first["mean_score"]

    green = portfolio["green"]
    green.annual_revenue = 900_000
    green.save()  # a customer changed
    assert client.get(URL).context["headline"]["weighted_score"] != after_snapshot["weighted_score"]
    assert builds.count == 3

    Customer.objects.filter(pk=portfolio["trapped"].pk).update(active=False)  # no save()
    assert client.get(URL).context["headline"]["customers"] == first["customers"] - 1
    assert builds.count == 4

    CustomerFactory(name="Nieuw B.V.")  # a customer added
    client.get(URL)
    assert builds.count == 5

    draft = services.scoring_model_draft_create()
    services.scoring_model_publish(scoring_model=draft)  # the scoring model changed
    client.get(URL)
    assert builds.count == 6

    client.get(URL)  # nothing changed: from the cache
    assert builds.count == 6


def test_each_scope_filter_set_and_language_has_its_own_entry(
    anne,
    bart,
    mira,
    portfolio,  # noqa: F811
    builds,
):
    as_anne, as_bart = client_for(anne), client_for(bart)
    anne_page = html(as_anne.get(URL))
    bart_page = html(as_bart.get(URL))
    assert builds.count == 2
    assert "Vast B.V." in bart_page and "Vast B.V." not in anne_page
    assert html(as_anne.get(URL)) == anne_page
    assert builds.count == 2

    as_mira = client_for(mira)
    whole = as_mira.get(URL).context["headline"]["customers"]
    bouw = as_mira.get(URL, {"sector": "Bouw"}).context["headline"]["customers"]
    assert (whole, bouw) == (4, 2)
    assert builds.count == 4
    as_mira.get(URL, {"sector": "Bouw"})
    assert builds.count == 4

    in_dutch = client_for(mira)
    in_dutch.defaults["HTTP_ACCEPT_LANGUAGE"] = "nl"
    assert "Klantbinding" in html(in_dutch.get(URL))
    assert builds.count == 5


def test_the_page_is_sent_compressed_to_a_browser_that_accepts_gzip(mira, portfolio):  # noqa: F811
    import gzip

    client = client_for(mira)
    plain = client.get(URL)
    packed = client.get(URL, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert len(packed.content) < len(plain.content) / 3
    unpacked = gzip.decompress(packed.content).decode()
    assert 'data-kb-figure="figure-trend"' in unpacked
