"""Publishing a scoring model and recomputing every score as background jobs: through a real
Celery worker, in batches that survive an interruption, with a status endpoint and a page."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import worker_ready
from django.test import Client
from django.urls import reverse

from klantbinding.celery import app as celery_app
from scoring import calculations, services
from scoring.models import ScoreSnapshot, ScoringJob, ScoringModel
from scoring.services import jobs
from tests.factories import CustomerFactory, active_model, assess
from tests.surveys.support import wait_for


def scored_customers(count: int) -> list:
    """Customers scored 62.5 with weights all 1; 20.8 once presence weighs 9."""
    customers = CustomerFactory.create_batch(count)
    for customer in customers:
        assess(customer, {"performance": 5, "presence": 0})
    return customers


def reweighted_draft() -> ScoringModel:
    draft = services.scoring_model_draft_create()
    draft.elements.filter(code="presence").update(weight=Decimal(9))
    return draft


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def job_state(pk: int) -> str:
    return ScoringJob.objects.get(pk=pk).state


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_publishing_runs_through_a_worker_and_the_page_says_when_it_is_done(
    celery_worker, mira, settings
):
    settings.SCORING_JOB_BATCH_SIZE = 4
    customers = scored_customers(10)
    draft = reweighted_draft()
    client = client_for(mira)

    response = client.post(reverse("scoring:model-publish", args=[draft.pk]))

    job = ScoringJob.objects.get()
    assert response["Location"] == reverse("scoring:job-detail", args=[job.pk])
    wait_for(lambda: job_state(job.pk) == "done", what="the publish job")
    status = client.get(reverse("scoring:job-status", args=[job.pk])).json()
    assert status["finished"] and status["percent"] == 100
    assert (status["done"], status["total"], status["changed"]) == (10, 10, 10)
    page = client.get(reverse("scoring:job-detail", args=[job.pk])).content.decode()
    assert (
        "Version 2 is published. The scores of 10 customers were recomputed: 10 changed band, "
        "10 got another score, 10 another coverage and 0 changed provisional mark."
    ) in page
    assert 'http-equiv="refresh"' not in page  # done: the page stops reloading itself
    assert active_model().pk == draft.pk
    assert ScoringJob.objects.get(pk=job.pk).batches == 3
    for customer in customers:
        snapshot = ScoreSnapshot.objects.get(customer=customer, is_current=True)
        assert snapshot.scoring_model_id == draft.pk
        assert snapshot.binding_score == pytest.approx(100 * 15 / 72)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_interrupted_recompute_resumes_after_its_last_batch_and_computes_no_customer_twice(
    broker, mira, settings, monkeypatch
):
    settings.SCORING_JOB_BATCH_SIZE = 10
    settings.SCORING_JOB_RETRY_SECONDS = 0
    customers = scored_customers(25)
    draft = reweighted_draft()
    services.scoring_model_activate(scoring_model=draft)  # new weights, no score recomputed yet
    committed: list[list[int]] = []
    crashed: list[list[int]] = []
    crash_next = threading.Event()
    real_refresh = jobs.scores_refresh

    def refresh(*, customer_ids, **kwargs):
        result = real_refresh(customer_ids=customer_ids, **kwargs)
        if crash_next.is_set():  # the worker dies after computing, before committing
            crash_next.clear()
            crashed.append(list(customer_ids))
            raise RuntimeError("worker lost in the middle of a batch")
        committed.append(list(customer_ids))
        return result

    monkeypatch.setattr(jobs, "scores_refresh", refresh)
    job = services.scoring_job_start(kind=ScoringJob.Kind.RECOMPUTE, user=mira)
    # The worker that took the job did one batch and was killed; its message is gone.
    redis.Redis.from_url(broker.url).flushdb()
    assert services.scoring_job_step(job_id=job.pk)
    crash_next.set()  # and the next batch will die halfway
    # The same job queued twice more (a redelivery, a double start) next to the resume.
    from scoring import tasks

    tasks.job_run.delay(job.pk)
    tasks.job_run.delay(job.pk)

    with start_worker(
        celery_app, pool="threads", concurrency=3, perform_ping_check=False, loglevel="WARNING"
    ) as worker:
        worker_ready.send(sender=worker)  # what a starting worker does: resume unfinished jobs
        wait_for(lambda: job_state(job.pk) == "done", what="the resumed job", timeout=30)

    computed = [pk for batch in committed for pk in batch]
    assert sorted(computed) == sorted(c.pk for c in customers)  # each customer once
    assert len(crashed) == 1 and crashed[0] in committed  # the lost batch was redone, once
    job.refresh_from_db()
    assert (job.batches, job.done, job.changed, job.last_customer_id) == (
        3,
        25,
        25,
        max(c.pk for c in customers),
    )
    for customer in customers:  # one new snapshot each, none from the batch that died
        assert ScoreSnapshot.objects.filter(customer=customer, scoring_model=draft).count() == 1


def test_the_status_endpoint_and_the_page_report_progress_batch_by_batch(mira, settings):
    settings.SCORING_JOB_BATCH_SIZE = 10
    scored_customers(25)
    job = services.scoring_job_start(kind=ScoringJob.Kind.RECOMPUTE, user=mira)
    client = client_for(mira)
    status_url = reverse("scoring:job-status", args=[job.pk])

    status = client.get(status_url).json()
    assert (status["state"], status["percent"], status["finished"]) == ("pending", 0, False)
    page = client.get(reverse("scoring:job-detail", args=[job.pk])).content.decode()
    assert '<progress id="job-progress" class="w-100 mb-2" max="100" value="0">' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert "Waiting for a worker to start the job." in page

    assert services.scoring_job_step(job_id=job.pk)
    status = client.get(status_url).json()
    assert (status["state"], status["done"], status["total"], status["percent"]) == (
        "running",
        10,
        25,
        40,
    )
    assert status["message"] == "10 of 25 customers recomputed so far."
    assert 'value="40"' in client.get(reverse("scoring:job-detail", args=[job.pk])).content.decode()

    services.scoring_job_run(job_id=job.pk)
    status = client.get(status_url).json()
    assert (status["state"], status["done"], status["percent"], status["finished"]) == (
        "done",
        25,
        100,
        True,
    )
    assert status["message"].startswith("Done: the scores of 25 customers were recomputed")
    dutch = Client(HTTP_ACCEPT_LANGUAGE="nl")
    dutch.force_login(mira)
    assert "klanten" in dutch.get(status_url).json()["message"]


def test_only_management_reaches_the_jobs(client, anne, outsider, mira):
    job = services.scoring_job_start(kind=ScoringJob.Kind.RECOMPUTE, user=mira)
    urls = [
        reverse("scoring:job-detail", args=[job.pk]),
        reverse("scoring:job-status", args=[job.pk]),
    ]
    for user in (anne, outsider):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403
        assert client.post(reverse("scoring:scores-recompute")).status_code == 403
    client.logout()
    for url in urls:
        assert client.get(url)["Location"].startswith(reverse("login"))
    assert ScoringJob.objects.count() == 1


def test_one_job_at_a_time_and_a_double_click_gives_the_same_job(mira):
    draft = reweighted_draft()
    job = services.scoring_job_start(kind=ScoringJob.Kind.PUBLISH, scoring_model=draft)
    again = services.scoring_job_start(kind=ScoringJob.Kind.PUBLISH, scoring_model=draft)
    assert again.pk == job.pk
    client = client_for(mira)
    response = client.post(reverse("scoring:scores-recompute"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("scoring:job-detail", args=[job.pk])
    assert "A background job is still running" in response.content.decode()
    assert ScoringJob.objects.count() == 1
    listing = client.get(reverse("scoring:model-list")).content.decode()
    assert 'id="running-job"' in listing


def test_the_publish_page_runs_the_rule_once_per_change_of_the_draft(mira, monkeypatch):
    scored_customers(3)
    draft = reweighted_draft()
    runs: list[int] = []
    real = calculations.compute_portfolio

    def counting(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(calculations, "compute_portfolio", counting)
    client = client_for(mira)
    url = reverse("scoring:model-publish", args=[draft.pk])

    first = client.get(url)
    second = client.get(url)
    assert len(runs) == 1
    assert first.context["preview"] == second.context["preview"]
    assert second.context["preview"]["score_changes"] == 3

    draft.elements.filter(code="presence").update(weight=Decimal(1))  # the draft changes
    third = client.get(url)
    assert len(runs) == 2
    assert third.context["preview"]["score_changes"] == 0
