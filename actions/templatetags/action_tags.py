"""How actions show on pages: their status, whether they are on time, values and changes."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from actions.models import Action

register = template.Library()

STATUS_CLASSES = {
    "proposed": "text-bg-light border",
    "open": "text-bg-primary",
    "in_progress": "text-bg-info",
    "done": "text-bg-success",
    "cancelled": "text-bg-secondary",
}
TIMELINESS_CLASSES = {
    "on_track": "text-bg-light border",
    "due_soon": "text-bg-warning",
    "overdue": "text-bg-danger",
    "stuck": "text-bg-dark",
}


@register.simple_tag
def timeliness_label(key: str) -> str:
    """On track, due within 7 days, overdue, stuck: in the user's language."""
    return {
        "on_track": _("on track"),
        "due_soon": _("due within 7 days"),
        "overdue": _("overdue"),
        "stuck": _("stuck (over 30 days late)"),
    }.get(key, "")


@register.inclusion_tag("actions/_badge.html")
def timeliness_badge(key: str) -> dict:
    return {"text": timeliness_label(key), "css": TIMELINESS_CLASSES.get(key, ""), "key": key}


@register.inclusion_tag("actions/_badge.html")
def status_badge(status: str) -> dict:
    label = Action.Status(status).label if status in Action.Status.values else status
    return {"text": label, "css": STATUS_CLASSES.get(status, ""), "key": status}


@register.filter
def value(number: float | None, decimals: int = 1) -> str:
    """A value or mean with one decimal; "–" when there is none."""
    if number is None or number != number:
        return "–"
    return number_format(round(float(number), int(decimals)), decimal_pos=int(decimals))


@register.filter
def change(number: float | None, decimals: int = 1) -> str:
    """A change with its sign: +0.8, −1.2, ±0.0; "" when there is none."""
    if number is None or number != number:
        return ""
    rounded = round(abs(float(number)), int(decimals))
    sign = "+" if number > 0 and rounded else "−" if number < 0 and rounded else "±"
    return f"{sign}{number_format(rounded, decimal_pos=int(decimals))}"
