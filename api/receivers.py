"""Reacting to the other apps' signals (they never import the API): new score snapshots and
departures start a collection of webhook events once their transaction has committed."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save


def collect_soon(sender: object = None, **kwargs: Any) -> None:
    """Queue an event collection when some endpoint listens (one cheap query otherwise)."""
    from api.models import WebhookEndpoint
    from api.tasks import events_collect

    if WebhookEndpoint.objects.filter(active=True).exists():
        transaction.on_commit(lambda: events_collect.apply_async())


def departure_saved(sender: object, *, created: bool = False, **kwargs: Any) -> None:
    if created:
        collect_soon()


def connect() -> None:
    from relations.models import Departure
    from scoring.signals import snapshots_stored

    # Sent after the snapshots' transaction committed; alerts (connected first) have been
    # evaluated for a few customers by then, so their alerts are collected in the same run.
    snapshots_stored.connect(collect_soon, dispatch_uid="api.collect_on_snapshots")
    post_save.connect(departure_saved, sender=Departure, dispatch_uid="api.collect_on_departure")
