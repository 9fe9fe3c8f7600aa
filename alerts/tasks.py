"""Celery tasks: thin, they take ids and call a service. Every one may run twice harmlessly
(evaluation keeps one unresolved alert per rule and customer; e-mails are claimed first)."""

from __future__ import annotations

from celery import shared_task

from klantbinding.lib.tasks import OutboxTask


@shared_task(name="alerts.evaluate", base=OutboxTask, acks_late=True)
def alerts_evaluate(customer_ids: list[int]) -> int:
    """Evaluate the alert rules for customers with new snapshots; returns alerts raised."""
    from alerts import services

    return len(services.alerts_evaluate_and_notify(customer_ids=customer_ids).raised)


@shared_task(name="alerts.sweep", base=OutboxTask)
def alerts_sweep() -> int:
    """Beat (nightly): evaluate every rule for every customer; returns alerts raised."""
    from alerts import services

    return len(services.alerts_sweep().raised)


@shared_task(
    name="alerts.send_immediate",
    base=OutboxTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=5,
)
def alerts_send_immediate(self, alert_ids: list[int]) -> int:
    """E-mail new alerts to whoever wants them at once; a failure is retried with backoff."""
    from alerts import services

    try:
        return len(services.alerts_send_immediate(alert_ids=alert_ids).sent)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc


@shared_task(name="alerts.immediate_sweep", base=OutboxTask)
def alerts_immediate_sweep() -> int:
    """Beat: send immediate alert e-mails that were not sent (broker or SMTP trouble)."""
    from alerts import services

    return len(services.immediate_sweep().sent)


@shared_task(name="alerts.send_digests", base=OutboxTask, acks_late=True)
def alerts_send_digests() -> int:
    """Beat (07:00): the daily digest, one e-mail per user with something in it."""
    from alerts import services

    return len(services.digests_send().sent)


@shared_task(name="alerts.send_weekly", base=OutboxTask, acks_late=True)
def alerts_send_weekly() -> int:
    """Beat (Monday 07:00): management's weekly summary."""
    from alerts import services

    return len(services.weekly_summaries_send().sent)
