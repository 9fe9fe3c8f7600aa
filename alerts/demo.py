"""The demo's alerts: the rules evaluated over the seeded portfolio and its history."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from alerts.models import Alert


def seed_alerts(
    *, seed: int, now: datetime, progress: Callable[[str, int, int], None] | None = None
) -> str:
    """Evaluate the default rules as the nightly sweep would (deterministic for the seed: the
    portfolio is), leaving open alerts of several kinds in the inbox."""
    from alerts.services import alerts_evaluate

    if progress:
        progress("alerts", 0, 1)
    result = alerts_evaluate(now=now)
    if progress:
        progress("alerts", 1, 1)
    kinds = Counter(
        Alert.objects.filter(pk__in=result.raised).values_list("trigger", flat=True)
    )
    summary = ", ".join(f"{count} {trigger}" for trigger, count in sorted(kinds.items()))
    return f"{len(result.raised)} open alerts ({summary or 'none'})."
