"""Celery tasks: thin, they take ids and call a service. Every one may run twice harmlessly
(evaluation keeps one unresolved alert per rule and customer; e-mails are claimed first)."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class SafeQueueTask(DjangoTask):
    """Queueing never fails the caller: with the broker away it logs and returns None, and
    the nightly evaluation or the e-mail sweep picks the work up."""

    def apply_async(self, *args, **kwargs):
        try:
            return super().apply_async(*args, **kwargs)
        except (OperationalError, OSError, RedisError) as exc:
            logger.warning("Broker unreachable, %s not queued (%s)", self.name, exc)
            return None


@shared_task(name="alerts.evaluate", base=SafeQueueTask, acks_late=True)
def alerts_evaluate(customer_ids: list[int]) -> int:
    """Evaluate the alert rules for customers with new snapshots; returns alerts raised."""
    from alerts import services

    return len(services.alerts_evaluate_and_notify(customer_ids=customer_ids).raised)


@shared_task(name="alerts.sweep", base=SafeQueueTask)
def alerts_sweep() -> int:
    """Beat (nightly): evaluate every rule for every customer; returns alerts raised."""
    from alerts import services

    return len(services.alerts_sweep().raised)


@shared_task(
    name="alerts.send_immediate",
    base=SafeQueueTask,
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


@shared_task(name="alerts.immediate_sweep", base=SafeQueueTask)
def alerts_immediate_sweep() -> int:
    """Beat: send immediate alert e-mails that were not sent (broker or SMTP trouble)."""
    from alerts import services

    return len(services.immediate_sweep().sent)


@shared_task(name="alerts.send_digests", base=SafeQueueTask, acks_late=True)
def alerts_send_digests() -> int:
    """Beat (07:00): the daily digest, one e-mail per user with something in it."""
    from alerts import services

    return len(services.digests_send().sent)


@shared_task(name="alerts.send_weekly", base=SafeQueueTask, acks_late=True)
def alerts_send_weekly() -> int:
    """Beat (Monday 07:00): management's weekly summary."""
    from alerts import services

    return len(services.weekly_summaries_send().sent)
