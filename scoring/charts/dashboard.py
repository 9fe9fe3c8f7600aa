"""The dashboard's figures, built from the dashboard selectors' DataFrames.

They are plain dicts in plotly's figure schema (``{"data": [...], "layout": {...}}``): on
10,000 customers, building and validating ``plotly.graph_objects`` costs several times more
than the rest of the page's figure work, and the schema is checked by the tests instead (each
figure loads into ``go.Figure``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from scoring.calculations import BANDS, KINDS, band_codes
from scoring.charts.common import (
    BAND_COLOURS,
    FACTOR_COLOURS,
    KIND_COLOURS,
    Figure,
    figure_dict,
    figure_json,
    grid_axis,
    model_marks,
    month_label,
    page_layout,
    plotly_text,
)
from scoring.conf import rule_params
from scoring.models import Factor, RespondentKind, band_label, localised

if TYPE_CHECKING:
    from scoring.selectors import DashboardPage


def _months(trend: pd.DataFrame) -> np.ndarray:
    """The trend's months as the axis shows them, in the active language (maart 2026, Mar 2026)."""
    if "month" not in trend:
        return np.array([], dtype=object)
    return np.array([month_label(month) for month in trend["month"]], dtype=object)


def publish_markers(
    trend: pd.DataFrame, publishes: list[tuple[str, int]]
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """A dashed vertical line and a label ("v3") at each month a scoring model was published:
    every stored score was re-weighted then, which is not the customers moving."""
    if not publishes or "month" not in trend:
        return [], []
    label_of = dict(zip(trend["month"], _months(trend), strict=True))
    return model_marks(
        [(label_of[month], version) for month, version in publishes if month in label_of]
    )


def _markers_layout(
    shapes: list[dict[str, object]], labels: list[dict[str, object]]
) -> dict[str, object]:
    """Layout keys for the markers, only when there are any (plotly leaves empty ones out)."""
    layout: dict[str, object] = {}
    if shapes:
        layout["shapes"] = shapes
    if labels:
        layout["annotations"] = labels
    return layout


def trend_figure(
    trend: pd.DataFrame,
    thresholds: tuple[float, float, float],
    publishes: list[tuple[str, int]] | None = None,
) -> Figure:
    """Portfolio score per month, plain and revenue-weighted, over the bands' background,
    with a marker at each model publish."""
    months = _months(trend)
    marker_shapes, marker_labels = publish_markers(trend, publishes or [])
    shapes: list[dict[str, object]] = []
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
    return figure_dict(
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
        page_layout(
            height=320,
            shapes=shapes + marker_shapes,
            yaxis=grid_axis(_("Binding score"), range=[0, 100]),
            xaxis=grid_axis(type="category"),
            **_markers_layout([], marker_labels),
        ),
    )


def band_counts_figure(
    trend: pd.DataFrame, publishes: list[tuple[str, int]] | None = None
) -> Figure:
    """Customers per band per month, stacked, with a marker at each model publish."""
    months = _months(trend)
    marker_shapes, marker_labels = publish_markers(trend, publishes or [])
    return figure_dict(
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
        page_layout(
            height=320,
            barmode="stack",
            yaxis=grid_axis(_("Customers")),
            xaxis=grid_axis(type="category"),
            **_markers_layout(marker_shapes, marker_labels),
        ),
    )


def satisfaction_barriers_figure(frame: pd.DataFrame) -> Figure:
    """One dot per customer: satisfaction × barriers, size revenue, colour band.

    ``customdata`` carries the customer id, so a click can open the customer.

    The largest figure of the page (a dot per customer), so it carries only what is drawn:
    positions to a tenth, as the hover shows them (under a pixel), written as short decimals;
    a dot's area as thousandths of the largest revenue's (whole numbers), not euros.
    """
    satisfaction = frame["satisfaction"].to_numpy(dtype=float)
    barriers = frame["barriers"].to_numpy(dtype=float)
    revenue = frame["revenue"].to_numpy(dtype=float)
    names = plotly_text(frame["name"].to_numpy(dtype=object))
    ids = frame.index.to_numpy(dtype=np.int64)
    known = ~np.isnan(satisfaction) & ~np.isnan(barriers)
    peak = float(np.nanmax(revenue[known])) if known.any() else 0.0
    area = np.zeros(len(revenue), dtype=np.uint16)
    if peak > 0:
        area = np.nan_to_num(np.round(1000.0 * np.clip(revenue, 0, None) / peak)).astype(np.uint16)
    sizeref = 2.0 * 1000.0 / (40.0**2)  # the largest dot 40 px across, as before
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
                "x": np.round(satisfaction[rows], 1).tolist(),
                "y": np.round(barriers[rows], 1).tolist(),
                "mode": "markers",
                "name": band_label(band),
                "text": names[rows],
                "customdata": ids[rows],
                "marker": {
                    "color": BAND_COLOURS[band],
                    "size": area[rows],
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
    return figure_dict(
        traces,
        page_layout(
            height=460,
            xaxis=grid_axis(_("Satisfaction"), range=[0, 100]),
            yaxis=grid_axis(_("Barriers (alternatives and investment)"), range=[0, 100]),
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
    names = plotly_text(gap["name"].to_numpy(dtype=object))
    labels = {
        "staff": str(RespondentKind.STAFF.label),
        "customer": str(RespondentKind.CUSTOMER.label),
        "expert": str(RespondentKind.EXPERT.label),
    }
    return figure_dict(
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
        page_layout(
            height=120 + 44 * len(gap),
            barmode="group",
            margin={"l": 10, "r": 20, "t": 30, "b": 40},
            xaxis=grid_axis(_("Mean element value (0–6)"), range=[0, 6]),
            yaxis={"autorange": "reversed", "automargin": True},
        ),
    )


def wall_figure(wall: pd.DataFrame) -> Figure:
    """Elements by score points to gain (weight × (6 − value), summed), largest on top."""
    factors = wall["factor"].to_numpy(dtype=object)
    names = plotly_text(wall["name"].to_numpy(dtype=object))
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
    return figure_dict(
        traces,
        page_layout(
            height=120 + 30 * len(wall),
            margin={"l": 10, "r": 20, "t": 30, "b": 40},
            xaxis=grid_axis(_("Points to gain")),
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
    # Shares to a hundredth of a percent (the hover shows tenths), written as short decimals.
    x = np.round(np.concatenate([[0.0], pareto["customer_share"].to_numpy(dtype=float)[picks]]), 2)
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
                "x": x.tolist(),
                "y": np.round(np.concatenate([[0.0], share[picks]]), 2).tolist(),
                "mode": "lines",
                "stackgroup": "bands",
                "name": band_label(band),
                "line": {"color": BAND_COLOURS[band], "width": 0.5},
                "fillcolor": BAND_COLOURS[band],
                "hovertemplate": hover,
            }
        )
    return figure_dict(
        traces,
        page_layout(
            height=380,
            xaxis=grid_axis(_("Share of customers, largest revenue first (%)"), range=[0, 100]),
            yaxis=grid_axis(_("Cumulative share of revenue (%)"), range=[0, 102]),
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
    names = plotly_text(
        [
            localised(nl, en, language)
            for nl, en in zip(elements["name_nl"], elements["name_en"], strict=True)
        ]
    )
    customers = plotly_text(lowest["name"].to_numpy(dtype=object))
    values = lowest.reindex(columns=codes).to_numpy(dtype=float)
    return figure_dict(
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
        page_layout(
            height=160 + 18 * len(lowest),
            margin={"l": 10, "r": 10, "t": 10, "b": 10},
            xaxis={"side": "top", "automargin": True, "tickangle": -35},
            yaxis={"autorange": "reversed", "automargin": True},
        ),
    )


def dashboard_figures(page: DashboardPage, language: str) -> dict[str, str]:
    """The dashboard's figures as JSON for the page, by name."""
    figures = {
        "trend": trend_figure(page.trend, rule_params().band_thresholds, page.publishes),
        "bands": band_counts_figure(page.trend, page.publishes),
        "quadrants": satisfaction_barriers_figure(page.quadrants),
        "gap": perception_gap_figure(page.gap),
        "wall": wall_figure(page.wall),
        "pareto": pareto_figure(page.pareto),
        "heatmap": heatmap_figure(page.lowest, page.elements, language),
    }
    return {name: figure_json(figure) for name, figure in figures.items()}
