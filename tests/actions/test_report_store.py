"""The effect report is computed once per change of its inputs and served from the store: the
page serves the stored report while the inputs are the same, computes (or, in the background,
queues) a new one when they change, and says when its report was computed."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions import selectors, services, tasks
from actions.models import ActionType, EffectReportStore
from actions.services.report import KEY
from tests.actions.factories import make_action
from tests.actions.test_report import BASE, page_of, portfolio
from tests.factories import CustomerFactory, assess
from tests.surveys.support import free_port, use_broker, wait_for

pytestmark = pytest.mark.django_db


def version() -> str:
    return selectors.report_version(selectors.report_small_inputs())


def effect_of(page: selectors.ReportPage) -> float | None:
    return page.groups[0].result.outcome("customer").estimate.effect


def test_the_second_page_is_served_from_the_store_with_the_same_numbers(anne, mira):
    portfolio(anne, mira, treated=12, controls=14, effect=2)

    first = services.effect_report_current()
    second = services.effect_report_current()

    assert first is not None and second is not None
    assert first.timings["engine"] > 0  # computed for the first request
    assert second.timings["engine"] == 0.0  # served from the store
    assert effect_of(second) == effect_of(first) == pytest.approx(2.0)
    assert second.groups[0].result == first.groups[0].result
    assert second.computed_at == first.computed_at is not None
    fresh = selectors.report_page()
    assert fresh.groups[0].result == second.groups[0].result


def test_the_page_says_when_its_report_was_computed(anne, mira):
    portfolio(anne, mira, treated=12, controls=14)
    html = page_of(mira, reverse("actions:report"))
    assert 'id="report-computed"' in html and "Computed on" in html
    assert 'id="report-rebuilding"' not in html
    html = page_of(mira, reverse("actions:report"), "nl")
    assert "Berekend op" in html


def test_the_version_changes_with_every_input_and_only_then(anne, mira):
    made = portfolio(anne, mira, treated=3, controls=3)
    before = version()
    assert version() == before

    customer = made["controls"][0]
    assess(customer, BASE, kind="customer", email="nieuw@klant.example")
    after_assessment = version()
    assert after_assessment != before

    make_action(made["controls"][1], by=mira)
    after_action = version()
    assert after_action != after_assessment

    kind = ActionType.objects.get(code="knowledge-event")
    kind.horizon_days = 90
    kind.save()
    after_horizon = version()
    assert after_horizon != after_action

    tomorrow = selectors.report_small_inputs(now=timezone.now() + dt.timedelta(days=1))
    assert selectors.report_version(tomorrow) != after_horizon


def test_a_change_of_the_inputs_makes_the_next_page_compute_again(anne, mira):
    made = portfolio(anne, mira, treated=12, controls=14, effect=2)
    first = services.effect_report_current()
    assert first is not None and first.decided_actions == 12

    make_action(made["controls"][0], by=mira)
    second = services.effect_report_current()

    assert second is not None and second.decided_actions == 13
    assert second.timings["engine"] > 0
    assert EffectReportStore.objects.get(key=KEY).version == version()


def test_a_stored_report_that_cannot_be_read_counts_as_missing(anne, mira):
    portfolio(anne, mira, treated=12, controls=14)
    services.effect_report_current()
    EffectReportStore.objects.filter(key=KEY).update(report=b"not a pickle")

    page = services.effect_report_current()

    assert page is not None and page.timings["engine"] > 0
    assert effect_of(page) == pytest.approx(2.0)


@pytest.fixture
def queued(monkeypatch) -> list[tuple]:
    """Rebuilds queued, recorded instead of sent to a broker."""
    calls: list[tuple] = []

    def record(*args, **kwargs):
        calls.append((args, kwargs))
        return object()

    monkeypatch.setattr(tasks.effect_report_rebuild, "apply_async", record)
    return calls


def test_in_the_background_a_stale_report_is_shown_with_a_note_and_rebuilt_once(
    anne, mira, settings, queued, django_capture_on_commit_callbacks
):
    made = portfolio(anne, mira, treated=12, controls=14, effect=2)
    services.effect_report_current()  # computed here: the setting is still off
    settings.ACTIONS_EFFECT_REPORT_BACKGROUND = True
    with django_capture_on_commit_callbacks(execute=True):
        make_action(made["controls"][0], by=mira)  # the write queues a rebuild
    assert len(queued) == 1

    with django_capture_on_commit_callbacks(execute=True):
        stale = services.effect_report_current()
        html = page_of(mira, reverse("actions:report"))
    assert stale is not None and stale.rebuilding and stale.decided_actions == 12
    assert stale.timings["engine"] == 0.0
    assert 'id="report-rebuilding"' in html
    assert len(queued) == 1  # asked for once, not once per request

    assert tasks.effect_report_rebuild.run().endswith("computed")
    fresh = services.effect_report_current()
    assert fresh is not None and not fresh.rebuilding and fresh.decided_actions == 13
    assert EffectReportStore.objects.get(key=KEY).rebuild_requested_at is None
    assert tasks.effect_report_rebuild.run().endswith("unchanged")


def test_in_the_background_the_first_report_shows_a_page_that_waits_for_it(
    anne, mira, settings, queued, django_capture_on_commit_callbacks
):
    portfolio(anne, mira, treated=12, controls=14)
    settings.ACTIONS_EFFECT_REPORT_BACKGROUND = True
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(mira)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("actions:report"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="report-pending"' in html and 'http-equiv="refresh"' in html
    assert len(queued) == 1
    tasks.effect_report_rebuild.run()
    html = client.get(reverse("actions:report")).content.decode()
    assert "Knowledge event · Knowledge advantage" in html


def test_a_rebuild_asked_for_long_ago_is_asked_for_again(
    anne, mira, settings, queued, django_capture_on_commit_callbacks
):
    CustomerFactory(account_manager=anne)
    settings.ACTIONS_EFFECT_REPORT_BACKGROUND = True
    with django_capture_on_commit_callbacks(execute=True):
        assert services.effect_report_rebuild_request()
        assert not services.effect_report_rebuild_request()
    EffectReportStore.objects.filter(key=KEY).update(
        rebuild_requested_at=timezone.now() - dt.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.effect_report_rebuild_request()
    assert len(queued) == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_through_a_real_worker_a_new_action_gets_the_page_a_fresh_report(
    celery_worker, anne, mira, settings
):
    made = portfolio(anne, mira, treated=12, controls=14, effect=2)
    services.effect_report_current()  # the first one, computed here (the setting is off)
    settings.ACTIONS_EFFECT_REPORT_BACKGROUND = True

    make_action(made["controls"][0], by=mira)  # committed: the receiver queues the rebuild
    wait_for(
        lambda: EffectReportStore.objects.get(key=KEY).rebuild_requested_at is None,
        what="the worker to store the new report",
    )

    page = services.effect_report_current()
    assert page is not None and not page.rebuilding and page.decided_actions == 13
    assert page.timings["engine"] == 0.0  # served: the worker computed it
    assert effect_of(page) == pytest.approx(2.0)


def test_beat_computes_the_report_each_morning_with_a_registered_task():
    from django_celery_beat.models import PeriodicTask

    from klantbinding.celery import app as celery_app

    celery_app.loader.import_default_modules()
    entry = PeriodicTask.objects.get(task="actions.effect_report_rebuild")
    assert entry.enabled and entry.crontab.hour == "6"
    assert entry.task in celery_app.tasks


def test_with_the_broker_away_the_request_is_released_for_the_next_reader(
    anne, settings, caplog, django_capture_on_commit_callbacks
):
    use_broker(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    CustomerFactory(account_manager=anne)
    settings.ACTIONS_EFFECT_REPORT_BACKGROUND = True

    with (
        caplog.at_level(logging.WARNING, logger="actions"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.effect_report_rebuild_request()

    assert "not queued" in caplog.text
    assert EffectReportStore.objects.get(key=KEY).rebuild_requested_at is None
