"""Celery tasks of scoring: thin, they take ids and call a service; each may run twice.

``job_run`` works through a background job (publish, recompute) in batches. It hands over to a
fresh task every few seconds, so no task comes near the time limit, and a worker that starts
queues every job an earlier worker left unfinished.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import DatabaseError

from klantbinding.lib.tasks import OutboxTask

logger = logging.getLogger(__name__)


@shared_task(
    name="scoring.job_run",
    bind=True,
    base=OutboxTask,
    # Acknowledged after the work and put back when the worker dies: the job row says where
    # to continue, so the second run does no batch twice.
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
)
def job_run(self: Any, job_id: int) -> str:
    """Run batches of the job for a few seconds, then queue the rest as a new task."""
    from scoring import services

    deadline = time.monotonic() + getattr(settings, "SCORING_JOB_SLICE_SECONDS", 20)
    try:
        while services.scoring_job_step(job_id=job_id):
            if time.monotonic() > deadline:
                job_run.delay(job_id)
                return "continues"
    except Exception as exc:
        if self.request.retries < self.max_retries:
            countdown = getattr(settings, "SCORING_JOB_RETRY_SECONDS", 5)
            raise self.retry(exc=exc, countdown=countdown) from exc
        services.scoring_job_fail(job_id=job_id, error=str(exc))
        raise
    return "done"


@worker_ready.connect
def jobs_resume_on_worker_start(sender: Any = None, **kwargs: Any) -> None:
    """A worker that starts takes up the jobs a stopped one left unfinished."""
    from scoring import services

    try:
        services.scoring_jobs_resume()
    except DatabaseError:  # pragma: no cover - the worker still starts
        logger.exception("Could not resume the unfinished background jobs")
