"""The customer page's figures: the score over time and the elements per respondent kind.
Two small figures, so they stay ``go.Figure``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from django.utils import timezone
from django.utils.translation import gettext as _

from scoring.charts.common import (
    FACTOR_COLOURS,
    KIND_COLOURS,
    d3_date_format,
    figure_json,
    grid_axis,
    model_marks,
    page_layout,
    plotly_text,
)
from scoring.models import Factor, RespondentKind

if TYPE_CHECKING:
    from scoring.selectors import CustomerHistory


def _wrap(label: str, width: int = 18) -> str:
    """A long label over several lines (plotly breaks lines at <br>)."""
    words, lines, line = label.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(lines)


def score_history_figure(
    history: pd.DataFrame, publishes: Sequence[tuple[datetime, int]] = ()
) -> go.Figure:
    """A customer's binding score and factor scores over time (one point per stored result).

    Each result holds until the next, so the lines are steps; the last one runs to now. A
    dashed line marks each model publish (there every score was re-weighted).
    """
    history = history.copy()
    # Plotly draws dates without time zones: show local wall-clock time.
    local = timezone.get_current_timezone()
    history["computed_at"] = (
        pd.to_datetime(history["computed_at"], utc=True).dt.tz_convert(local).dt.tz_localize(None)
    )
    now = pd.Timestamp(timezone.localtime().replace(tzinfo=None))
    if len(history) and history["computed_at"].iloc[-1] < now:
        history = pd.concat([history, history.iloc[[-1]]], ignore_index=True)
        history.loc[len(history) - 1, "computed_at"] = now
    times = history["computed_at"]
    markers = [
        (timezone.localtime(moment, local).replace(tzinfo=None).isoformat(), version)
        for moment, version in publishes
    ]
    marks = model_marks(markers)
    at = times.dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object)
    day = d3_date_format("SHORT_DATE_FORMAT")
    pad = max((times.max() - times.min()) * 0.05, pd.Timedelta(days=7)) if len(times) else None
    series = [
        ("binding_score", _("Binding score"), "#212529", 3),
        ("satisfaction", str(Factor.SATISFACTION.label), FACTOR_COLOURS["satisfaction"], 2),
        ("alternatives", str(Factor.ALTERNATIVES.label), FACTOR_COLOURS["alternatives"], 2),
        ("investment", str(Factor.INVESTMENT.label), FACTOR_COLOURS["investment"], 2),
    ]
    return go.Figure(
        data=[
            go.Scatter(
                x=at,
                y=history[column].to_numpy(dtype=float),
                name=label,
                mode="lines+markers",
                line={"color": colour, "width": width, "shape": "hv"},
                hovertemplate="%{x|" + day + "}: %{y:.1f}<extra>%{fullData.name}</extra>",
            )
            for column, label, colour, width in series
        ],
        layout=page_layout(
            height=320,
            shapes=marks[0],
            annotations=marks[1],
            yaxis=grid_axis(_("Score"), range=[0, 100]),
            xaxis=grid_axis(
                type="date",
                tickformat=day,
                hoverformat=day,
                range=[(times.min() - pad).isoformat(), (times.max() + pad).isoformat()]
                if pad is not None
                else None,
            ),
        ),
    )


def element_radar_figure(kind_values: dict[str, list[float | None]], names: list[str]) -> go.Figure:
    """The elements' values per respondent kind on a radar (0–6)."""
    labels = {
        "elements": _("Combined"),
        "staff": str(RespondentKind.STAFF.label),
        "customer": str(RespondentKind.CUSTOMER.label),
        "expert": str(RespondentKind.EXPERT.label),
    }
    colours = {"elements": "#212529", **KIND_COLOURS}
    names = [_wrap(plotly_text(name)) for name in names]
    closed = [*names, names[0]] if names else names
    traces = []
    for kind, values in kind_values.items():
        numbers = [np.nan if v is None else float(v) for v in values]
        traces.append(
            go.Scatterpolar(
                r=np.array([*numbers, numbers[0]] if numbers else numbers, dtype=float),
                theta=np.array(closed, dtype=object),
                name=labels[kind],
                mode="lines+markers",
                line={"color": colours[kind], "width": 3 if kind == "elements" else 2},
                connectgaps=True,
                hovertemplate="%{theta}: %{r:.1f}<extra>%{fullData.name}</extra>",
            )
        )
    return go.Figure(
        data=traces,
        layout=page_layout(
            height=440,
            margin={"l": 90, "r": 90, "t": 40, "b": 30},
            polar={
                "radialaxis": {"range": [0, 6], "dtick": 1},
                "angularaxis": {"tickfont": {"size": 11}},
            },
        ),
    )


def customer_figures(history: CustomerHistory | None) -> dict[str, object] | None:
    """The customer page's score history and element radar as JSON; None without a score."""
    if history is None:
        return None
    radar = None
    if "elements" in history.kind_values:
        radar = figure_json(element_radar_figure(history.kind_values, history.names))
    return {
        "history_figure": figure_json(score_history_figure(history.results, history.publishes)),
        "radar_figure": radar,
        "results": len(history.results),
    }
