"""Background jobs: publishing a scoring model and recomputing every score, in batches; and
importing a large spreadsheet, all or nothing (``import_job_start``).

A job is a row (``ScoringJob``); the Celery task ``scoring.job_run`` only calls
``scoring_job_step`` until it says the job is done. Each step locks the row, recomputes the
next batch of customers (in ``pk`` order, after ``last_customer_id``) and commits their new
snapshots together with the job's progress. So a job can be interrupted anywhere and run twice
at once: a batch is either committed with its progress or not at all, and the next step,
whichever worker runs it, starts after the last committed batch.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from scoring.models import Customer, ScoringJob, ScoringModel
from scoring.selectors.scoring_models import import_progress_key
from scoring.services.scores import scores_refresh
from scoring.services.scoring_models import (
    scoring_model_activate,
    scoring_model_check_publishable,
)

if TYPE_CHECKING:
    from scoring.imports.tables import Table

logger = logging.getLogger(__name__)

UNFINISHED = (ScoringJob.State.PENDING, ScoringJob.State.RUNNING)


class ScoringJobBusyError(ValidationError):
    """Another publish or recompute is still running: one at a time."""

    def __init__(self, job: ScoringJob) -> None:
        super().__init__(
            _("A background job is still running; wait until it is done, then try again.")
        )
        self.job = job


def batch_size() -> int:
    return max(1, int(getattr(settings, "SCORING_JOB_BATCH_SIZE", 1000)))


def scoring_job_start(
    *,
    kind: str,
    scoring_model: ScoringModel | None = None,
    user: AbstractBaseUser | None = None,
) -> ScoringJob:
    """A new job, queued for a worker once committed.

    Publishing checks the draft first (ValidationError). Publishing the same draft again while
    its job is unfinished (a double click) gives that job; any other unfinished job refuses
    (``ScoringJobBusyError``)."""
    if kind == ScoringJob.Kind.PUBLISH:
        if scoring_model is None:
            raise ValueError("publishing needs a scoring model")
        scoring_model_check_publishable(scoring_model)
    elif kind != ScoringJob.Kind.RECOMPUTE:
        raise ValueError(f"unknown job kind {kind!r}")
    with transaction.atomic():
        # Lock the active model's row: two starts at the same moment queue one job.
        list(ScoringModel.objects.select_for_update().filter(is_active=True))
        running = ScoringJob.objects.filter(state__in=UNFINISHED).first()
        if running is not None:
            if (
                kind == ScoringJob.Kind.PUBLISH
                and running.kind == kind
                and scoring_model is not None
                and running.scoring_model_id == scoring_model.pk
            ):
                return running
            raise ScoringJobBusyError(running)
        job = ScoringJob.objects.create(
            kind=kind,
            scoring_model=scoring_model if kind == ScoringJob.Kind.PUBLISH else None,
            created_by=user if isinstance(user, User) else None,
            total=Customer.objects.count(),
        )
        transaction.on_commit(lambda: scoring_job_enqueue(job_id=job.pk))
    return job


def scoring_job_enqueue(*, job_id: int) -> None:
    """Queue the job's task (a missing broker is logged: the job waits for a worker start).

    An import is one transaction, so its task may take longer than the usual time limit."""
    from scoring.tasks import job_run

    kind = ScoringJob.objects.filter(pk=job_id).values_list("kind", flat=True).first()
    if kind in IMPORT_KINDS:
        limit = int(getattr(settings, "KB_IMPORT_TASK_TIME_LIMIT", 1800))
        job_run.apply_async((job_id,), time_limit=limit, soft_time_limit=max(1, limit - 30))
    else:
        job_run.delay(job_id)


IMPORT_KINDS = (ScoringJob.Kind.IMPORT_CUSTOMERS, ScoringJob.Kind.IMPORT_ASSESSMENTS)


def import_in_background(table: Table) -> bool:
    """Whether a file is large enough to be imported by a worker (``KB_IMPORT_BACKGROUND_ROWS``
    rows or more) rather than within the page's request."""
    return len(table.rows) >= int(getattr(settings, "KB_IMPORT_BACKGROUND_ROWS", 2000))


def import_job_start(
    *, kind: str, table: Table, file_name: str, user: AbstractBaseUser | None = None
) -> ScoringJob:
    """A job that imports a checked table in the background, queued once committed.

    ``kind`` is ``uploads.CUSTOMERS`` or ``uploads.ASSESSMENTS``. One job at a time, as for a
    publish or recompute (``ScoringJobBusyError``): an import refreshes scores too."""
    from scoring.imports import uploads

    job_kind = {
        uploads.CUSTOMERS: ScoringJob.Kind.IMPORT_CUSTOMERS,
        uploads.ASSESSMENTS: ScoringJob.Kind.IMPORT_ASSESSMENTS,
    }[kind]
    with transaction.atomic():
        list(ScoringModel.objects.select_for_update().filter(is_active=True))
        running = ScoringJob.objects.filter(state__in=UNFINISHED).first()
        if running is not None:
            raise ScoringJobBusyError(running)
        job = ScoringJob.objects.create(
            kind=job_kind,
            created_by=user if isinstance(user, User) else None,
            total=len(table.rows),
            file_name=file_name[:255],
            payload=uploads.table_dumps(table),
        )
        transaction.on_commit(lambda: scoring_job_enqueue(job_id=job.pk))
    return job


class _ImportProgress:
    """The imports' progress callback, reporting to the cache: the check is the first half of
    the bar, the writing the second."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.stages: list[str] = []
        self.done = 0

    def __call__(self, stage: str, advance: int, total: int) -> None:
        if stage not in self.stages:
            self.stages.append(stage)
            self.done = 0
        self.done += advance
        writing = min(len(self.stages) - 1, 1)
        percent = min(99, 50 * writing + 50 * self.done // max(total, 1))
        cache.set(
            import_progress_key(self.job_id),
            {"percent": percent, "done": self.done, "total": total, "writing": writing},
            24 * 3600,
        )


def _import_step(job_id: int) -> bool:
    """Import the job's rows, all or nothing, in the transaction that marks the job done.

    The job's row is written first, so whoever runs the job holds its lock (a row lock in
    PostgreSQL, the database's write lock in SQLite) until the import is committed or rolled
    back: a second run of the same job waits, then finds it done."""
    from scoring import imports
    from scoring.imports import uploads

    with transaction.atomic():
        ScoringJob.objects.filter(pk=job_id).update(updated_at=timezone.now())
        job = ScoringJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state == ScoringJob.State.DONE or not job.payload:
            return False
        table = uploads.table_loads(job.payload)
        progress = _ImportProgress(job.pk)
        importer = (
            imports.customers_import
            if job.kind == ScoringJob.Kind.IMPORT_CUSTOMERS
            else imports.assessments_import
        )
        try:
            summary = importer(table=table, progress=progress, imported_by=job.created_by)
        except imports.ImportFailed as failure:
            job.error = failure.text()
            job.state = ScoringJob.State.FAILED
        except ValidationError as error:  # a service refusing what the checks let through
            job.error = "\n".join(error.messages)
            job.state = ScoringJob.State.FAILED
        else:
            job.summary = summary.__dict__
            job.done = len(table.rows)
            job.state = ScoringJob.State.DONE
        job.payload = ""  # the rows are imported, or can never be: they go
        job.finished_at = timezone.now()
        job.batches = 1
        job.save()
    cache.delete(import_progress_key(job_id))
    return False


def scoring_job_step(*, job_id: int) -> bool:
    """Do the next batch of the job; whether there is more to do.

    The first step of a publish makes the draft the active version (in the same transaction
    as the first batch)."""
    kind = ScoringJob.objects.filter(pk=job_id).values_list("kind", flat=True).first()
    if kind in IMPORT_KINDS:
        return _import_step(job_id)
    with transaction.atomic():
        job = ScoringJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state == ScoringJob.State.DONE:
            return False
        job.state = ScoringJob.State.RUNNING
        job.error = ""
        if job.kind == ScoringJob.Kind.PUBLISH:
            draft = job.scoring_model
            if draft is not None and draft.is_draft:
                scoring_model_activate(scoring_model=draft, user=job.created_by)
        size = batch_size()
        ids = list(
            Customer.objects.filter(pk__gt=job.last_customer_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        if ids:
            result = scores_refresh(
                customer_ids=ids, publishing=job.kind == ScoringJob.Kind.PUBLISH
            )
            job.done += len(ids)
            job.changed += result.changed
            job.band_changes += result.band_changes
            job.score_changes += result.score_changes
            job.coverage_changes += result.coverage_changes
            job.provisional_changes += result.provisional_changes
            job.batches += 1
            job.last_customer_id = ids[-1]
        if len(ids) < size:
            job.state = ScoringJob.State.DONE
            job.finished_at = timezone.now()
            job.total = job.done
        else:
            job.total = max(job.total, job.done)
        job.save()
        return job.state != ScoringJob.State.DONE


def scoring_job_run(*, job_id: int) -> ScoringJob:
    """Every remaining step of the job, here and now (tests, and a command line)."""
    while scoring_job_step(job_id=job_id):
        pass
    return ScoringJob.objects.get(pk=job_id)


def scoring_job_fail(*, job_id: int, error: str) -> None:
    """Mark the job as stopped with an error; its committed batches stay, a worker start
    resumes it after them."""
    ScoringJob.objects.filter(pk=job_id).exclude(state=ScoringJob.State.DONE).update(
        state=ScoringJob.State.FAILED, error=error[:2000], updated_at=timezone.now()
    )


def scoring_jobs_resume() -> list[int]:
    """Queue every job that is not done (a worker starts: whatever an earlier worker left
    unfinished continues after its last committed batch)."""
    ids = list(
        ScoringJob.objects.exclude(state=ScoringJob.State.DONE)
        # An import that failed on its rows has nothing left to run.
        .exclude(kind__in=IMPORT_KINDS, payload="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for job_id in ids:
        scoring_job_enqueue(job_id=job_id)
    if ids:
        logger.info("Resumed background jobs %s", ids)
    return ids
