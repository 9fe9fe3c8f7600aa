"""Large imports as background jobs: through a real Celery worker with a progress page, all or
nothing, surviving a worker that dies halfway; small files stay within the request."""

from __future__ import annotations

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import worker_ready
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from klantbinding.celery import app as celery_app
from scoring import services
from scoring.imports import customers as customer_imports
from scoring.imports import table_read
from scoring.models import Assessment, Customer, ScoringJob
from tests.factories import CustomerFactory
from tests.scoring.test_imports import CUSTOMER_HEADER, HEADER, assessment_row
from tests.surveys.support import wait_for


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.KB_UPLOAD_DIR = tmp_path / "uploads"
    settings.KB_IMPORT_BACKGROUND_ROWS = 3


def customers_csv(count: int) -> bytes:
    rows = [";".join(CUSTOMER_HEADER)]
    rows += [f"K{n};Klant {n};;Food;1000;10;0;" for n in range(1, count + 1)]
    return "\n".join(rows).encode()


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def confirm(client: Client, content: bytes, kind: str = "customers"):
    upload = client.post(
        reverse("scoring:upload"),
        {"kind": kind, "file": SimpleUploadedFile("groot.csv", content)},
    )
    return client.post(upload["Location"])


def job_state(pk: int) -> str:
    return ScoringJob.objects.get(pk=pk).state


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_large_import_runs_through_a_worker_and_the_page_says_when_it_is_done(
    celery_worker, mira
):
    client = client_for(mira)

    response = confirm(client, customers_csv(5))

    job = ScoringJob.objects.get()
    assert response["Location"] == reverse("scoring:job-detail", args=[job.pk])
    assert job.kind == "import_customers" and job.total == 5
    wait_for(lambda: job_state(job.pk) == "done", what="the import job")
    status = client.get(reverse("scoring:job-status", args=[job.pk])).json()
    assert status["finished"] and status["percent"] == 100
    message = "Import done: 5 customers created; 0 customers updated; 0 customers unchanged."
    assert status["message"] == message
    page = client.get(reverse("scoring:job-detail", args=[job.pk])).content.decode()
    assert message in page and "Importing groot.csv" in page
    assert 'http-equiv="refresh"' not in page
    assert sorted(Customer.objects.values_list("external_id", flat=True)) == [
        f"K{n}" for n in range(1, 6)
    ]
    job.refresh_from_db()
    assert job.payload == "" and job.summary["created"] == 5


def test_a_small_import_stays_within_the_request(mira):
    response = confirm(client_for(mira), customers_csv(2))

    assert response["Location"].endswith("/done/")
    assert not ScoringJob.objects.exists()
    assert Customer.objects.count() == 2


def test_the_status_reports_the_workers_progress_while_the_import_runs(mira, monkeypatch):
    client = client_for(mira)
    seen: list[dict] = []

    def peek(*args, **kwargs):
        status = client.get(reverse("scoring:job-status", args=[job.pk])).json()
        seen.append(status)

    job = services.import_job_start(
        kind="customers", table=table_read(customers_csv(4), "k.csv"), file_name="k.csv"
    )
    monkeypatch.setattr(customer_imports.audit, "records_bulk", peek)  # after the writing
    ScoringJob.objects.filter(pk=job.pk).update(state="running")

    services.scoring_job_step(job_id=job.pk)

    assert seen[0]["percent"] == 99 and seen[0]["message"] == "Writing: 4 of 4 rows."
    assert (seen[0]["done"], seen[0]["total"]) == (4, 4)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_whose_worker_dies_writes_nothing_and_the_next_run_imports_it_once(
    broker, mira, settings, monkeypatch
):
    settings.SCORING_JOB_RETRY_SECONDS = 0
    job = services.import_job_start(
        kind="customers", table=table_read(customers_csv(6), "k.csv"), file_name="k.csv", user=mira
    )
    redis.Redis.from_url(broker.url).flushdb()  # the worker that took it is gone
    real_records = customer_imports.audit.records_bulk
    runs: list[int] = []

    def records(**kwargs):
        if not any(isinstance(row, Customer) for row in kwargs["created"]):
            return real_records(**kwargs)  # the contact persons' records (none in this file)
        runs.append(len(kwargs["created"]))
        if len(runs) == 1:  # the first run dies after writing every customer, before commit
            raise RuntimeError("worker lost in the middle of the import")
        return real_records(**kwargs)

    monkeypatch.setattr(customer_imports.audit, "records_bulk", records)
    with pytest.raises(RuntimeError):
        services.scoring_job_step(job_id=job.pk)

    assert not Customer.objects.exists()  # all or nothing: nothing of the lost run stays
    assert job_state(job.pk) == "pending"
    from scoring import tasks

    tasks.job_run.delay(job.pk)  # a redelivery next to the resume of a starting worker
    with start_worker(
        celery_app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING"
    ) as worker:
        worker_ready.send(sender=worker)
        wait_for(lambda: job_state(job.pk) == "done", what="the resumed import", timeout=30)

    assert Customer.objects.count() == 6  # each customer once
    assert runs == [6, 6]  # the lost run and one that committed; the redelivery found it done
    job.refresh_from_db()
    assert job.summary["created"] == 6 and job.payload == ""


def test_an_import_refused_when_it_runs_says_why_writes_nothing_and_is_not_resumed(mira):
    customer = CustomerFactory(external_id="K1")
    rows = [HEADER, *(assessment_row(email=f"r{n}@example.nl") for n in range(4))]
    content = "\n".join(";".join(str(c) for c in row) for row in rows).encode()
    job = services.import_job_start(
        kind="assessments", table=table_read(content, "b.csv"), file_name="b.csv"
    )
    customer.delete()  # between the check and the worker

    with translation.override("en"):
        services.scoring_job_step(job_id=job.pk)

    job.refresh_from_db()
    assert job.state == "failed" and job.payload == ""
    assert "nothing was written" in job.error and "K1" in job.error
    assert not Assessment.objects.exists()
    status = client_for(mira).get(reverse("scoring:job-status", args=[job.pk])).json()
    assert status["finished"] and "K1" in status["message"]
    assert services.scoring_jobs_resume() == []


def test_a_large_import_waits_while_another_job_runs(mira):
    services.scoring_job_start(kind=ScoringJob.Kind.RECOMPUTE)
    client = client_for(mira)

    response = confirm(client, customers_csv(5))

    assert "/import/" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "A background job is still running" in page
    assert ScoringJob.objects.count() == 1 and not Customer.objects.exists()
