"""Dates as the house writes them: 1-12-2026 (or 1 december 2026) in Dutch, 1 Dec 2026 in
English, never the US order; in the active language."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import dateformat, timezone, translation


def _day(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _dutch() -> bool:
    return (translation.get_language() or "nl").startswith("nl")


def day(value: date | datetime | None) -> str:
    """1-12-2026 in Dutch, 1 Dec 2026 in English; "" for nothing."""
    if not value:
        return ""
    return dateformat.format(_day(value), "j-n-Y" if _dutch() else "j M Y")


def long_day(value: date | datetime | None) -> str:
    """1 december 2026 in Dutch, 1 Dec 2026 in English; "" for nothing."""
    if not value:
        return ""
    return dateformat.format(_day(value), "j F Y" if _dutch() else "j M Y")
