"""The cadence badge and small helpers for the relations templates."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone

from relations.calculations import round_share
from relations.rendering import STATE_COLOURS, day_text, state_labels

register = template.Library()


@register.inclusion_tag("relations/_cadence_badge.html")
def cadence_badge(state: str | None, title: str = "") -> dict:
    """The coloured badge of a contact rhythm's state (nothing without a state)."""
    return {
        "state": state or "",
        "title": title,
        "labels": state_labels(),
        "colours": STATE_COLOURS,
    }


@register.filter
def lookup(mapping: dict, key: object) -> object:
    """``mapping[key]`` in a template ("" when missing)."""
    return mapping.get(key, "") if mapping else ""


@register.filter
def points(value: float | None) -> str:
    """A difference of two percentages in whole percentage points, with its sign."""
    if value is None or value != value:
        return "–"
    rounded = round_share(abs(value))
    sign = "±" if not rounded else "+" if value > 0 else "−"
    return f"{sign}{rounded}"


@register.filter
def day(value: object) -> str:
    """A date (or the local date of a moment) as Dutch 1-12-2026 or English 1 Dec 2026."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return day_text(value if isinstance(value, date) else None)
