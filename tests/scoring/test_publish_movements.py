"""Movements are opinions, not re-weighting: publishing a scoring model re-scores every
customer, and none of the movements a user reads (the dashboard's band movements, the change
since the previous score, the alerts, the customer's history) reads that as a customer moving.
The publish preview counts what the publish then reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts import services as alert_services
from scoring import selectors, services
from scoring.models import Element, ScoreSnapshot, ScoringJob
from scoring.selectors.dashboard import DashboardFilters, dashboard_page
from scoring.services import jobs
from tests.alerts.support import ALL_THREE, START, at_day
from tests.factories import CustomerFactory, assess

pytestmark = pytest.mark.django_db


def submit(customer, values, *, day):
    with time_machine.travel(at_day(day), tick=False):
        assess(customer, values, at=at_day(day))


def reweighting_draft():
    """Presence weighs 9 instead of 1, and a new element nobody answered yet: every coverage
    changes, scores of customers who rated presence away from the rest change."""
    draft = services.scoring_model_draft_create()
    draft.elements.filter(code="presence").update(weight=Decimal(9))
    Element.objects.create(
        scoring_model=draft,
        code="newsletter",
        factor="investment",
        name_nl="Nieuwsbrief",
        name_en="Newsletter",
        weight=Decimal(1),
        order=99,
    )
    return draft


@pytest.fixture
def portfolio(anne):
    """Two customers who really move between day 0 and day 40, and others who do not (one
    of which the new weights move up a band, one down a band, one out of "provisional")."""
    customers = {name: CustomerFactory(account_manager=anne, name=name) for name in "ABCDEFGH"}
    submit(customers["A"], ALL_THREE, day=0)  # 50.0 orange …
    submit(customers["A"], {**ALL_THREE, "it_integration": 6}, day=40)  # … 56.9 yellow
    submit(customers["B"], ALL_THREE, day=0)  # 50.0 orange, stays
    submit(customers["C"], {**ALL_THREE, "it_integration": 6}, day=0)  # 56.9 yellow …
    submit(customers["C"], ALL_THREE, day=40)  # … 50.0 orange
    submit(customers["D"], dict.fromkeys(ALL_THREE, 5), day=0)  # 83.3 green, stays
    submit(customers["E"], {**ALL_THREE, "presence": 6}, day=0)  # 51.7 orange; new: 62.2 yellow
    submit(customers["F"], {**ALL_THREE, "presence": 0}, day=0)  # 48.3 orange; new: 37.8 red
    submit(customers["G"], {"performance": 5}, day=0)  # coverage 10 % → 8 %
    halves = ("performance", "service", "price_level", "perception", "competition")
    submit(customers["H"], {**dict.fromkeys(halves, 4), "distinctiveness": 4}, day=0)  # 52 % → 39 %
    return customers


def movements_seen(mira, customers) -> dict[str, object]:
    """What a user reads as movements: per customer the dashboard's direction of the band
    movement (day 20 → now) and the list's change since the previous score, and the counts of
    moves up and down per track."""
    page = dashboard_page(mira, DashboardFilters(moves_from=at_day(20).date()))
    names = {c.pk: name for name, c in customers.items()}
    changes = {
        names[s.customer_id]: None if s.change is None else round(s.change, 1)
        for s in ScoreSnapshot.objects.filter(is_current=True)
    }
    tracks = page.tracks
    return {
        "moved": {name: changes[name] is not None and changes[name] != 0 for name in changes},
        "direction": {
            name: (changes[name] or 0) > 0 for name in changes if changes[name] is not None
        },
        "ups": {track: int(tracks.loc[track, "up"]) for track in tracks.index},
        "downs": {track: int(tracks.loc[track, "down"]) for track in tracks.index},
        "moves": int(page.move_matrix.to_numpy().sum() - page.move_matrix.to_numpy().trace()),
    }


def publish(draft, mira, *, day):
    with time_machine.travel(at_day(day), tick=False):
        job = jobs.scoring_job_start(kind=ScoringJob.Kind.PUBLISH, scoring_model=draft, user=mira)
        return jobs.scoring_job_run(job_id=job.pk)


def test_publishing_a_reweighting_changes_no_movement(portfolio, mira):
    with time_machine.travel(at_day(45), tick=False):
        seen_before = movements_seen(mira, portfolio)
        alert_services.alerts_evaluate(now=timezone.now())  # the real moves' alerts are raised
    assert seen_before["moved"] == {
        "A": True, "B": False, "C": True, "D": False, "E": False, "F": False, "G": False,
        "H": False,
    }  # fmt: skip
    assert seen_before["moves"] == 2

    publish(reweighting_draft(), mira, day=50)

    current = {s.customer.name: s for s in ScoreSnapshot.objects.filter(is_current=True)}
    assert current["E"].band == "yellow" and current["F"].band == "red"  # bands re-weighted
    assert all(s.reweighted for s in current.values())
    # A's real move, 50.0 → 56.9 then, reads 50.0 → 55.4 in the new model's points.
    assert current["A"].previous_score == pytest.approx(50.0)
    assert current["A"].binding_score == pytest.approx(100 * 123 / 222)
    with time_machine.travel(at_day(50), tick=False):
        seen_after = movements_seen(mira, portfolio)
        raised = alert_services.alerts_evaluate(now=timezone.now()).raised
    assert seen_after == seen_before
    assert raised == []

    # A later real move is compared with the state before it, in the new model's points.
    submit(portfolio["B"], {**ALL_THREE, "presence": 6}, day=55)
    b = ScoreSnapshot.objects.get(customer=portfolio["B"], is_current=True)
    assert not b.reweighted
    assert (b.previous_score, b.binding_score) == (pytest.approx(50.0), pytest.approx(62.2, 0.01))


def test_a_second_publish_still_carries_the_last_real_movement(portfolio, mira):
    publish(reweighting_draft(), mira, day=50)
    draft = services.scoring_model_draft_create()
    draft.elements.filter(code="it_integration").update(weight=Decimal(1))
    publish(draft, mira, day=52)
    a = ScoreSnapshot.objects.get(customer=portfolio["A"], is_current=True)
    # 36 of weight, all 3 but it_integration 6 (weight 1): 100·(3·35 + 6)/(6·36) = 51.4.
    assert a.reweighted
    assert (a.previous_score, a.binding_score) == (pytest.approx(50.0), pytest.approx(51.39, 0.01))


def test_the_publish_preview_counts_what_the_publish_reports(portfolio, mira):
    draft = reweighting_draft()
    with time_machine.travel(at_day(50), tick=False):
        preview = selectors.scoring_model_preview(draft=draft)
    # Every customer gets another coverage (a new element); E, F, G, H and the real movers'
    # scores change; E and F change band; H falls under 50 % coverage.
    assert preview["coverage_changes"] == 8
    assert preview["band_changes"] == 2
    assert preview["provisional_changes"] == 1
    job = publish(draft, mira, day=50)
    counted = {
        "band_changes": job.band_changes,
        "score_changes": job.score_changes,
        "coverage_changes": job.coverage_changes,
        "provisional_changes": job.provisional_changes,
    }
    assert counted == {name: preview[name] for name in counted}

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(mira)
    page = client.get(reverse("scoring:job-detail", args=[job.pk])).content.decode()
    assert (
        f"{preview['band_changes']} changed band, {preview['score_changes']} got another score, "
        f"{preview['coverage_changes']} another coverage and {preview['provisional_changes']} "
        "changed provisional mark."
    ) in page


def test_the_publish_page_shows_coverage_and_provisional_changes(portfolio, mira):
    draft = reweighting_draft()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(mira)
    page = client.get(reverse("scoring:model-publish", args=[draft.pk])).content.decode()
    assert 'id="coverage-changes">8<' in page
    assert 'id="provisional-changes">1<' in page


def test_the_customer_history_marks_the_publish(portfolio, mira, anne):
    publish(reweighting_draft(), mira, day=50)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(anne)
    with time_machine.travel(at_day(51), tick=False):
        page = client.get(
            reverse("scoring:customer-detail", args=[portfolio["A"].pk])
        ).content.decode()
    # In the assessment history: a row for the publish (day 50), above A's assessments.
    rows = page[page.index('id="history"') :]
    assert rows.count('<tr class="model-published') == 1
    assert rows.index('<tr class="model-published') < rows.index("/assessments/")
    assert "Scoring model v2 published: from here on" in rows
    # … and in the history of score changes, the publish is shown as such, with no change.
    changes = page[page.index('id="score-changes"') : page.index('id="history"')]
    assert changes.count("model-published") == 1
    assert "+0.0" not in changes.split("model-published")[0][-400:]


def test_the_dashboard_trend_marks_the_publish_month(portfolio, mira):
    publish(reweighting_draft(), mira, day=50)
    with time_machine.travel(at_day(51), tick=False):
        page = dashboard_page(mira, DashboardFilters())
    month = timezone.localtime(at_day(50)).strftime("%Y-%m")
    assert page.publishes == [(month, 2)]
    assert START < at_day(50) < at_day(51)
    assert dt.timedelta(days=1) == at_day(51) - at_day(50)
