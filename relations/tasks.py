"""Celery tasks: thin, they take ids and call a service. Every one may run twice harmlessly.

Beat runs the segment assignment every night, records the month's segments on the 1st,
queues the weekly overdue e-mails on Monday morning and sweeps unsent exit surveys (the
schedule lives in django-celery-beat, created by a migration, editable in the admin).
"""

from __future__ import annotations

import smtplib
from datetime import date

from celery import shared_task

from klantbinding.lib.tasks import OutboxTask


@shared_task(name="relations.segments_assign", base=OutboxTask)
def segments_assign() -> int:
    """Beat, nightly: give every active customer its segment by the rules; rhythms follow."""
    from relations import services

    return services.segments_assign(refresh_cadence="all").customers


@shared_task(name="relations.segments_monthly", base=OutboxTask)
def segments_monthly() -> int:
    """Beat, on the 1st: assign the segments and record them as the month's history."""
    from relations import services

    return services.segments_monthly()


@shared_task(name="relations.overdue_digests_queue", base=OutboxTask)
def overdue_digests_queue() -> int:
    """Beat, Monday morning: queue one e-mail per account manager with overdue customers."""
    from relations import services

    return services.overdue_digests_queue()


@shared_task(
    name="relations.overdue_digest_send",
    base=OutboxTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=60,
    retry_jitter=True,
    max_retries=4,
)
def overdue_digest_send(self, user_id: int, week: str) -> bool:
    """Send one account manager this week's overdue e-mail (claimed: sent once)."""
    from relations import services

    return services.overdue_digest_send(user_id=user_id, week=date.fromisoformat(week))


@shared_task(
    name="relations.exit_survey_send",
    base=OutboxTask,
    acks_late=True,
    reject_on_worker_lost=True,
)
def exit_survey_send(survey_id: int) -> bool:
    """Send one exit survey e-mail (claimed: sent once; a failure waits for the sweep)."""
    from relations import services

    return services.exit_survey_send(survey_id=survey_id)


@shared_task(name="relations.exit_surveys_sweep", base=OutboxTask)
def exit_surveys_sweep() -> int:
    """Beat: queue the exit surveys still waiting to be sent."""
    from relations import services

    return services.exit_surveys_sweep()
