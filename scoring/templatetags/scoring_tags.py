"""Showing scores the way the rule rounds them, everywhere the same (``scoring.rendering``)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.safestring import SafeString

from scoring import rendering
from scoring.models import band_label as _band_label

register = template.Library()

NO_SCORE = rendering.NO_VALUE


@register.filter
def score(value: float | None) -> str:
    """A score with one decimal, rounded half up as the band is (39.95 → 40.0); "–" if none."""
    return rendering.score_text(value)


@register.filter
def signed_score(value: float | None) -> str:
    """A change in score with its sign: +3.2, −1.0, ±0.0."""
    return rendering.signed_text(value)


@register.filter
def percent(value: float | None) -> str:
    """Coverage and other shares as a whole percentage."""
    return rendering.percent_text(value)


@register.filter
def band_label(band: str | None) -> str:
    """The band's name in the user's language ("no score" without a band)."""
    return _band_label(band)


@register.filter
def short_date(moment: datetime | None) -> str:
    """A moment's day in the short date format of the user's language; "" if none."""
    return rendering.DateText()(moment) if moment else ""


@register.simple_tag
def band_badge(
    band: str | None, value: float | None = None, provisional: bool | None = False
) -> SafeString:
    """A coloured badge with the score (or the band name) and the provisional marker."""
    return rendering.band_badge(band, value, provisional)
