"""Celery tasks: thin, they take ids and call a service. Each may run twice harmlessly:
events have a unique key per cause, and a delivery is claimed before it is sent."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from klantbinding.lib.tasks import OutboxTask


@shared_task(name="api.events_collect", base=OutboxTask, acks_late=True)
def events_collect() -> int:
    """Turn new snapshots, alerts, overdue actions and departures into webhook events, and
    queue their deliveries; returns the events made."""
    from api.services.events import events_collect as collect

    events = collect()
    if events:
        deliveries_queue()
    return len(events)


def deliveries_queue() -> int:
    """Queue a delivery task for every delivery that is due."""
    from api.services.delivery import deliveries_due

    due = deliveries_due()
    for delivery_id in due:
        webhook_deliver.apply_async((delivery_id,))
    return len(due)


@shared_task(name="api.webhook_deliver", base=OutboxTask, bind=True, acks_late=True)
def webhook_deliver(self: Any, delivery_id: int) -> bool:
    """Try one delivery; a failure queues the next try after its backoff (the minute sweep
    picks up any that the broker lost)."""
    from api.services.delivery import delivery_send

    outcome = delivery_send(delivery_id=delivery_id)
    if outcome is not None and outcome.retry_in is not None:
        webhook_deliver.apply_async((delivery_id,), countdown=outcome.retry_in)
    return bool(outcome and outcome.delivered)


@shared_task(name="api.webhooks_sweep", base=OutboxTask)
def webhooks_sweep() -> int:
    """Beat (every minute): collect events and queue every due delivery; returns queued."""
    from api.services.events import events_collect as collect

    collect()
    return deliveries_queue()
