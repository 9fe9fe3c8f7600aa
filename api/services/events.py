"""Webhook events: collected from what the other apps stored (new score snapshots, alerts,
overdue actions, departures), each once (a unique key per cause), and queued as one
delivery per endpoint that wants it.

The collector reads the sources from a cursor (the last id turned into events) instead of
hooking the writes: alerts are written in bulk and snapshots by raw SQL, where no model
signal fires, and a collector that runs twice (the signal's task and beat's minute) makes no
second event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from actions.models import OPEN_STATUSES, Action
from alerts.models import Alert
from api.models import EventCursor, EventType, WebhookDelivery, WebhookEndpoint, WebhookEvent
from klantbinding.lib.db import chunked
from relations.models import Departure
from scoring import calculations, movement
from scoring.models import ScoreSnapshot

SOURCES: dict[str, Any] = {"snapshots": ScoreSnapshot, "alerts": Alert, "departures": Departure}


def cursors_start(*, reset: bool = False) -> None:
    """Make the missing cursors (``reset``: all of them) at each source's newest row: events
    start from now, not from the history before the first endpoint."""
    for source, model in SOURCES.items():
        last = model.objects.aggregate(last=Max("id"))["last"] or 0
        cursor, created = EventCursor.objects.get_or_create(
            source=source, defaults={"last_id": last}
        )
        if reset and not created and cursor.last_id < last:
            _advance(source, last)


def wanted_types() -> set[str]:
    """The event types some active endpoint wants."""
    wanted: set[str] = set()
    for events in WebhookEndpoint.objects.filter(active=True).values_list("events", flat=True):
        wanted.update(events or [])
    return wanted


@dataclass
class _Batch:
    events: list[WebhookEvent] = field(default_factory=list)

    def add(
        self, type_: str, key: str, customer_id: int | None, at: datetime, data: dict[str, Any]
    ) -> None:
        event = WebhookEvent(type=type_, key=key, customer_id=customer_id, occurred_at=at)
        event.payload = {
            "id": str(event.id),
            "type": type_,
            "timestamp": at.isoformat(),
            "data": data,
        }
        self.events.append(event)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _advance(source: str, new_last: int) -> None:
    EventCursor.objects.filter(source=source, last_id__lt=new_last).update(last_id=new_last)


def _claim(source: str) -> int | None:
    """The cursor's last id, its row locked until the transaction ends (PostgreSQL)."""
    cursor = EventCursor.objects.select_for_update().filter(source=source).first()
    return cursor.last_id if cursor is not None else None


def _snapshot_events(batch: _Batch, wanted: set[str], limit: int) -> None:
    last = _claim("snapshots")
    if last is None:
        return
    new = list(
        ScoreSnapshot.objects.filter(id__gt=last)
        .select_related("customer", "scoring_model")
        .order_by("id")[:limit]
    )
    if not new:
        return
    _advance("snapshots", new[-1].id)
    if not wanted & {EventType.SCORE_CHANGED, EventType.BAND_CHANGED}:
        return
    # Each new snapshot's predecessor: the customer's snapshot just before it.
    before: dict[int, ScoreSnapshot | None] = {}
    customer_ids = sorted({s.customer_id for s in new})
    history: dict[int, list[ScoreSnapshot]] = {}
    for chunk in chunked(customer_ids):
        for snap in ScoreSnapshot.objects.filter(customer_id__in=chunk).order_by(
            "customer_id", "computed_at", "id"
        ):
            history.setdefault(snap.customer_id, []).append(snap)
    for snap in new:
        rows = history.get(snap.customer_id, [])
        ids = [r.id for r in rows]
        position = ids.index(snap.id) if snap.id in ids else -1
        before[snap.id] = rows[position - 1] if position > 0 else None
    pairs = [(before[s.id], s) for s in new if before[s.id] is not None]
    moves = {m.after_snapshot_id: m for m in movement.movements(pairs, with_assessments=False)}
    for snap in new:
        previous = before[snap.id]
        if previous is None:
            continue
        score_moved = _tenths(snap.binding_score) != _tenths(previous.binding_score)
        band_moved = snap.band != previous.band
        if not (score_moved or band_moved):
            continue
        moved = moves.get(snap.id)
        data = {
            "customer": snap.customer.external_id,
            "customer_name": snap.customer.name,
            "score": snap.binding_score,
            "band": snap.band,
            "provisional": snap.provisional,
            "coverage": snap.coverage,
            "model_version": snap.scoring_model.version,
            "computed_at": _iso(snap.computed_at),
            "previous_score": previous.binding_score,
            "previous_band": previous.band,
            "previous_computed_at": _iso(previous.computed_at),
            "change": moved.shown_change if moved else None,
            "reweighted": previous.scoring_model_id != snap.scoring_model_id,
            "why": [
                {"element": line.code, "name": line.name, "change": line.shown}
                for line in (moved.lines if moved else ())
                if line.shown
            ],
        }
        if score_moved and EventType.SCORE_CHANGED in wanted:
            batch.add(
                EventType.SCORE_CHANGED,
                f"score.changed:{snap.id}",
                snap.customer_id,
                snap.computed_at,
                data,
            )
        if band_moved and EventType.BAND_CHANGED in wanted:
            batch.add(
                EventType.BAND_CHANGED,
                f"band.changed:{snap.id}",
                snap.customer_id,
                snap.computed_at,
                data,
            )


def _tenths(score: float | None) -> float | None:
    """The score as the user reads it (one decimal, half up): a change below that is none."""
    return None if score is None else float(calculations.round_half_up(score))


def _alert_events(batch: _Batch, wanted: set[str], limit: int) -> None:
    last = _claim("alerts")
    if last is None:
        return
    new = list(Alert.objects.filter(id__gt=last).select_related("customer").order_by("id")[:limit])
    if not new:
        return
    _advance("alerts", new[-1].id)
    if EventType.ALERT_FIRED not in wanted:
        return
    for alert in new:
        batch.add(
            EventType.ALERT_FIRED,
            f"alert.fired:{alert.id}",
            alert.customer_id,
            alert.opened_at,
            {
                "alert": alert.id,
                "customer": alert.customer.external_id,
                "customer_name": alert.customer.name,
                "trigger": alert.trigger,
                "severity": alert.severity,
                "opened_at": _iso(alert.opened_at),
                "score_before": alert.score_before,
                "score_after": alert.score_after,
                "band_before": alert.band_before,
                "band_after": alert.band_after,
                "element": alert.element_code,
                "why": [
                    {"element": code, "change": shown / 10.0}
                    for code, _exact, shown in alert.lines or []
                    if code or shown
                ],
            },
        )


def _departure_events(batch: _Batch, wanted: set[str], limit: int) -> None:
    last = _claim("departures")
    if last is None:
        return
    new = list(
        Departure.objects.filter(id__gt=last).select_related("customer").order_by("id")[:limit]
    )
    if not new:
        return
    _advance("departures", new[-1].id)
    if EventType.CUSTOMER_DEPARTED not in wanted:
        return
    for departure in new:
        batch.add(
            EventType.CUSTOMER_DEPARTED,
            f"customer.departed:{departure.id}",
            departure.customer_id,
            departure.recorded_at,
            {
                "departure": departure.id,
                "customer": departure.customer.external_id,
                "customer_name": departure.customer.name,
                "kind": departure.kind,
                "decided_on": departure.decided_on.isoformat(),
                "left_on": departure.left_on.isoformat(),
                "revenue_lost": str(departure.revenue_lost),
                "competitor": departure.competitor,
            },
        )


def _overdue_events(batch: _Batch, wanted: set[str], now: datetime) -> None:
    """Each open action past its due date, once per due date (a new date can be late again)."""
    if EventType.ACTION_OVERDUE not in wanted:
        return
    today = timezone.localdate(now)
    overdue = list(
        Action.objects.filter(status__in=OPEN_STATUSES, due_on__lt=today)
        .exclude(status=Action.Status.PROPOSED)
        .select_related("customer", "action_type", "owner")
    )
    keys = [f"action.overdue:{a.id}:{a.due_on.isoformat()}" for a in overdue]
    known: set[str] = set()
    for chunk in chunked(keys):
        known.update(WebhookEvent.objects.filter(key__in=chunk).values_list("key", flat=True))
    for action, key in zip(overdue, keys, strict=True):
        if key in known:
            continue
        batch.add(
            EventType.ACTION_OVERDUE,
            key,
            action.customer_id,
            now,
            {
                "action": action.id,
                "customer": action.customer.external_id,
                "customer_name": action.customer.name,
                "action_type": action.action_type.code,
                "element": action.element_code,
                "title": action.title,
                "status": action.status,
                "due_on": action.due_on.isoformat(),
                "owner_email": action.owner.email,
            },
        )


def events_store(events: Iterable[WebhookEvent]) -> list[WebhookEvent]:
    """Store new events (a key seen before is skipped) and one delivery per endpoint that
    wants each; returns the events stored."""
    events = list(events)
    if not events:
        return []
    WebhookEvent.objects.bulk_create(events, ignore_conflicts=True, batch_size=500)
    stored = {
        e.id: e
        for chunk in chunked([e.id for e in events])
        for e in WebhookEvent.objects.filter(id__in=chunk)
    }
    fresh = [e for e in events if e.id in stored]
    endpoints = list(WebhookEndpoint.objects.filter(active=True))
    deliveries = [
        WebhookDelivery(endpoint=endpoint, event=event)
        for event in fresh
        for endpoint in endpoints
        if endpoint.wants(event.type)
    ]
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=1000)
    return fresh


def events_collect(*, now: datetime | None = None, limit: int = 5000) -> list[WebhookEvent]:
    """Turn what happened since the last run into events and queued deliveries."""
    now = now or timezone.now()
    if not WebhookEndpoint.objects.filter(active=True).exists():
        return []
    wanted = wanted_types()
    batch = _Batch()
    with transaction.atomic():
        cursors_start()
        _snapshot_events(batch, wanted, limit)
        _alert_events(batch, wanted, limit)
        _departure_events(batch, wanted, limit)
        _overdue_events(batch, wanted, now)
        return events_store(batch.events)
