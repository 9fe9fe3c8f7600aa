"""The management dashboard: who sees what, the numbers, filters, drill-downs, export, speed."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import numpy as np
import openpyxl
import pandas as pd
import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scoring import snapshots
from scoring.demo import seed_portfolio
from scoring.models import Customer
from scoring.selectors import dashboard
from tests.factories import CustomerFactory, assess

ALL_SIX = {
    "performance": 6,
    "service": 6,
    "price_level": 6,
    "perception": 6,
    "competition": 6,
    "distinctiveness": 6,
    "knowledge_advantage": 6,
    "perceived_alternatives": 6,
    "it_integration": 6,
    "contract": 6,
    "presence": 6,
    "personal_bond": 6,
}
ALL_ZERO = dict.fromkeys(ALL_SIX, 0)
# Satisfaction 1 of 6, barriers 5 of 6: bound but unhappy.
ENTRAPPED = {
    **dict.fromkeys(["performance", "service", "price_level", "perception"], 1),
    **dict.fromkeys(
        [
            "competition",
            "distinctiveness",
            "knowledge_advantage",
            "perceived_alternatives",
            "it_integration",
            "contract",
            "presence",
            "personal_bond",
        ],
        5,
    ),
}


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def portfolio(anne, bart):
    """Anne: a green, a red and an unscored customer; Bart: one entrapped customer."""
    green = CustomerFactory(
        name="Groen B.V.", account_manager=anne, sector="Bouw", annual_revenue=300_000
    )
    red = CustomerFactory(
        name="Rood B.V.", account_manager=anne, sector="Zorg", annual_revenue=100_000
    )
    CustomerFactory(name="Leeg B.V.", account_manager=anne, sector="Zorg", annual_revenue=50_000)
    trapped = CustomerFactory(
        name="Vast B.V.", account_manager=bart, sector="Bouw", annual_revenue=200_000
    )
    assess(green, ALL_SIX)
    assess(red, ALL_ZERO)
    assess(trapped, ENTRAPPED)
    assess(green, {"performance": 6}, kind="customer", email="inkoop@groen.example", nps=10)
    assess(red, {"performance": 0}, kind="customer", email="inkoop@rood.example", nps=3)
    assess(red, {"performance": 0}, kind="customer", email="baas@rood.example", nps=2)
    return {"green": green, "red": red, "trapped": trapped}


def test_anonymous_visitors_are_sent_to_sign_in(db):
    response = Client().get(reverse("scoring:dashboard"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_users_without_a_role_are_refused(outsider):
    response = client_for(outsider).get(reverse("scoring:dashboard"))
    assert response.status_code == 403


def test_home_sends_management_to_the_dashboard(mira):
    response = client_for(mira).get(reverse("home"))
    assert response["Location"] == reverse("scoring:dashboard")


def test_manager_sees_the_headline_figures_of_the_whole_portfolio(mira, portfolio):
    response = client_for(mira).get(reverse("scoring:dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    headline = response.context["headline"]
    # Scores 100, 0 and 100·(4·… ) for the entrapped one; four customers, three scored.
    assert headline["customers"] == 4
    assert headline["scored"] == 3
    trapped_score = 100 * (10 * 1 + 19 * 5) / (6 * 29)
    assert headline["mean_score"] == pytest.approx((100 + 0 + trapped_score) / 3)
    weighted = (100 * 300_000 + 0 * 100_000 + trapped_score * 200_000) / 600_000
    assert headline["weighted_score"] == pytest.approx(weighted)
    assert f'id="headline-weighted">{weighted:.1f}<' in page
    # Revenue at risk: the red customer, plus the entrapped one if orange or red.
    assert headline["revenue_at_risk"] == 100_000 + (200_000 if trapped_score < 55 else 0)
    # NPS: one promoter, two detractors of three answers.
    assert headline["nps"] == pytest.approx(100 * (1 - 2) / 3)
    assert 'id="headline-nps">-33<' in page
    assert headline["overdue"] == 1  # only the unscored customer lacks a staff assessment
    assert "Vast B.V." in page  # listed as entrapped


def test_every_chart_of_the_dashboard_is_on_the_page(mira, portfolio):
    response = client_for(mira).get(reverse("scoring:dashboard"))
    page = response.content.decode()
    for name in ("trend", "bands", "quadrants", "gap", "wall", "pareto", "heatmap"):
        assert f'data-kb-figure="figure-{name}"' in page
        figure = json.loads(response.context["figures"][name])
        assert figure["data"], name
    assert "vendor/plotly/plotly-cartesian.min.js" in page  # the cartesian bundle covers them


def test_account_manager_sees_only_their_own_customers(anne, portfolio):
    client = client_for(anne)
    response = client.get(reverse("scoring:dashboard"))
    assert response.status_code == 200
    assert response.context["headline"]["customers"] == 3
    assert "Vast B.V." not in response.content.decode()
    assert 'name="account_manager"' not in response.content.decode()
    # Asking for Bart's customers through the URL changes nothing.
    bart_id = portfolio["trapped"].account_manager_id
    listing = client.get(
        reverse("scoring:dashboard-customers"), {"show": "all", "account_manager": bart_id}
    )
    names = {c["name"] for c in listing.context["rows"]}
    assert names == {"Groen B.V.", "Rood B.V.", "Leeg B.V."}


def test_filters_narrow_every_number_and_stay_in_the_url(mira, portfolio):
    client = client_for(mira)
    response = client.get(reverse("scoring:dashboard"), {"sector": "Bouw"})
    assert response.context["headline"]["customers"] == 2
    assert "sector=Bouw" in response.context["query"]
    assert f'href="/dashboard/export/csv/?{response.context["query"]}"' in (
        response.content.decode().replace("&amp;", "&")
    )
    red_only = client.get(reverse("scoring:dashboard"), {"band": "red"})
    assert red_only.context["headline"]["customers"] == 1
    assert red_only.context["headline"]["mean_score"] == 0
    by_manager = client.get(
        reverse("scoring:dashboard"), {"account_manager": portfolio["trapped"].account_manager_id}
    )
    assert by_manager.context["headline"]["customers"] == 1


def test_bad_filters_get_a_message_and_are_left_out(mira, portfolio):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client_for(mira).get(
        reverse("scoring:dashboard"),
        {
            "sector": "Ruimtevaart",
            "band": "purple",
            "date": tomorrow.isoformat(),
            "moves_from": "2025-02-30",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "lies in the future" in page
    assert "Select a valid choice" in page
    assert "Enter a valid date" in page
    assert response.context["headline"]["customers"] == 4


def test_the_dashboard_shows_the_portfolio_as_it_stood_on_a_past_date(mira, anne):
    customer = CustomerFactory(account_manager=anne, annual_revenue=1000)
    start = timezone.now() - timedelta(days=200)
    with time_machine.travel(start, tick=False):
        assess(customer, ALL_ZERO)
    with time_machine.travel(start + timedelta(days=60), tick=False):
        assess(customer, ALL_SIX)
    client = client_for(mira)
    then = (start + timedelta(days=30)).date()
    past = client.get(reverse("scoring:dashboard"), {"date": then.isoformat()})
    assert past.context["headline"]["mean_score"] == 0
    assert "As it stood on" in past.content.decode()
    now = client.get(reverse("scoring:dashboard"))
    assert now.context["headline"]["mean_score"] == 100
    # The band moved from red to green between the two dates: one customer up the tracks.
    moves = client.get(
        reverse("scoring:dashboard-customers"),
        {"show": "move", "from_band": "red", "to_band": "green", "moves_from": then.isoformat()},
    )
    assert [c["name"] for c in moves.context["rows"]] == [customer.name]
    tracks = now.context["tracks"]
    # By default the movements cover the last three months: green all along.
    assert [c["count"] for c in tracks["churn"]] == [0, 0, 0]
    assert [c["count"] for c in tracks["loyalty"]] == [0, 1, 0]
    up = client.get(reverse("scoring:dashboard"), {"moves_from": then.isoformat()})
    assert [c["count"] for c in up.context["tracks"]["churn"]] == [1, 0, 0]


def test_trend_follows_the_stored_history_month_by_month(mira, anne):
    customer = CustomerFactory(account_manager=anne, annual_revenue=1000)
    start = timezone.now() - timedelta(days=95)
    with time_machine.travel(start, tick=False):
        assess(customer, ALL_ZERO)
    with time_machine.travel(start + timedelta(days=62), tick=False):
        assess(customer, ALL_SIX)
    data = dashboard.dashboard_data(mira, dashboard.DashboardFilters())
    trend = dashboard.trend(data)
    assert trend["score"].iloc[0] == 0
    assert trend["score"].iloc[-1] == 100
    assert trend["red"].iloc[0] == 1 and trend["green"].iloc[-1] == 1
    assert len(trend) >= 4  # one row per month over the whole history


def test_drill_down_lists_the_customers_behind_a_number(mira, portfolio):
    client = client_for(mira)
    dashboard_page = client.get(reverse("scoring:dashboard"))
    entrapped = next(q for q in dashboard_page.context["quadrants"] if q["name"] == "entrapped")
    # The page links the number to its customers.
    link = f'href="{reverse("scoring:dashboard-customers")}?{entrapped["query"]}"'
    assert link.replace("&", "&amp;") in dashboard_page.content.decode()
    response = client.get(f"{reverse('scoring:dashboard-customers')}?{entrapped['query']}")
    assert response.status_code == 200
    assert [c["name"] for c in response.context["rows"]] == ["Vast B.V."]
    assert "Satisfaction × barriers: entrapped" in response.content.decode()


def test_an_unknown_drill_down_shows_everyone_with_a_message(mira, portfolio):
    response = client_for(mira).get(
        reverse("scoring:dashboard-customers"), {"show": "move", "from_band": "blue"}
    )
    assert response.status_code == 200
    assert "This selection is not valid" in response.content.decode()
    assert response.context["count"] == 4


def test_export_csv_holds_the_customers_in_view_with_their_scores(mira, portfolio):
    response = client_for(mira).get(
        reverse("scoring:dashboard-export", args=["csv"]), {"sector": "Zorg"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["Customer"] for r in rows] == ["Leeg B.V.", "Rood B.V."]
    red = rows[1]
    assert (red["Binding score"], red["Satisfaction"], red["Band"]) == ("0.0", "0.0", "red")
    assert red["Sector"] == "Zorg" and red["Performance and delivery reliability"] == "0.0"
    assert rows[0]["Binding score"] == ""


def test_export_xlsx_opens_in_excel_with_numbers(mira, portfolio):
    response = client_for(mira).get(
        reverse("scoring:dashboard-export", args=["xlsx"]), {"band": "green"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Customer id", "Customer", "Account manager")
    assert rows[1][1] == "Groen B.V."
    assert rows[1][rows[0].index("Binding score")] == 100.0
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")


def test_export_in_another_format_is_not_found(mira, portfolio):
    response = client_for(mira).get(reverse("scoring:dashboard-export", args=["pdf"]))
    assert response.status_code == 404


def test_customer_page_shows_score_history_and_element_radar(anne, portfolio):
    response = client_for(anne).get(portfolio["green"].get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-kb-figure="figure-customer-history"' in page
    assert 'data-kb-figure="figure-customer-radar"' in page
    radar = page.split('id="figure-customer-radar">', 1)[1].split("</script>", 1)[0]
    names = [trace["name"] for trace in json.loads(radar)["data"]]
    assert names == ["Combined", "Staff", "Customer"]


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_customers(mira):
    seed_portfolio(customers=1000, seed=5, history_months=2)
    client = client_for(mira)
    client.get(reverse("scoring:dashboard"))  # warm up caches (content types, sessions)

    def queries() -> tuple[int, int]:
        cache.clear()  # the queries of building the page, not of serving it from the cache
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("scoring:dashboard"))
        assert response.status_code == 200
        return len(captured), response.context["headline"]["customers"]

    many, in_view = queries()
    keep = list(Customer.objects.filter(active=True).order_by("pk").values_list("pk", flat=True))
    Customer.objects.exclude(pk__in=keep[:100]).update(active=False)
    few, in_view_few = queries()
    assert in_view >= 950 and in_view_few == 100
    assert few == many


def test_drill_down_pages_through_long_lists(mira, anne):
    CustomerFactory.create_batch(130, account_manager=anne)
    client = client_for(mira)
    query = {"show": "band", "which": "none"}
    first = client.get(reverse("scoring:dashboard-customers"), query)
    second = client.get(reverse("scoring:dashboard-customers"), {**query, "page": 2})
    assert first.context["count"] == 130
    assert len(first.context["rows"]) == 100 and len(second.context["rows"]) == 30
    names = {c["name"] for c in first.context["rows"]} | {c["name"] for c in second.context["rows"]}
    assert len(names) == 130
    assert "page=2" in first.content.decode()


def test_an_empty_portfolio_shows_dashes_not_an_error(mira, anne):
    for user in (mira, anne):
        response = client_for(user).get(reverse("scoring:dashboard"))
        assert response.status_code == 200
        page = response.content.decode()
        assert 'id="headline-mean">–<' in page
        assert "No pearls in view." in page
    export = client_for(anne).get(reverse("scoring:dashboard-export", args=["csv"]))
    [header] = export.content.decode("utf-8-sig").splitlines()  # the header line only
    assert header.split(",")[:3] == ["Customer id", "Customer", "Account manager"]


def test_band_filter_follows_the_band_on_the_date_shown(mira, anne):
    customer = CustomerFactory(account_manager=anne, annual_revenue=1000)
    CustomerFactory(account_manager=anne, annual_revenue=500)  # never scored
    start = timezone.now() - timedelta(days=200)
    with time_machine.travel(start, tick=False):
        assess(customer, ALL_ZERO)
        assess(customer, {"performance": 1}, kind="customer", email="a@klant.example", nps=2)
    with time_machine.travel(start + timedelta(days=60), tick=False):
        assess(customer, ALL_SIX)
    client = client_for(mira)
    then = (start + timedelta(days=30)).date().isoformat()
    before = (start - timedelta(days=1)).date().isoformat()

    def in_view(**params) -> dict:
        return client.get(reverse("scoring:dashboard"), params).context["headline"]

    assert in_view(band="red", date=then)["customers"] == 1
    assert in_view(band="red", date=then)["nps_answers"] == 1
    assert in_view(band="red")["customers"] == 0
    assert in_view(band="green")["customers"] == 1
    assert in_view(band="none")["customers"] == 1
    assert in_view(band="none", date=before)["customers"] == 2
    # The drill-down and the export narrow the same way.
    listing = client.get(reverse("scoring:dashboard-customers"), {"band": "red", "date": then})
    assert [row["name"] for row in listing.context["rows"]] == [customer.name]


def test_element_values_are_matched_by_code_across_model_versions():
    # Version 1 stored (a, b); the active version 2 has (b, c): b is matched by its code.
    index = pd.Index([1, 2, 3], name="customer_id")
    models = pd.Series([1.0, 2.0, np.nan], index=index)
    details = [
        # elements, staff, customer, expert blocks of each model's width
        "1,2,1,2,,,,",
        "3,4,3,4,5,,,6",
        None,
    ]
    values, kinds = snapshots.details_frames(
        index, models, details, ["b", "c"], {1: ["a", "b"], 2: ["b", "c"]}
    )
    assert values.loc[1].tolist() == [2.0, pytest.approx(np.nan, nan_ok=True)]
    assert values.loc[2].tolist() == [3.0, 4.0]
    assert values.loc[3].isna().all()
    assert kinds.loc[2, ("customer", "b")] == 5 and kinds.loc[2, ("expert", "c")] == 6
    assert kinds.loc[1, ("staff", "b")] == 2 and np.isnan(kinds.loc[1, ("staff", "c")])
