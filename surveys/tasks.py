"""Celery tasks: thin, they take ids and call a service. Every one may run twice harmlessly.

Beat runs the four sweeps (the schedule lives in django-celery-beat, created by a migration
and editable in the admin); the send tasks are queued after commit by the services.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from klantbinding.lib.tasks import OutboxTask

SEND_OPTIONS = {
    "bind": True,
    "base": OutboxTask,
    # Acknowledge after the work, and put the message back when the worker dies, so a lost
    # worker does not lose the task; the row claim makes the second run send nothing twice.
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": None,  # the invitation row counts the attempts (SURVEYS_SEND_MAX_ATTEMPTS)
}


@shared_task(name="surveys.invitations_send", **SEND_OPTIONS)
def invitations_send(self, invitation_ids: list[int]) -> dict:
    """Send the first e-mail of these invitations; retry temporary failures with backoff."""
    from surveys import services

    result = services.invitations_send(invitation_ids=invitation_ids)
    if result.retry and result.retry_at is not None:
        countdown = max(1.0, (result.retry_at - timezone.now()).total_seconds())
        raise self.retry(args=(result.retry,), countdown=countdown)
    return {"sent": len(result.sent), "failed": len(result.failed), "skipped": len(result.skipped)}


@shared_task(name="surveys.reminders_send", **SEND_OPTIONS)
def reminders_send(self, invitation_ids: list[int]) -> dict:
    """Send the due reminders of these invitations (a failure waits for the next sweep)."""
    from surveys import services

    result = services.reminders_send(invitation_ids=invitation_ids)
    return {"sent": len(result.sent), "failed": len(result.failed), "retry": len(result.retry)}


@shared_task(name="surveys.round_dispatch", base=OutboxTask)
def round_dispatch(round_id: int) -> int:
    """Queue the send tasks of a round that just opened (in batches of invitations)."""
    from surveys import services

    return services.round_dispatch(round_id=round_id)


@shared_task(name="surveys.rounds_open_due", base=OutboxTask)
def rounds_open_due() -> int:
    """Beat: open the current round of every active campaign that has none yet."""
    from surveys import services

    return len(services.rounds_open_due())


@shared_task(name="surveys.invitations_sweep", base=OutboxTask)
def invitations_sweep() -> int:
    """Beat: queue whatever pending invitation is due and not already queued."""
    from surveys import services

    return services.invitations_sweep()


@shared_task(name="surveys.reminders_send_due", base=OutboxTask)
def reminders_send_due() -> int:
    """Beat: queue the reminders that are due."""
    from surveys import services

    return services.reminders_enqueue_due()


@shared_task(name="surveys.invitations_expire", base=OutboxTask)
def invitations_expire() -> int:
    """Beat: expire invitations and close rounds past their date."""
    from surveys import services

    return services.invitations_expire()
