"""Celery tasks: thin, they take ids and call a service. Every one may run twice harmlessly.

Beat runs ``actions.digests_send_due`` once a day (the schedule lives in django-celery-beat,
created by a migration and editable in the admin); it queues one ``actions.digest_send`` per
owner, which claims the owner's day before mailing, so a second run sends nothing twice.
"""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task

from klantbinding.lib.tasks import OutboxTask

logger = logging.getLogger(__name__)


@shared_task(
    name="actions.digest_send",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=60,
    retry_jitter=True,
    max_retries=6,
)
def digest_send(owner_id: int, day: str) -> str:
    """Send one owner the digest of ``day`` (ISO date), at most once."""
    from datetime import date

    from actions import services

    return services.digest_send(owner_id=owner_id, today=date.fromisoformat(day)).result


@shared_task(name="actions.digests_send_due")
def digests_send_due() -> int:
    """Beat, once a day: queue the digest of every owner with actions due or overdue."""
    from django.utils import timezone

    from actions import services

    today = timezone.localdate()
    owners = services.digests_due_owners(today=today)
    for owner_id in owners:
        digest_send.delay(owner_id, today.isoformat())
    logger.info("Queued %d action digests for %s", len(owners), today)
    return len(owners)


@shared_task(name="actions.measurements_request_due")
def measurements_request_due() -> int:
    """Beat, once a day: ask for the survey round of the actions whose horizon has come."""
    from actions import services

    return services.measurements_request_due().requested


@shared_task(name="actions.effect_report_rebuild", base=OutboxTask)
def effect_report_rebuild() -> str:
    """Compute the effect report of today's inputs and store it (nothing when it is stored)."""
    from actions import services

    result = services.effect_report_rebuild()
    return f"{result.version[:12]} {'computed' if result.computed else 'unchanged'}"
