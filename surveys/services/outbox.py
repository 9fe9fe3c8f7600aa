"""The outbox: the invitation table holds what must be sent; this module queues the send
tasks for it (the only one that enqueues tasks) and sweeps up what did not get queued.

The broker may be away: queueing never fails the caller, and the next sweep finds whatever
is still pending. A claim of a worker that died mid-send is sorted out here too: its
invitations are sent again with the same link and Message-ID (at least once; the e-mails that
were in flight at the kill may arrive twice, never none).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from surveys import selectors
from surveys.models import Invitation

logger = logging.getLogger(__name__)

Status = Invitation.Status
SWEEP_LIMIT = 20_000
# A send task records its outcome every this many e-mails (one commit each, not one per mail).
MARK_EVERY = 10


def stale_after() -> timedelta:
    """A claim not refreshed for this long belongs to a worker that died mid-send."""
    return timedelta(seconds=settings.SURVEYS_SEND_STALE_SECONDS)


def requeue_after() -> timedelta:
    """The sweep leaves a pending invitation alone this long after its task was queued."""
    return timedelta(seconds=settings.SURVEYS_REQUEUE_SECONDS)


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
    """The outbox sweep: take back the claims of workers that died mid-send, then queue the
    pending invitations that are due and not waiting in the queue."""
    now = now or timezone.now()
    invitations_recover(now=now)
    ids = selectors.pending_due_ids(now=now, requeue_after=requeue_after(), limit=SWEEP_LIMIT)
    if not ids:
        return 0
    return enqueue_sends(ids, now=now)


def invitations_recover(*, now: datetime) -> tuple[int, int]:
    """Take back the claims of send tasks whose worker died mid-batch: send them again.

    A send task records its outcome every MARK_EVERY e-mails and refreshes its claim at least
    every tenth of SURVEYS_SEND_STALE_SECONDS, so a claim that has not moved for that long
    is dead. Of its rows, the first
    MARK_EVERY may have gone out (delivery unknown) and the rest were never tried. Both go back
    to pending and are queued by this sweep: the first e-mail's link and Message-ID are the
    same on every try, so a second copy opens the same invitation and a mail server can drop
    it. The uncertain rows count an attempt, so an e-mail that kills its worker every time ends
    failed after SURVEYS_SEND_MAX_ATTEMPTS tries. Returns (uncertain, untried).
    """
    sending = Q(status=Status.SENDING, claimed_at__lt=now - stale_after())
    stale = list(
        Invitation.objects.filter(sending)
        .order_by("claim_id", "pk")
        .values_list("claim_id", "pk", "attempts")
    )
    uncertain: list[tuple[int, int]] = []
    untried: list[int] = []
    for _claim, rows in groupby(stale, key=lambda row: row[0]):
        listed = [(pk, attempts) for _claim_id, pk, attempts in rows]
        uncertain.extend(listed[:MARK_EVERY])
        untried.extend(pk for pk, _attempts in listed[MARK_EVERY:])
    back = {"status": Status.PENDING, "claim_id": None, "claimed_at": None, "queued_at": None}
    last_try = [
        pk for pk, attempts in uncertain if attempts + 1 >= settings.SURVEYS_SEND_MAX_ATTEMPTS
    ]
    again = [pk for pk, attempts in uncertain if attempts + 1 < settings.SURVEYS_SEND_MAX_ATTEMPTS]
    # Technical, like the SMTP replies next to them: not translated.
    if again:
        Invitation.objects.filter(sending, pk__in=again).update(
            **back,
            attempts=F("attempts") + 1,
            next_attempt_at=None,
            last_error="Sending was interrupted (the worker stopped); sent again, same link.",
        )
    if last_try:
        Invitation.objects.filter(sending, pk__in=last_try).update(
            status=Status.FAILED,
            claim_id=None,
            attempts=F("attempts") + 1,
            last_error="Sending was interrupted (the worker stopped) every time; delivery unknown.",
        )
    if untried:
        Invitation.objects.filter(sending, pk__in=untried).update(**back)
    if stale:
        logger.warning(
            "Took back %d invitations of send tasks whose worker stopped (%d possibly delivered)",
            len(stale),
            len(uncertain),
        )
    return len(uncertain), len(untried)


def reminders_enqueue_due(*, now: datetime | None = None) -> int:
    """Queue reminders for the sent, unanswered invitations whose reminder is due."""
    now = now or timezone.now()
    ids = selectors.reminder_due_ids(now=now, limit=SWEEP_LIMIT)
    return enqueue_reminders(ids) if ids else 0
