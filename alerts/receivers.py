"""Reacting to scoring's signals (scoring never imports alerts)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings

logger = logging.getLogger(__name__)


def evaluate_new_snapshots(
    sender: object, *, customer_ids: Sequence[int], computed_at: datetime, **kwargs: object
) -> None:
    """After new snapshots are committed: a few customers (a submitted matrix, a survey
    answer) are evaluated here and now, so the alert is there when the page reloads; more (an
    import, a model publish) go to a Celery task. A failure never breaks the caller: the
    nightly sweep evaluates everyone again."""
    from alerts import services, tasks

    ids = [int(i) for i in customer_ids]
    if len(ids) <= settings.ALERTS_INLINE_CUSTOMERS:
        try:
            services.alerts_evaluate_and_notify(customer_ids=ids)
        except Exception:
            logger.exception("Evaluating alerts for %d customers failed", len(ids))
        return
    tasks.alerts_evaluate.apply_async((ids,))
