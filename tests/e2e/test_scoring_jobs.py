"""Publishing a scoring model in a real browser: the publish button leads to the job's page,
whose progress bar follows the job by polling its status endpoint (or, without JavaScript, by
reloading) and which says when the job is done; axe-core in Dutch and English."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import redis
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from scoring import services
from scoring.models import ScoringJob
from tests.factories import CustomerFactory, assess
from tests.surveys.support import RedisServer, use_broker

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(scope="module")
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def draft(own_redis, settings):
    """A draft that changes every score, 25 scored customers, batches of 10; the job's task
    goes to the tests' own Redis, where no worker takes it: the test runs the batches."""
    use_broker(own_redis.url)
    redis.Redis.from_url(own_redis.url).flushdb()
    settings.SCORING_JOB_BATCH_SIZE = 10
    for customer in CustomerFactory.create_batch(25):
        assess(customer, {"performance": 5, "presence": 0})
    draft = services.scoring_model_draft_create()
    draft.elements.filter(code="presence").update(weight=Decimal(9))
    return draft


def serious(page) -> list[str]:
    results = Axe().run(page, context="main")
    return [
        f"{v['id']}: {v['help']} ({v['nodes'][0]['target']})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(
    ("language", "waiting", "published"),
    [
        ("en", "Waiting for a worker", "Version 2 is published."),
        ("nl", "Wachten tot een worker", "Versie 2 is gepubliceerd."),
    ],
)
def test_publishing_shows_the_job_progress_until_it_is_done(
    open_page, mira, draft, console_errors, screenshot, language, waiting, published
):
    page = open_page(mira, language=language)
    page.goto(reverse("scoring:model-publish", args=[draft.pk]))
    expect(page.locator("#score-changes")).to_have_text("25")
    with page.expect_navigation():
        page.click("#publish")
    job = ScoringJob.objects.get(scoring_model=draft)
    assert page.url.endswith(reverse("scoring:job-detail", args=[job.pk]))
    progress = page.locator("progress#job-progress")
    expect(progress).to_have_attribute("value", "0")
    expect(page.get_by_role("status")).to_contain_text(waiting)
    assert serious(page) == []

    services.scoring_job_step(job_id=job.pk)  # one batch, as a worker does
    expect(progress).to_have_attribute("value", "40")  # 10 of 25, read by polling
    expect(page.get_by_role("status")).to_contain_text("10")
    screenshot(page, f"scoring-job-running-{language}")

    services.scoring_job_run(job_id=job.pk)
    expect(page.get_by_role("status")).to_contain_text(published)
    expect(progress).to_have_attribute("value", "100")
    expect(page.locator("#job-done-links")).to_be_visible()
    assert serious(page) == []
    assert console_errors == []


def test_without_javascript_the_job_page_reloads_until_it_is_done(open_page, mira, draft):
    job = services.scoring_job_start(kind=ScoringJob.Kind.PUBLISH, scoring_model=draft, user=mira)
    page = open_page(mira, java_script_enabled=False)
    page.goto(reverse("scoring:job-detail", args=[job.pk]))
    expect(page.locator("progress#job-progress")).to_have_attribute("value", "0")

    services.scoring_job_run(job_id=job.pk)
    expect(page.get_by_role("status")).to_contain_text("Version 2 is published.", timeout=10_000)
    expect(page.locator("progress#job-progress")).to_have_attribute("value", "100")


@pytest.mark.parametrize(
    ("language", "done"),
    [("en", "Import done: 3 customers created"), ("nl", "Import klaar: 3 klanten aangemaakt")],
)
def test_a_background_import_shows_its_progress_until_it_is_done(
    open_page, mira, own_redis, console_errors, language, done
):
    from scoring.imports import table_read

    use_broker(own_redis.url)
    redis.Redis.from_url(own_redis.url).flushdb()
    header = "external_id;name;account_manager_email;sector;annual_revenue;margin_pct;"
    rows = [header + "revenue_potential;payment_behaviour"]
    rows += [f"K{n};Klant {n};;Food;1000;10;0;" for n in range(3)]
    table = table_read("\n".join(rows).encode(), "groot.csv")
    job = services.import_job_start(kind="customers", table=table, file_name="groot.csv")
    page = open_page(mira, language=language)
    page.goto(reverse("scoring:job-detail", args=[job.pk]))
    expect(page.locator("h1")).to_contain_text("groot.csv")
    assert serious(page) == []

    services.scoring_job_run(job_id=job.pk)  # as the worker does
    expect(page.get_by_role("status")).to_contain_text(done)
    expect(page.locator("progress#job-progress")).to_have_attribute("value", "100")
    expect(page.locator("#job-done-links")).to_be_visible()
    assert serious(page) == []
    assert console_errors == []
