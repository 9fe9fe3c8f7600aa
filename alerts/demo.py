"""The demo's alerts: the rules evaluated over the seeded portfolio, as the sweep would."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from alerts.models import Alert

OPEN_PER_TRIGGER = 2


def seed_alerts(
    *, seed: int, now: datetime, progress: Callable[[str, int, int], None] | None = None
) -> str:
    """Evaluate the default rules over the portfolio (deterministic: the portfolio is). The
    demo's account managers have seen most of what that raised: all but a handful per kind
    are acknowledged by the customer's account manager, so the inbox opens on a few open
    alerts of different kinds and the rest stay one click away."""
    from alerts.services import alerts_evaluate

    if progress:
        progress("alerts", 0, 1)
    raised = alerts_evaluate(now=now).raised
    if progress:
        progress("alerts", 1, 1)
    kept: Counter[str] = Counter()
    seen: list[int] = []
    for pk, trigger in (
        Alert.objects.filter(pk__in=raised)
        .order_by("trigger", "customer_id")
        .values_list("pk", "trigger")
    ):
        if kept[trigger] < OPEN_PER_TRIGGER:
            kept[trigger] += 1
        else:
            seen.append(pk)
    by_manager: dict[int | None, list[int]] = {}
    for pk, manager in Alert.objects.filter(pk__in=seen).values_list(
        "pk", "customer__account_manager_id"
    ):
        by_manager.setdefault(manager, []).append(pk)
    for owner, ids in by_manager.items():
        Alert.objects.filter(pk__in=ids).update(
            status=Alert.Status.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by_id=owner
        )
    kinds = ", ".join(f"{count} {trigger}" for trigger, count in sorted(kept.items()))
    return f"{len(raised)} alerts raised; {sum(kept.values())} left open ({kinds or 'none'})."
