"""The outbox: the invitation table holds what must be sent; this module queues the send
tasks for it (the only one that enqueues tasks) and sweeps up what did not get queued.

The broker may be away: queueing never fails the caller, and the next sweep finds whatever
is still pending. A claim of a worker that died mid-send is sorted out here too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from surveys import selectors
from surveys.models import Invitation

logger = logging.getLogger(__name__)

Status = Invitation.Status
# A claim older than this belongs to a worker that died mid-send (longer than any task runs).
STALE_CLAIM = timedelta(minutes=15)
# The sweep leaves a pending invitation alone this long after its task was queued.
REQUEUE_AFTER = timedelta(minutes=10)
SWEEP_LIMIT = 20_000
# A send task records its outcome every this many e-mails (one commit each, not one per mail).
MARK_EVERY = 10


def _batches(ids: Sequence[int], size: int) -> list[list[int]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def enqueue_sends(ids: Sequence[int], *, now: datetime | None = None) -> int:
    """Queue send tasks for these invitations in batches; stop at the first broker error.

    Marks what was queued, so the sweep leaves it alone for a while. Returns how many
    invitations were queued.
    """
    from surveys import tasks

    return _enqueue(tasks.invitations_send, ids, mark_queued=True, now=now)


def enqueue_round(round_id: int) -> bool:
    """Queue the task that queues a new round's send tasks (a web request queues one task)."""
    from surveys import tasks

    if tasks.round_dispatch.apply_async((round_id,)) is None:
        return False  # the broker is away; the sweep finds the round's pending invitations
    Invitation.objects.filter(
        round_id=round_id, status=Status.PENDING, queued_at__isnull=True
    ).update(queued_at=timezone.now())
    return True


def round_dispatch(*, round_id: int) -> int:
    """Queue send tasks for the round's pending invitations, in batches."""
    ids = list(
        Invitation.objects.filter(round_id=round_id, status=Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now()))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return enqueue_sends(ids) if ids else 0


def enqueue_reminders(ids: Sequence[int]) -> int:
    from surveys import tasks

    return _enqueue(tasks.reminders_send, ids, mark_queued=False)


def _enqueue(task, ids: Sequence[int], *, mark_queued: bool, now: datetime | None = None) -> int:
    from klantbinding.celery import app

    queued: list[int] = []
    batches = _batches(ids, max(1, settings.SURVEYS_SEND_BATCH_SIZE))
    try:
        with app.producer_or_acquire() as producer:
            for batch in batches:
                if task.apply_async((batch,), producer=producer) is None:
                    break  # the broker is away; the task class has logged it
                queued.extend(batch)
    except Exception as exc:  # never let the broker break the caller
        logger.warning("Could not queue %s: %s; the outbox sweep sends later", task.name, exc)
    if queued and mark_queued:
        stamp = now or timezone.now()
        for chunk in _batches(queued, 5000):
            Invitation.objects.filter(pk__in=chunk, status=Status.PENDING).update(queued_at=stamp)
    if len(queued) < len(ids):
        logger.warning(
            "%d of %d invitations not queued (broker unreachable); the sweep will send them",
            len(ids) - len(queued),
            len(ids),
        )
    return len(queued)


def invitations_sweep(*, now: datetime | None = None) -> int:
    """The outbox sweep: queue pending invitations that are due and not waiting in the queue;
    give up on claims of workers that died mid-send (marked failed, for management to see)."""
    now = now or timezone.now()
    invitations_recover(now=now)
    ids = selectors.pending_due_ids(now=now, requeue_after=REQUEUE_AFTER, limit=SWEEP_LIMIT)
    if not ids:
        return 0
    return enqueue_sends(ids, now=now)


def invitations_recover(*, now: datetime) -> tuple[int, int]:
    """Sort out the claims of send tasks whose worker died mid-batch.

    A task records its outcome every MARK_EVERY e-mails, in the order of the rows, so of a
    dead claim's rows the first MARK_EVERY may have gone out (marked failed, for management
    to see and resend) and the rest were never tried (put back to pending). Returns both counts.
    """
    stale = list(
        Invitation.objects.filter(status=Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
        .order_by("claim_id", "pk")
        .values_list("claim_id", "pk")
    )
    unknown: list[int] = []
    untried: list[int] = []
    for _claim, rows in groupby(stale, key=lambda row: row[0]):
        pks = [pk for _claim_id, pk in rows]
        unknown.extend(pks[:MARK_EVERY])
        untried.extend(pks[MARK_EVERY:])
    sending = Q(status=Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    if unknown:
        Invitation.objects.filter(sending, pk__in=unknown).update(
            status=Status.FAILED,
            claim_id=None,
            # Technical, like the SMTP replies next to it: not translated.
            last_error="Sending was interrupted (the worker stopped); delivery is unknown.",
        )
    if untried:
        Invitation.objects.filter(sending, pk__in=untried).update(
            status=Status.PENDING, claim_id=None, claimed_at=None, token_hash=""
        )
    return len(unknown), len(untried)


def reminders_enqueue_due(*, now: datetime | None = None) -> int:
    """Queue reminders for the sent, unanswered invitations whose reminder is due."""
    now = now or timezone.now()
    ids = selectors.reminder_due_ids(now=now, limit=SWEEP_LIMIT)
    return enqueue_reminders(ids) if ids else 0
