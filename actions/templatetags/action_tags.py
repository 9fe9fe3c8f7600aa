"""How actions show on pages: their status, whether they are on time, values and changes."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from actions import formats
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


@register.inclusion_tag("actions/_estimate.html")
def estimate(result: Any, unit: str = "scale") -> dict:
    """An effect with its 95 % interval, or "too little data" (never a point estimate then)."""
    decimals = 2 if unit == "scale" else 1
    if result is None:
        return {"missing": True}
    return {
        "missing": False,
        "too_little": result.too_little_data or result.effect is None,
        "effect": change(result.effect, decimals),
        "low": change(result.low, decimals),
        "high": change(result.high, decimals),
        "n_treated": result.n_treated,
        "n_controls": result.n_controls,
        "negative": result.effect is not None and result.effect < 0,
        "excludes_zero": result.excludes_zero,
    }


@register.simple_tag
def variable_label(name: str) -> str:
    return {
        "before_value": _("value at the decision"),
        "binding_score": _("binding score at the decision"),
        "score_trend": _("score trend over the 180 days before"),
    }.get(name, name)


@register.simple_tag
def kind_label(kind: str) -> str:
    from scoring.models import RespondentKind

    return str(RespondentKind(kind).label) if kind in RespondentKind.values else kind


@register.simple_tag
def role_label(role: str) -> str:
    return {
        "primary": _("primary"),
        "secondary": _("secondary"),
        "information": _("for information"),
    }.get(role, role)


@register.filter
def day(value: Any) -> str:
    """A date as the house writes it: 1-12-2026 in Dutch, 1 Dec 2026 in English."""
    return formats.day(value)


@register.filter
def long_day(value: Any) -> str:
    """A date written out: 1 december 2026 in Dutch, 1 Dec 2026 in English."""
    return formats.long_day(value)
