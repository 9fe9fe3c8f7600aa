"""State readers for the triggers on the actions and relations apps' facts.

Each reader gets the evaluated customers (sorted ids) and the moment, and returns arrays
aligned to them for ``State.extra`` (``alerts.calculations`` names the columns). One query
each, whatever the number of customers: the rows read are the few that matter (running
actions past due, rhythms past their maximum, departures of the last year), so the nightly
sweep over the whole portfolio reads them all at once and keeps those of the customers in play.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import numpy as np
from django.db.models import QuerySet
from django.utils import timezone

from actions.models import Action
from alerts import calculations as calc
from klantbinding.lib import db
from relations.models import CadenceStatus, Departure

# The departure trigger's longest window (its parameter's maximum), so one read serves any rule.
DEPARTURE_LOOKBACK_DAYS = 366


def _placed(customer_ids: np.ndarray, rows: Iterable[tuple[int, object]], fill: object) -> list:
    """Values by customer placed at the customers' positions (``fill`` for the others)."""
    placed = [fill] * len(customer_ids)
    position = {int(c): i for i, c in enumerate(customer_ids.tolist())}
    for customer_id, value in rows:
        at = position.get(int(customer_id))
        if at is not None:
            placed[at] = value
    return placed


def _for_customers(queryset: QuerySet, customer_ids: np.ndarray) -> list[tuple]:
    """The queryset's rows for these customers: by chunk of ids for a few customers (an
    evaluation after a save), in one read for many (the nightly sweep)."""
    if len(customer_ids) > db.CHUNK_SIZE:
        return list(queryset)
    rows: list[tuple] = []
    for chunk in db.chunked(customer_ids.tolist()):
        rows.extend(queryset.filter(customer_id__in=chunk))
    return rows


def actions_overdue(customer_ids: np.ndarray, now: datetime) -> Mapping[str, np.ndarray]:
    """Per customer, how many days its most overdue running action is past its due date, and
    that action's element."""
    today = timezone.localdate(now)
    running = (
        Action.objects.filter(
            status__in=[Action.Status.OPEN, Action.Status.IN_PROGRESS], due_on__lt=today
        )
        .order_by("customer_id", "-due_on", "-pk")  # the earliest due date comes last, and wins
        .values_list("customer_id", "due_on", "element_code")
    )
    rows = _for_customers(running, customer_ids)
    days = _placed(customer_ids, ((c, (today - due).days) for c, due, _ in rows), np.nan)
    codes = _placed(customer_ids, ((c, code) for c, _, code in rows), "")
    return {
        calc.ACTION_OVERDUE_DAYS: np.array(days, dtype=float),
        calc.ACTION_OVERDUE_ELEMENT: np.array(codes, dtype=object),
    }


def contacts_lost(customer_ids: np.ndarray, now: datetime) -> Mapping[str, np.ndarray]:
    """Per customer whose contact rhythm lost touch, the days past the maximum: 1 on the
    first day after the maximum (relations stores that day as ``lost_from``)."""
    today = timezone.localdate(now)
    lost = CadenceStatus.objects.filter(lost_from__lte=today).values_list(
        "customer_id", "lost_from"
    )
    rows = _for_customers(lost, customer_ids)
    past = _placed(customer_ids, ((c, (today - since).days + 1) for c, since in rows), np.nan)
    return {calc.CONTACT_LOST_DAYS: np.array(past, dtype=float)}


def departures_recorded(customer_ids: np.ndarray, now: datetime) -> Mapping[str, np.ndarray]:
    """Per customer, the days since its newest departure was recorded (within a year)."""
    recorded = (
        Departure.objects.filter(
            recorded_at__gt=now - timedelta(days=DEPARTURE_LOOKBACK_DAYS), recorded_at__lte=now
        )
        .order_by("customer_id", "recorded_at", "pk")  # the newest comes last, and wins
        .values_list("customer_id", "recorded_at")
    )
    rows = _for_customers(recorded, customer_ids)
    since = _placed(
        customer_ids,
        ((c, (now - at).total_seconds() / calc.DAY) for c, at in rows),
        np.nan,
    )
    return {calc.DEPARTURE_DAYS: np.array(since, dtype=float)}


READERS = {
    "actions_overdue": actions_overdue,
    "contacts_lost": contacts_lost,
    "departures_recorded": departures_recorded,
}
