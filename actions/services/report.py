"""The effect report is computed once per change of its inputs and served from a store.

Why: at 10,000 customers the engine alone (matching, 2,000 bootstrap resamples per group) takes
over a second, and reading every element score behind it several more; a page that ran them on
every request could never answer in under a second. So the report is computed when its inputs
change and kept in ``EffectReportStore`` under a version (``selectors.report_version``: a hash
of the decided actions, the assignments, the settings, the active model and the number of
assessments, with today's date). A request reads the small inputs, hashes them and serves the
stored report when the version matches.

When it does not match: with ``ACTIONS_EFFECT_REPORT_BACKGROUND`` on (production) the page
shows the report it has, says when it was computed and that a newer one is on its way, and
queues ``actions.effect_report_rebuild`` (once: the row's ``rebuild_requested_at`` is claimed
first). Writes that change the inputs queue it too (``actions.receivers``), so the page is
usually fresh when management opens it. With the setting off (development, tests) the request
computes the report itself, as before, and stores it.
"""

from __future__ import annotations

import logging
import pickle
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from actions import selectors
from actions.models import EffectReportStore

logger = logging.getLogger(__name__)

KEY = "effect-report"
# A rebuild asked for longer ago than this is taken as lost (a worker that died): ask again.
REBUILD_PATIENCE = timedelta(minutes=10)


@dataclass(frozen=True)
class RebuildResult:
    version: str
    computed: bool  # False: the stored report was already of this version
    seconds: float
    # Seconds of the parts: "read" (the inputs), "engine" (and its stages), "store".
    timings: dict[str, float] = field(default_factory=dict)


def report_store(stored: selectors.StoredReport, *, version: str, computed_at: datetime) -> None:
    """Keep a computed report as the one of ``version``."""
    EffectReportStore.objects.update_or_create(
        key=KEY,
        defaults={
            "version": version,
            "computed_at": computed_at,
            "report": pickle.dumps(stored, protocol=pickle.HIGHEST_PROTOCOL),
            "rebuild_requested_at": None,
        },
    )


def effect_report_rebuild(*, force: bool = False) -> RebuildResult:
    """Compute the report of today's inputs and store it, unless the store has it already."""
    started = time.perf_counter()
    small = selectors.report_small_inputs()
    version = selectors.report_version(small)
    row = EffectReportStore.objects.filter(key=KEY).only("version").first()
    if not force and row is not None and row.version == version:
        EffectReportStore.objects.filter(key=KEY).update(rebuild_requested_at=None)
        return RebuildResult(version, False, time.perf_counter() - started)
    inputs = selectors.effect_inputs(small=small)
    read = time.perf_counter()
    stored = selectors.report_compute(inputs)
    computed = time.perf_counter()
    report_store(stored, version=version, computed_at=small.now)
    done = time.perf_counter()
    timings = {"read": read - started, **stored.timings, "store": done - computed}
    return RebuildResult(version, True, done - started, timings)


def effect_report_rebuild_request() -> bool:
    """Queue one rebuild (after the caller's transaction commits); False when one was asked
    for within ``REBUILD_PATIENCE`` and is presumably running, or the broker is away."""
    now = timezone.now()
    EffectReportStore.objects.get_or_create(key=KEY)
    claimed = (
        EffectReportStore.objects.filter(key=KEY)
        .filter(
            Q(rebuild_requested_at__isnull=True)
            | Q(rebuild_requested_at__lt=now - REBUILD_PATIENCE)
        )
        .update(rebuild_requested_at=now)
    )
    if not claimed:
        return False

    def enqueue() -> None:
        from actions import tasks

        if tasks.effect_report_rebuild.apply_async() is None:
            # Broker away: let the next request ask again.
            EffectReportStore.objects.filter(key=KEY, rebuild_requested_at=now).update(
                rebuild_requested_at=None
            )

    transaction.on_commit(enqueue)
    return True


def effect_report_current() -> selectors.ReportPage | None:
    """The page's report: the stored one when it is of today's inputs; otherwise a fresh one
    computed here, or (in the background) the stored one marked as being rebuilt, or None when
    nothing was computed yet."""
    started = time.perf_counter()
    small = selectors.report_small_inputs()
    version = selectors.report_version(small)
    row, stored = selectors.stored_report(KEY)
    read = time.perf_counter()
    timings = {"read": read - started, "engine": 0.0}
    if row is not None and stored is not None and row.version == version:
        return selectors.report_page_of(stored, computed_at=row.computed_at, timings=timings)
    if settings.ACTIONS_EFFECT_REPORT_BACKGROUND:
        effect_report_rebuild_request()
        if stored is None or row is None:
            return None
        return selectors.report_page_of(
            stored, computed_at=row.computed_at, rebuilding=True, timings=timings
        )
    inputs = selectors.effect_inputs(small=small)
    timings["read"] += time.perf_counter() - read
    fresh = selectors.report_compute(inputs)
    report_store(fresh, version=version, computed_at=small.now)
    return selectors.report_page_of(
        fresh, computed_at=small.now, timings={**timings, **fresh.timings}
    )


def effect_report_inputs_changed(**kwargs: object) -> None:
    """A receiver: the report's inputs changed (an action written, new snapshots after new
    assessments); queue a rebuild when reports are built in the background."""
    if not settings.ACTIONS_EFFECT_REPORT_BACKGROUND:
        return
    try:
        effect_report_rebuild_request()
    except Exception:  # never break the write that changed the inputs
        logger.exception("Queueing the effect report's rebuild failed")
