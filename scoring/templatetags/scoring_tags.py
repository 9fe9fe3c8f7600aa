"""Showing scores the way the rule rounds them, everywhere the same."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from scoring.calculations import round_half_up
from scoring.models import Band

register = template.Library()

NO_SCORE = "–"


@register.filter
def score(value: float | None) -> str:
    """A score with one decimal, rounded half up as the band is (39.95 → 40.0); "–" if none."""
    if value is None or value != value:  # None or NaN
        return NO_SCORE
    return number_format(float(round_half_up(value)), decimal_pos=1)


@register.filter
def signed_score(value: float | None) -> str:
    """A change in score with its sign: +3.2, −1.0, ±0.0."""
    if value is None or value != value:
        return ""
    rounded = float(round_half_up(abs(value)))
    sign = "+" if value > 0 and rounded else "−" if value < 0 and rounded else "±"
    return f"{sign}{number_format(rounded, decimal_pos=1)}"


@register.filter
def percent(value: float | None) -> str:
    """Coverage and other shares as a whole percentage."""
    if value is None or value != value:
        return NO_SCORE
    return f"{int(round_half_up(value, 0))} %"


@register.filter
def band_label(band: str | None) -> str:
    """The band's name in the user's language ("" without a band)."""
    if not band:
        return _("no score")
    return str(Band(band).label)


@register.inclusion_tag("scoring/_band_badge.html")
def band_badge(band: str | None, value: float | None = None, provisional: bool = False) -> dict:
    """A coloured badge with the score (or the band name) and the provisional marker."""
    return {"band": band or "", "value": value, "provisional": provisional}
