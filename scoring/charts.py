"""Plotly figures for the dashboard and the customer page, built from the selectors' DataFrames.

``figure_json`` turns a figure into JSON that is safe inside a ``<script type="application/json">``
element, where static/js/dashboard.js draws it with plotly.js (served by the app, no CDN).

The dashboard's figures are plain dicts in plotly's figure schema (``{"data": [...], "layout":
{...}}``): on 10,000 customers, building and validating ``plotly.graph_objects`` costs several
times more than the rest of the page's figure work, and the schema is checked by the tests
instead (each figure loads into ``go.Figure``). Large series go in as NumPy arrays and are
written as plotly.js typed arrays (base64), as plotly.py itself writes them. The dashboard
sends plotly.py's default template once per page (``template_json``) instead of once per
figure, so the figures look as ``go.Figure`` would draw them. The customer page's two small
figures stay ``go.Figure``.
"""

from __future__ import annotations

import base64
import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from scoring.calculations import BANDS, KINDS, band_codes
from scoring.conf import rule_params
from scoring.models import Factor, RespondentKind, band_label, localised

if TYPE_CHECKING:
    from scoring.selectors import CustomerHistory, DashboardPage

Figure = dict[str, Any]  # {"data": [trace, ...], "layout": {...}} in plotly's schema

BAND_COLOURS = {
    "red": "#c62828",
    "orange": "#ef6c00",
    "yellow": "#f9a825",
    "green": "#2e7d32",
    "": "#6c757d",
}
KIND_COLOURS = {"staff": "#0d6efd", "customer": "#d63384", "expert": "#20c997"}
FACTOR_COLOURS = {"satisfaction": "#0d6efd", "alternatives": "#6f42c1", "investment": "#fd7e14"}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


def _layout(**extra: object) -> dict:
    """The layout every figure shares: the page's font, tight margins, the user's number style."""
    dutch = (translation.get_language() or "nl").startswith("nl")
    layout = {
        "font": {"family": FONT, "size": 12},
        "margin": {"l": 50, "r": 20, "t": 30, "b": 40},
        "separators": ",." if dutch else ".,",
        "legend": {"orientation": "h", "y": -0.2},
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
        "hoverlabel": {"namelength": -1},
    }
    layout.update(extra)
    return layout


def _grid(title: str = "", **extra: object) -> dict:
    axis = {"gridcolor": "#e9ecef", "zeroline": False, "title": {"text": title}}
    axis.update(extra)
    return axis


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------

# plotly.js reads these NumPy dtypes as typed arrays (plotly.py's own table).
TYPED_ARRAYS = {
    "float64": "f8",
    "float32": "f4",
    "int8": "i1",
    "uint8": "u1",
    "int16": "i2",
    "uint16": "u2",
    "int32": "i4",
    "uint32": "u4",
}
# <, > and / as JSON escapes: the text can never close the script element it sits in.
UNSAFE = (("<", "\\u003c"), (">", "\\u003e"), ("/", "\\u002f"))


def _array(values: np.ndarray) -> object:
    """A NumPy array as plotly.js takes it: a typed array (base64) for numbers, else a list."""
    if values.dtype.kind in "iu" and values.dtype.itemsize == 8 and values.size:
        # plotly.js has no 64-bit integer arrays: the smallest type that holds the values.
        low, high = int(values.min()), int(values.max())
        for small in (np.int8, np.int16, np.int32):
            if np.iinfo(small).min <= low and high <= np.iinfo(small).max:
                values = values.astype(small)
                break
    code = TYPED_ARRAYS.get(values.dtype.name)
    if code is None or values.size == 0:
        items = values.tolist()
        if values.dtype != object:
            return _plain(items)
        missing = pd.isna(values)
        if missing.ndim == 1 and missing.any():
            items = [None if gap else item for item, gap in zip(items, missing, strict=True)]
        return items  # labels: strings (or None), nothing to convert
    spec: dict[str, object] = {
        "dtype": code,
        "bdata": base64.b64encode(np.ascontiguousarray(values)).decode("ascii"),  # type: ignore[arg-type]
    }
    if values.ndim > 1:
        spec["shape"] = ", ".join(str(n) for n in values.shape)
    return spec


def _plain(value: object) -> object:
    """Figure parts as JSON values: arrays typed, NaN as null (strict JSON)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return _array(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _dumps(value: object) -> str:
    text = json.dumps(_plain(value), separators=(",", ":"), ensure_ascii=False)
    for unsafe, escaped in UNSAFE:
        text = text.replace(unsafe, escaped)
    return text


def figure_json(figure: Figure | go.Figure) -> str:
    """The figure as JSON for an HTML page, <, > and / escaped."""
    if isinstance(figure, go.Figure):
        return figure.to_json()  # plotly's encoder escapes the same characters
    return _dumps(figure)


def template_json() -> str:
    """plotly.py's default template, which ``go.Figure`` would put into every figure's layout.

    The dashboard sends it once; dashboard.js gives it to each figure that has none.
    """
    return _dumps(pio.templates[pio.templates.default].to_plotly_json())


def _figure(data: list[dict], layout: dict) -> Figure:
    return {"data": data, "layout": layout}


# --------------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------------


def _months(trend: pd.DataFrame) -> np.ndarray:
    return trend["month"].to_numpy(dtype=object) if "month" in trend else np.array([], dtype=object)


def trend_figure(trend: pd.DataFrame, thresholds: tuple[float, float, float]) -> Figure:
    """Portfolio score per month, plain and revenue-weighted, over the bands' background."""
    months = _months(trend)
    shapes = []
    bounds = [0.0, *thresholds, 100.0]
    for band, low, high in zip(BANDS, bounds[:-1], bounds[1:], strict=True):
        shapes.append(
            {
                "type": "rect",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": low,
                "y1": high,
                "fillcolor": BAND_COLOURS[band],
                "opacity": 0.08,
                "line": {"width": 0},
                "layer": "below",
            }
        )
    hover = "%{x}: %{y:.1f}<extra>%{fullData.name}</extra>"
    return _figure(
        [
            {
                "type": "scatter",
                "x": months,
                "y": trend["score"].to_numpy(dtype=float),
                "name": _("Mean score"),
                "mode": "lines+markers",
                "line": {"color": "#0d6efd", "width": 3},
                "hovertemplate": hover,
            },
            {
                "type": "scatter",
                "x": months,
                "y": trend["weighted_score"].to_numpy(dtype=float),
                "name": _("Revenue-weighted score"),
                "mode": "lines+markers",
                "line": {"color": "#6f42c1", "width": 2, "dash": "dash"},
                "hovertemplate": hover,
            },
        ],
        _layout(
            height=320,
            shapes=shapes,
            yaxis=_grid(_("Binding score"), range=[0, 100]),
            xaxis=_grid(type="category"),
        ),
    )


def band_counts_figure(trend: pd.DataFrame) -> Figure:
    """Customers per band per month, stacked."""
    months = _months(trend)
    return _figure(
        [
            {
                "type": "bar",
                "x": months,
                "y": trend[band].to_numpy(dtype=float),
                "name": band_label(band),
                "marker": {"color": BAND_COLOURS[band]},
                "hovertemplate": "%{x}: %{y:.0f}<extra>%{fullData.name}</extra>",
            }
            for band in BANDS
        ],
        _layout(
            height=320,
            barmode="stack",
            yaxis=_grid(_("Customers")),
            xaxis=_grid(type="category"),
        ),
    )


def satisfaction_barriers_figure(frame: pd.DataFrame) -> Figure:
    """One dot per customer: satisfaction × barriers, size revenue, colour band.

    ``customdata`` carries the customer id, so a click can open the customer.
    """
    satisfaction = frame["satisfaction"].to_numpy(dtype=float)
    barriers = frame["barriers"].to_numpy(dtype=float)
    revenue = frame["revenue"].to_numpy(dtype=float)
    names = frame["name"].to_numpy(dtype=object)
    ids = frame.index.to_numpy(dtype=np.int64)
    known = ~np.isnan(satisfaction) & ~np.isnan(barriers)
    peak = float(revenue[known].max()) if known.any() else 0.0
    sizeref = 2.0 * peak / (40.0**2) if peak > 0 else 1.0
    codes = band_codes(frame["band"])
    hover = (
        "<b>%{text}</b><br>"
        + _("satisfaction")
        + " %{x:.1f} · "
        + _("barriers")
        + " %{y:.1f}<extra>%{fullData.name}</extra>"
    )
    traces = []
    for code, band in enumerate((*BANDS, "")):
        rows = np.flatnonzero(known & (codes == code))
        if not len(rows):
            continue
        traces.append(
            {
                "type": "scatter",
                "x": satisfaction[rows],
                "y": barriers[rows],
                "mode": "markers",
                "name": band_label(band),
                "text": names[rows],
                "customdata": ids[rows],
                "marker": {
                    "color": BAND_COLOURS[band],
                    "size": revenue[rows],
                    "sizemode": "area",
                    "sizeref": sizeref,
                    "sizemin": 3,
                    "opacity": 0.65,
                    "line": {"width": 0},
                },
                "hovertemplate": hover,
            }
        )
    corner = {"showarrow": False, "font": {"size": 13, "color": "#495057"}, "opacity": 0.9}
    annotations = [
        {"x": 98, "y": 98, "xanchor": "right", "yanchor": "top", "text": _("loyal"), **corner},
        {"x": 2, "y": 98, "xanchor": "left", "yanchor": "top", "text": _("entrapped"), **corner},
        {"x": 98, "y": 2, "xanchor": "right", "yanchor": "bottom", "text": _("free"), **corner},
        {"x": 2, "y": 2, "xanchor": "left", "yanchor": "bottom", "text": _("leaving"), **corner},
    ]
    line = {"color": "#adb5bd", "width": 1, "dash": "dot"}
    return _figure(
        traces,
        _layout(
            height=460,
            xaxis=_grid(_("Satisfaction"), range=[0, 100]),
            yaxis=_grid(_("Barriers (alternatives and investment)"), range=[0, 100]),
            shapes=[
                {"type": "line", "x0": 50, "x1": 50, "y0": 0, "y1": 100, "line": line},
                {"type": "line", "x0": 0, "x1": 100, "y0": 50, "y1": 50, "line": line},
            ],
            annotations=annotations,
            hovermode="closest",
        ),
    )


def perception_gap_figure(gap: pd.DataFrame) -> Figure:
    """Per element the mean of staff, customers and experts side by side, largest gap on top."""
    names = gap["name"].to_numpy(dtype=object)
    labels = {
        "staff": str(RespondentKind.STAFF.label),
        "customer": str(RespondentKind.CUSTOMER.label),
        "expert": str(RespondentKind.EXPERT.label),
    }
    return _figure(
        [
            {
                "type": "bar",
                "y": names,
                "x": gap[kind].to_numpy(dtype=float),
                "name": labels[kind],
                "orientation": "h",
                "marker": {"color": KIND_COLOURS[kind]},
                "hovertemplate": "%{y}: %{x:.2f}<extra>%{fullData.name}</extra>",
            }
            for kind in KINDS
        ],
        _layout(
            height=120 + 44 * len(gap),
            barmode="group",
            margin={"l": 10, "r": 20, "t": 30, "b": 40},
            xaxis=_grid(_("Mean element value (0–6)"), range=[0, 6]),
            yaxis={"autorange": "reversed", "automargin": True},
        ),
    )


def wall_figure(wall: pd.DataFrame) -> Figure:
    """Elements by score points to gain (weight × (6 − value), summed), largest on top."""
    factors = wall["factor"].to_numpy(dtype=object)
    names = wall["name"].to_numpy(dtype=object)
    gain = wall["gain"].to_numpy(dtype=float)
    points = wall["score_points"].to_numpy(dtype=float)
    hover = (
        "%{y}: %{x:,.0f}<br>"
        + _("average score points per customer")
        + ": %{customdata:.1f}<extra>%{fullData.name}</extra>"
    )
    traces = []
    for factor in Factor:
        rows = np.flatnonzero(factors == factor.value)
        if not len(rows):
            continue
        traces.append(
            {
                "type": "bar",
                "y": names[rows],
                "x": gain[rows],
                "name": str(factor.label),
                "orientation": "h",
                "marker": {"color": FACTOR_COLOURS[factor.value]},
                "customdata": points[rows],
                "hovertemplate": hover,
            }
        )
    return _figure(
        traces,
        _layout(
            height=120 + 30 * len(wall),
            margin={"l": 10, "r": 20, "t": 30, "b": 40},
            xaxis=_grid(_("Points to gain")),
            yaxis={
                "autorange": "reversed",
                "automargin": True,
                "categoryorder": "array",
                "categoryarray": names,
            },
        ),
    )


def pareto_figure(pareto: pd.DataFrame, points: int = 800) -> Figure:
    """Cumulative revenue share by customer rank, split by band into stacked areas.

    The areas add up to the Pareto curve; each band's area is the share of all revenue that
    customers of that band hold among the top ranks. At most ``points`` ranks are drawn (the
    curves are cumulative, so evenly spread ranks lose nothing visible).
    """
    n = len(pareto)
    revenue = pareto["revenue"].to_numpy(dtype=float)
    total = float(revenue.sum())
    picks = np.unique(np.linspace(0, n - 1, min(n, points)).round().astype(int))
    x = np.concatenate([[0.0], pareto["customer_share"].to_numpy(dtype=float)[picks]])
    codes = band_codes(pareto["band"])
    hover = (
        _("top %{x:.1f} % of customers")
        + ": %{y:.1f} % "
        + _("of revenue")
        + "<extra>%{fullData.name}</extra>"
    )
    traces = []
    for code, band in enumerate((*BANDS, "")):
        members = codes == code
        if not members.any():
            continue
        share = 100.0 * np.cumsum(np.where(members, revenue, 0.0)) / (total or 1.0)
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": np.concatenate([[0.0], share[picks]]),
                "mode": "lines",
                "stackgroup": "bands",
                "name": band_label(band),
                "line": {"color": BAND_COLOURS[band], "width": 0.5},
                "fillcolor": BAND_COLOURS[band],
                "hovertemplate": hover,
            }
        )
    return _figure(
        traces,
        _layout(
            height=380,
            xaxis=_grid(_("Share of customers, largest revenue first (%)"), range=[0, 100]),
            yaxis=_grid(_("Cumulative share of revenue (%)"), range=[0, 102]),
            shapes=[
                {
                    "type": "line",
                    "x0": 20,
                    "x1": 20,
                    "y0": 0,
                    "y1": 102,
                    "line": {"color": "#495057", "width": 1, "dash": "dot"},
                }
            ],
            hovermode="x unified",
        ),
    )


def heatmap_figure(lowest: pd.DataFrame, elements: pd.DataFrame, language: str) -> Figure:
    """Elements × customers for the lowest-scoring customers: red is low, green high."""
    codes = list(elements["code"])
    names = [
        localised(nl, en, language)
        for nl, en in zip(elements["name_nl"], elements["name_en"], strict=True)
    ]
    customers = lowest["name"].to_numpy(dtype=object)
    values = lowest.reindex(columns=codes).to_numpy(dtype=float)
    return _figure(
        [
            {
                "type": "heatmap",
                "z": values,
                "x": np.array(names, dtype=object),
                "y": customers,
                "zmin": 0,
                "zmax": 6,
                "colorscale": [
                    [0.0, BAND_COLOURS["red"]],
                    [0.5, BAND_COLOURS["yellow"]],
                    [1.0, BAND_COLOURS["green"]],
                ],
                "colorbar": {"title": {"text": "0–6"}, "thickness": 12},
                "hoverongaps": False,
                "hovertemplate": "%{y}<br>%{x}: %{z:.1f}<extra></extra>",
            }
        ],
        _layout(
            height=160 + 18 * len(lowest),
            margin={"l": 10, "r": 10, "t": 10, "b": 10},
            xaxis={"side": "top", "automargin": True, "tickangle": -35},
            yaxis={"autorange": "reversed", "automargin": True},
        ),
    )


# --------------------------------------------------------------------------------------------
# Customer page
# --------------------------------------------------------------------------------------------


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


def score_history_figure(history: pd.DataFrame) -> go.Figure:
    """A customer's binding score and factor scores over time (one point per stored result).

    Each result holds until the next, so the lines are steps; the last one runs to now.
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
    at = times.dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object)
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
                hovertemplate="%{x|%Y-%m-%d}: %{y:.1f}<extra>%{fullData.name}</extra>",
            )
            for column, label, colour, width in series
        ],
        layout=_layout(
            height=320,
            yaxis=_grid(_("Score"), range=[0, 100]),
            xaxis=_grid(
                type="date",
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
    names = [_wrap(name) for name in names]
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
        layout=_layout(
            height=440,
            margin={"l": 90, "r": 90, "t": 40, "b": 30},
            polar={
                "radialaxis": {"range": [0, 6], "dtick": 1},
                "angularaxis": {"tickfont": {"size": 11}},
            },
        ),
    )


# --------------------------------------------------------------------------------------------
# The figures of a page, as JSON
# --------------------------------------------------------------------------------------------


def dashboard_figures(page: DashboardPage, language: str) -> dict[str, str]:
    """The dashboard's figures as JSON for the page, by name."""
    figures = {
        "trend": trend_figure(page.trend, rule_params().band_thresholds),
        "bands": band_counts_figure(page.trend),
        "quadrants": satisfaction_barriers_figure(page.quadrants),
        "gap": perception_gap_figure(page.gap),
        "wall": wall_figure(page.wall),
        "pareto": pareto_figure(page.pareto),
        "heatmap": heatmap_figure(page.lowest, page.elements, language),
    }
    return {name: figure_json(figure) for name, figure in figures.items()}


def customer_figures(history: CustomerHistory | None) -> dict[str, object] | None:
    """The customer page's score history and element radar as JSON; None without a score."""
    if history is None:
        return None
    radar = None
    if "elements" in history.kind_values:
        radar = figure_json(element_radar_figure(history.kind_values, history.names))
    return {
        "history_figure": figure_json(score_history_figure(history.results)),
        "radar_figure": radar,
        "results": len(history.results),
    }
