"""Queueing Celery tasks without failing the caller when the broker is away.

Why it exists: the rows in the database are the outbox (survey invitations, background
jobs, alerts to evaluate or send, digests, webhook events, the stored effect report), so a web
request that could not queue its task has lost nothing: a sweep, a beat run or a worker starting
up queues it later. The page must not fail, or hang, on a missing broker.
"""

from __future__ import annotations

import logging
from typing import Any

from celery.contrib.django.task import DjangoTask
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

BROKER_ERRORS: tuple[type[Exception], ...] = (OperationalError, OSError)
try:  # the broker's own connection errors, when the broker is Redis
    from redis.exceptions import RedisError

    BROKER_ERRORS = (*BROKER_ERRORS, RedisError)
except ImportError:  # pragma: no cover - redis is a dependency
    pass


class OutboxTask(DjangoTask):
    """A task whose queueing never fails the caller: the database is the outbox.

    When the broker cannot be reached, ``apply_async`` logs and returns None; the row is still
    waiting and the next sweep (or worker start) queues it again once the broker is back.
    """

    def apply_async(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().apply_async(*args, **kwargs)
        except BROKER_ERRORS as exc:
            logging.getLogger(self.name.split(".")[0]).warning(
                "Broker unreachable, %s not queued (%s); a sweep queues it again later",
                self.name,
                exc,
            )
            return None
