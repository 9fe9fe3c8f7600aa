"""Reacting to scoring's signals (scoring never imports alerts)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

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


# --------------------------------------------------------------------------------------------
# The actions and relations apps' facts: a departure recorded, a contact logged or removed, an
# action saved. The customer is evaluated once the transaction commits, so a departure raises
# its alert at once and a logged contact or a finished action resolves theirs at once (the
# nightly sweep does the time-based rest: actions falling overdue, rhythms passing their
# maximum). Saves in one transaction (an import) are evaluated together.
# --------------------------------------------------------------------------------------------

_waiting = threading.local()


def evaluate_on_commit(customer_id: int) -> None:
    """Evaluate this customer's alerts once the current transaction commits."""
    ids: set[int] | None = getattr(_waiting, "ids", None)
    if ids is None:
        ids = _waiting.ids = set()
    ids.add(int(customer_id))
    # One callback per save; the first to run takes every waiting id, the others find none.
    # Ids left by a rolled-back transaction are evaluated with the next commit (harmless).
    transaction.on_commit(_evaluate_waiting)


def _evaluate_waiting() -> None:
    ids: set[int] | None = getattr(_waiting, "ids", None)
    if not ids:
        return
    taken = sorted(ids)
    ids.clear()
    evaluate_new_snapshots(None, customer_ids=taken, computed_at=timezone.now())


def _customer_saved(sender: object, instance: Any, raw: bool = False, **kwargs: object) -> None:
    if not raw and getattr(instance, "customer_id", None):
        evaluate_on_commit(instance.customer_id)


def _customer_deleted(sender: object, instance: Any, **kwargs: object) -> None:
    if getattr(instance, "customer_id", None):
        evaluate_on_commit(instance.customer_id)


def connect_linked_apps() -> None:
    """Listen to the saves of the models the linked triggers read (in AlertsConfig.ready)."""
    from actions.models import Action
    from relations.models import ContactMoment, Departure

    for model in (Departure, ContactMoment, Action):
        post_save.connect(
            _customer_saved, sender=model, dispatch_uid=f"alerts.saved.{model.__name__}"
        )
    for model in (Departure, ContactMoment):
        post_delete.connect(
            _customer_deleted, sender=model, dispatch_uid=f"alerts.deleted.{model.__name__}"
        )
