"""The demo data shows every relations view something real; the dashboard's panels; the
customer list's extension point."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from relations.models import (
    CadenceStatus,
    ContactMoment,
    CustomerSegment,
    Departure,
    Perspective,
    ReasonSet,
    RelationshipBelief,
    RelationshipWish,
    SegmentHistory,
)
from scoring import list_columns
from scoring.extensions import ListColumn
from scoring.extensions import list_columns as registered
from scoring.models import Customer
from tests.factories import CustomerFactory
from tests.relations.factories import log, put_in

pytestmark = pytest.mark.django_db


def test_the_demo_step_fills_every_relations_view(client):
    out = StringIO()
    call_command("seed_demo", customers=60, seed=3, history_months=3, no_progress=True, stdout=out)
    assert "Relations:" in out.getvalue()
    active = Customer.objects.filter(active=True).count()
    assert ContactMoment.objects.filter(kind="note").exists()
    assert ContactMoment.objects.count() > 10 * active
    assert CustomerSegment.objects.filter(segment__code="thriving").exists()
    assert CustomerSegment.objects.filter(segment__code="draining").exists()
    assert CadenceStatus.objects.count() == active
    assert SegmentHistory.objects.values("month").distinct().count() == 13
    assert RelationshipBelief.objects.exists() and RelationshipWish.objects.exists()
    assert Departure.objects.filter(kind="full").exists()
    assert Departure.objects.exclude(kind="full").exists()
    assert not Customer.objects.filter(departures__kind="full", active=True).exists()
    for perspective in Perspective.values:
        assert ReasonSet.objects.filter(perspective=perspective).exists()

    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="directie"))
    for name in ("relations:to-contact", "relations:departure-list", "relations:why"):
        assert client.get(reverse(name)).status_code == 200
    why = client.get(reverse("relations:why")).context["result"]
    assert why.departures > 0
    dashboard = client.get(reverse("scoring:dashboard")).content.decode()
    for panel in ("contact-coverage", "relationship-mismatch", "segment-moves"):
        assert f'data-panel="{panel}"' in dashboard


def test_the_dashboard_shows_coverage_of_the_customers_in_view(client, anne, bart, mira, frozen):
    for manager, visit in ((anne, 5), (anne, 80), (bart, 5)):
        customer = put_in(CustomerFactory(account_manager=manager), "engaging")
        log(customer, "visit", days_ago=visit)
        log(customer, "call", days_ago=1)
    client.force_login(mira)
    text = client.get(reverse("scoring:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    panel = text.split('id="panel-contact-coverage"')[1].split("</section>")[0]
    assert 'id="coverage-total">67 %' in panel
    text = client.get(
        reverse("scoring:dashboard"), {"account_manager": anne.pk}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    panel = text.split('id="panel-contact-coverage"')[1].split("</section>")[0]
    assert 'id="coverage-total">50 %' in panel
    client.force_login(anne)
    text = client.get(reverse("scoring:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    panel = text.split('id="panel-contact-coverage"')[1].split("</section>")[0]
    assert bart.get_full_name() not in panel


def test_extra_cells_land_in_their_rows_and_a_bad_filter_value_is_ignored():
    request = RequestFactory().get("/customers/", {"cadence": "nonsense"})
    rows = [{"pk": 1}, {"pk": 2}]
    html = "<tr><td>a &lt;/tr&gt;</td></tr>\n<tr><td>b</td></tr>"
    columns = registered()
    assert [c.key for c in columns] == ["cadence"]
    built, shown = list_columns.with_cells(request, rows, html)
    assert shown == columns
    assert built.count("<tr>") == 2 and built.count("</tr>") == 2
    queryset = Customer.objects.all()
    narrowed, filters, active = list_columns.filtered(request, queryset)
    assert narrowed is queryset and not active
    assert filters[0].name == "cadence" and filters[0].value == ""


def test_rows_that_do_not_match_are_left_as_they_are(monkeypatch):
    column = ListColumn(key="x", label="X", cells=lambda request, ids: {pk: "!" for pk in ids})
    monkeypatch.setattr(list_columns, "list_columns", lambda: [column])
    request = RequestFactory().get("/")
    html = "<tr><td>a</td></tr>"
    built, shown = list_columns.with_cells(request, [{"pk": 1}, {"pk": 2}], html)
    assert built == html and shown == []
    built, shown = list_columns.with_cells(request, [{"pk": 1}], html)
    cell = '<td class="d-none d-md-table-cell">!</td>'  # extra columns make way on a phone
    assert built == f"<tr><td>a</td>{cell}</tr>" and shown == [column]
