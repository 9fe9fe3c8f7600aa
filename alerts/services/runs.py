"""What the signal, the tasks and beat run: evaluate and hand new alerts to e-mail."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from alerts.services.evaluation import EvaluationResult, alerts_evaluate
from alerts.services.inbox import snoozes_expire

logger = logging.getLogger(__name__)


def enqueue_immediate(alert_ids: Sequence[int]) -> bool:
    """Queue the e-mail of new alerts; with the broker away, the outbox sweep sends them."""
    from alerts import tasks

    return tasks.alerts_send_immediate.apply_async((list(alert_ids),)) is not None


def alerts_evaluate_and_notify(
    *, customer_ids: Sequence[int] | None = None, now: datetime | None = None
) -> EvaluationResult:
    """Evaluate the rules and, once committed, queue the e-mails of the alerts raised."""
    result = alerts_evaluate(customer_ids=customer_ids, now=now)
    if result.raised:
        raised = list(result.raised)
        transaction.on_commit(lambda: enqueue_immediate(raised))
    return result


def alerts_sweep(*, now: datetime | None = None) -> EvaluationResult:
    """The nightly sweep: snoozes that ran out return, and every rule is evaluated for every
    customer (time-based triggers such as stale, look-backs that slid, re-arming by time)."""
    now = now or timezone.now()
    snoozes_expire(today=timezone.localdate(now))
    return alerts_evaluate_and_notify(now=now)
