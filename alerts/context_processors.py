"""The number of alerts asking for attention, for the menu: counted only when a page shows it."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def alert_count(request: HttpRequest) -> dict[str, object]:
    def count() -> int:
        known = getattr(request, "alert_count", None)  # the inbox counts it for its tabs
        if known is not None:
            return known
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        from alerts.selectors import open_count

        return open_count(user)

    # Lazy and once per request: pages without the menu (e-mails, JSON) never count.
    return {"alert_count": SimpleLazyObject(count)}
