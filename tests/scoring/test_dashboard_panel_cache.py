"""The other apps' dashboard panels from the cache: a cached panel equals a fresh one, a write
to any table a panel reads (through a service, a bulk update or a delete) shows on the next
request, and a request served from the cache runs far fewer queries."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

import scoring.extensions
from relations import services as relations_services
from relations.models import CadenceStatus, CustomerSegment, RelationshipBelief, Segment
from scoring import selectors
from scoring.extensions import dashboard_panels, panels_html
from scoring.models import Customer
from surveys import services as surveys_services
from surveys.models import Invitation
from tests.relations.factories import log
from tests.surveys.support import make_campaign

pytestmark = pytest.mark.django_db

URL = reverse("scoring:dashboard")
PANELS = ("response-rates", "contact-coverage", "relationship-mismatch", "segment-moves")


@pytest.fixture
def directie():
    """A small demo portfolio (every panel has something to draw) and its manager."""
    call_command(
        "seed_demo", customers=25, seed=7, history_months=3, no_progress=True, stdout=StringIO()
    )
    surveys_services.round_open(campaign=make_campaign())
    return get_user_model().objects.get(username="directie")


def panels_of(response) -> dict[str, str]:
    assert response.status_code == 200
    return {panel.name: str(html) for panel, html in response.context["panels"]}


def fresh_panels(response) -> dict[str, str]:
    """The panels of this response's page computed now, without the cache."""
    request = response.wsgi_request
    filters = response.context["form"].filters()
    with translation.override(request.LANGUAGE_CODE):
        customers = selectors.dashboard_customers(request.user, filters)
        return {
            p.name: str(h) for p, h in panels_html(dashboard_panels(request, customers), request)
        }


class Renders:
    def __init__(self) -> None:
        self.count = 0


@pytest.fixture
def renders(monkeypatch) -> Renders:
    """Counts the panels rendered (a panel served from the cache is not)."""
    counter = Renders()
    render = scoring.extensions.render_to_string

    def counted(*args, **kwargs):
        counter.count += 1
        return render(*args, **kwargs)

    monkeypatch.setattr(scoring.extensions, "render_to_string", counted)
    return counter


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_cached_panel_is_exactly_the_fresh_one(client, directie, renders, language):
    client.force_login(directie)
    since = (timezone.localdate() - timedelta(days=60)).isoformat()
    for params in ({}, {"moves_from": since}, {"sector": "Bouw"}):
        renders.count = 0
        built = client.get(URL, params, HTTP_ACCEPT_LANGUAGE=language)
        cached = client.get(URL, params, HTTP_ACCEPT_LANGUAGE=language)
        assert renders.count == len(panels_of(built))  # the second request rendered none
        assert panels_of(cached) == panels_of(built) == fresh_panels(cached)
    assert set(PANELS) <= set(panels_of(built))


def test_each_scope_and_language_has_its_own_panels(client, directie, renders):
    manager = Customer.objects.filter(active=True).first().account_manager
    client.force_login(directie)
    whole = panels_of(client.get(URL, HTTP_ACCEPT_LANGUAGE="en"))
    dutch = panels_of(client.get(URL, HTTP_ACCEPT_LANGUAGE="nl"))
    assert dutch != whole and dutch == fresh_panels(client.get(URL, HTTP_ACCEPT_LANGUAGE="nl"))
    client.force_login(manager)
    own = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert panels_of(own) != whole and panels_of(own) == fresh_panels(own)


def _changes_the_panel(client, name: str, change) -> None:
    """``change()`` alters what panel ``name`` shows on the next request, which equals the
    fresh computation."""
    before = panels_of(client.get(URL, HTTP_ACCEPT_LANGUAGE="en"))
    assert panels_of(client.get(URL, HTTP_ACCEPT_LANGUAGE="en")) == before  # from the cache
    change()
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    after = panels_of(response)
    assert after.get(name) != before.get(name)
    assert after == fresh_panels(response)


def test_a_new_contact_moment_shows_in_the_coverage(client, directie):
    client.force_login(directie)
    overdue = CadenceStatus.objects.filter(overdue_from__lte=timezone.localdate())
    customers = Customer.objects.filter(pk__in=overdue.values("customer_id"), active=True)[:5]
    assert customers

    def contact() -> None:
        for customer in customers:
            log(customer, "visit")

    _changes_the_panel(client, "contact-coverage", contact)


def test_a_renamed_account_manager_shows_in_the_coverage(client, directie):
    client.force_login(directie)
    manager_ids = Customer.objects.filter(active=True).values("account_manager_id")
    _changes_the_panel(
        client,
        "contact-coverage",
        lambda: get_user_model().objects.filter(pk__in=manager_ids).update(first_name="Zoë"),
    )


def test_a_departure_shows_in_the_panels(client, directie):
    client.force_login(directie)
    customer = Customer.objects.filter(active=True, cadence_status__isnull=False).first()

    def depart() -> None:
        today = timezone.localdate()
        relations_services.departure_record(
            customer=customer, kind="full", decided_on=today, left_on=today, user=directie
        )

    _changes_the_panel(client, "contact-coverage", depart)


def test_deleted_beliefs_show_in_the_mismatch(client, directie):
    client.force_login(directie)
    ids = list(RelationshipBelief.objects.order_by("pk").values_list("pk", flat=True))
    assert len(ids) > 2
    _changes_the_panel(
        client,
        "relationship-mismatch",
        lambda: RelationshipBelief.objects.filter(pk__in=ids[::2]).delete(),
    )


def test_a_bulk_segment_change_shows_in_the_segment_moves(client, directie):
    client.force_login(directie)
    draining = Segment.objects.get(code="draining")
    _changes_the_panel(
        client, "segment-moves", lambda: CustomerSegment.objects.update(segment=draining)
    )


def test_answered_invitations_show_in_the_response_rates(client, directie):
    client.force_login(directie)
    open_ = list(
        Invitation.objects.exclude(status=Invitation.Status.ANSWERED).values_list("pk", flat=True)
    )
    assert open_
    _changes_the_panel(
        client,
        "response-rates",
        lambda: Invitation.objects.filter(pk__in=open_).update(
            status=Invitation.Status.ANSWERED, answered_at=timezone.now()
        ),
    )


def test_the_second_request_runs_far_fewer_queries(client, directie):
    client.force_login(directie)
    client.get(URL)  # the session, the user: what every request reads
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as built:
        assert client.get(URL).status_code == 200
    with CaptureQueriesContext(connection) as cached:
        assert client.get(URL).status_code == 200
    assert len(cached) <= len(built) / 2, (len(built), len(cached))
    # What is left checks the versions; no panel reads its tables.
    read = " ".join(q["sql"] for q in cached.captured_queries)
    assert '"relations_' not in read and '"surveys_' not in read
    assert 'FROM "relations_' in " ".join(q["sql"] for q in built.captured_queries)
