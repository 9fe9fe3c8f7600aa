"""The effect report's forest plot: one line per campaign and action type × element, the effect
on what customers score with its 95 % interval; negative effects in red.

A plain dict in plotly's figure schema, as scoring/charts.py builds the dashboard's figures
(the tests load it into ``go.Figure``); plotly.js is served by the app.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from actions.calculations import ForestRow
from scoring.charts.common import plotly_text

Figure = dict[str, Any]

NEGATIVE = "#b71c1c"  # red: the action lowered the wall
POSITIVE = "#1b5e20"
UNCLEAR = "#495057"  # the interval holds 0
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


def _colour(row: ForestRow) -> str:
    if row.negative:
        return NEGATIVE
    if row.low is not None and row.low > 0:
        return POSITIVE
    return UNCLEAR


def forest_figure(rows: Sequence[tuple[str, ForestRow]], *, unit: str = "scale") -> Figure:
    """``rows``: (label, forest row) of one unit, in the page's order, top to bottom. Rows with
    too little data are named on the axis but draw no point. ``unit`` is "scale" (an
    element, 0–6) or "points" (the whole binding score): they get separate figures, as one
    axis for both would flatten the elements' effects."""
    rows = [(plotly_text(label), row) for label, row in rows]  # names of types and campaigns
    labels = [label for label, _row in rows]
    shown = [(label, row) for label, row in rows if row.effect is not None]
    dutch = (translation.get_language() or "nl").startswith("nl")
    hover = "<b>%{y}</b><br>" + _("effect") + " %{x:+.2f} (%{customdata})<extra></extra>"
    data = [
        {
            "type": "scatter",
            "mode": "markers",
            "x": [row.effect for _label, row in shown],
            "y": [label for label, _row in shown],
            "customdata": [
                f"{row.low:+.2f} … {row.high:+.2f}, n={row.n_treated}/{row.n_controls}"
                if row.low is not None and row.high is not None
                else f"n={row.n_treated}/{row.n_controls}"
                for _label, row in shown
            ],
            "error_x": {
                "type": "data",
                "symmetric": False,
                "array": [
                    (row.high - row.effect)
                    if row.high is not None and row.effect is not None
                    else 0
                    for _label, row in shown
                ],
                "arrayminus": [
                    (row.effect - row.low) if row.low is not None and row.effect is not None else 0
                    for _label, row in shown
                ],
                "color": "#6c757d",
                "thickness": 2,
                "width": 6,
            },
            "marker": {
                "color": [_colour(row) for _label, row in shown],
                "size": 11,
                "symbol": [
                    "square" if row.estimator == "randomised" else "circle" for _l, row in shown
                ],
            },
            "hovertemplate": hover,
            "name": _("effect"),
            "showlegend": False,
        }
    ]
    return {
        "data": data,
        "layout": {
            "font": {"family": FONT, "size": 12},
            "separators": ",." if dutch else ".,",
            "height": max(220, 60 + 34 * len(labels)),
            "margin": {"l": 10, "r": 20, "t": 20, "b": 50},
            "plot_bgcolor": "#ffffff",
            "paper_bgcolor": "#ffffff",
            "xaxis": {
                "title": {
                    "text": _("Effect on what customers score, 0–6 scale (95 % interval)")
                    if unit == "scale"
                    else _("Effect on the binding score customers give, points (95 % interval)")
                },
                "zeroline": True,
                "zerolinecolor": "#212529",
                "zerolinewidth": 1,
                "gridcolor": "#e9ecef",
            },
            "yaxis": {
                "type": "category",
                "categoryorder": "array",
                "categoryarray": list(reversed(labels)),
                "automargin": True,
                "gridcolor": "#f1f3f5",
            },
            "hoverlabel": {"namelength": -1},
        },
    }
