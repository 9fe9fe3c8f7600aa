"""The effect report's read and page: the engine gets the right frames (decided actions only,
cancelled ones kept, values with the model active now) in a fixed number of queries, and the
page and its exports show the engine's numbers, or "too little data"."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import plotly.graph_objects as go
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions import charts, selectors, services
from actions.calculations import ForestRow
from scoring import services as scoring_services
from tests.actions.factories import make_action
from tests.factories import CustomerFactory, assess

pytestmark = pytest.mark.django_db

BASE = {"performance": 3, "service": 3, "knowledge_advantage": 2, "contract": 3}


def portfolio(anne, mira, *, treated: int, controls: int, effect: int = 2) -> dict:
    """Customers scored by a contact before and after a decision 200 days ago; the treated
    get a knowledge event at the decision and score ``effect`` higher on it afterwards."""
    now = timezone.now()
    decided = now - dt.timedelta(days=200)
    made = {"treated": [], "controls": [], "decided": decided}
    for n in range(treated + controls):
        customer = CustomerFactory(account_manager=anne)
        email = f"inkoop{n}@klant.example"
        assess(customer, BASE, kind="customer", email=email, at=decided - dt.timedelta(days=30))
        is_treated = n < treated
        after = {**BASE, "knowledge_advantage": 2 + (effect if is_treated else 0)}
        assess(customer, after, kind="customer", email=email, at=decided + dt.timedelta(days=90))
        if is_treated:
            make_action(customer, by=mira, now=decided)
            made["treated"].append(customer)
        else:
            made["controls"].append(customer)
    return made


def page_of(user, url: str, language: str = "en") -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_inputs_hold_decided_actions_with_cancelled_ones_and_no_proposals(anne, mira):
    customers = CustomerFactory.create_batch(3, account_manager=anne)
    kept = make_action(customers[0], by=mira)
    cancelled = make_action(customers[1], by=mira)
    services.action_cancel(action=cancelled, by=mira)
    make_action(customers[2], by=mira, decide=False)

    inputs = selectors.effect_inputs()

    assert sorted(inputs.actions["action_id"]) == sorted([kept.pk, cancelled.pk])
    row = inputs.actions.set_index("action_id").loc[kept.pk]
    assert row["code"] == "knowledge_advantage" and row["customer_id"] == customers[0].pk
    assert str(inputs.actions["decided_at"].dt.tz) == "UTC"
    assert inputs.actions["campaign_id"].isna().all()
    assert inputs.params.horizon_by_type[kept.action_type_id] == 180


def test_the_inputs_are_computed_with_the_model_active_now(anne, mira):
    make_action(CustomerFactory(account_manager=anne), by=mira)
    draft = scoring_services.scoring_model_draft_create()
    draft.elements.filter(code="knowledge_advantage").update(weight=9)
    scoring_services.scoring_model_publish(scoring_model=draft)

    inputs = selectors.effect_inputs()

    assert inputs.model_version == draft.version
    weights = inputs.elements.set_index("code")["weight"]
    assert weights["knowledge_advantage"] == 9


def test_the_inputs_take_a_fixed_number_of_queries(anne, mira):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            selectors.effect_inputs()
        return len(queries)

    portfolio(anne, mira, treated=2, controls=2)
    few = count()
    portfolio(anne, mira, treated=6, controls=8)
    assert count() == few


def test_campaign_assignments_reach_the_engine_with_their_start(anne, mira):
    CustomerFactory.create_batch(10, account_manager=anne)
    from tests.actions.test_campaigns import launch

    campaign = launch(mira)
    inputs = selectors.effect_inputs()
    assert len(inputs.assignments) == 10
    assert set(inputs.assignments["arm"]) <= {"action", "control"}
    assert (inputs.assignments["started_at"] == campaign.launched_at).all()
    campaign_rows = inputs.actions[inputs.actions["campaign_id"] == campaign.pk]
    assert len(campaign_rows) == campaign.assignments.filter(arm="action").count()


def test_the_page_shows_the_planted_effect_and_its_exports_the_same(anne, mira):
    portfolio(anne, mira, treated=12, controls=14, effect=2)

    html = page_of(mira, reverse("actions:report"))

    assert "Knowledge event · Knowledge advantage" in html
    summary = html.split('id="report-summary"')[1].split("</table>")[0]
    cell = summary.split('data-outcome="customer">')[1].split("</td>")[0]
    assert "+2.00" in cell and "too little data" not in cell
    assert 'id="figure-forest-scale"' in html

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(mira)
    text = client.get(reverse("actions:report-export", args=["csv"])).content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    primary = next(r for r in rows if r["kind"] == "customer" and r["band"] == "")
    assert primary["estimator"] == "matched" and primary["action_type"] == "knowledge-event"
    assert float(primary["effect"]) == pytest.approx(2.0)
    assert primary["treated_used"] == "12"
    xlsx = client.get(reverse("actions:report-export", args=["xlsx"])).content
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    header = [c.value for c in sheet[1]]
    values = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert values["effect"] == pytest.approx(2.0)


def test_under_ten_treated_the_page_says_too_little_data_and_shows_no_number(anne, mira):
    portfolio(anne, mira, treated=4, controls=14, effect=2)
    html = page_of(mira, reverse("actions:report"))
    cell = html.split('data-outcome="customer">')[1].split("</td>")[0]
    assert "too little data" in cell
    assert "+2.00" not in cell


def test_the_page_is_dutch_for_a_dutch_reader(anne, mira):
    portfolio(anne, mira, treated=2, controls=2)
    html = page_of(mira, reverse("actions:report"), "nl")
    assert "Effectrapport" in html and "te weinig gegevens" in html


def test_an_empty_report_says_what_fills_it(mira):
    html = page_of(mira, reverse("actions:report"))
    assert 'id="report-empty"' in html


def test_account_managers_cannot_open_the_report_or_its_export(anne):
    client = Client()
    client.force_login(anne)
    assert client.get(reverse("actions:report")).status_code == 403
    assert client.get(reverse("actions:report-export", args=["csv"])).status_code == 403


def test_the_forest_plot_is_valid_plotly_and_draws_negative_effects_red():
    def row(effect: float | None, low: float | None, high: float | None) -> ForestRow:
        return ForestRow(
            estimator="matched",
            action_type_id=1,
            code="contract",
            campaign_id=None,
            kind="customer",
            unit="scale",
            effect=effect,
            low=low,
            high=high,
            n_treated=12,
            n_controls=30,
            too_little_data=effect is None,
        )

    figure = charts.forest_figure(
        [
            ("raises", row(1.0, 0.5, 1.5)),
            ("lowers", row(-0.6, -1.1, -0.1)),
            ("few", row(None, None, None)),
        ]
    )
    go.Figure(figure)  # raises on anything outside plotly's schema
    trace = figure["data"][0]
    assert trace["y"] == ["raises", "lowers"]
    assert trace["marker"]["color"] == [charts.POSITIVE, charts.NEGATIVE]
    assert figure["layout"]["yaxis"]["categoryarray"] == ["few", "lowers", "raises"]
