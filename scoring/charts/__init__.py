"""Plotly figures for the dashboard (``dashboard``) and the customer page (``customer``), and
what they share (``common``: colours, layout, the JSON a page embeds)."""

from scoring.charts.common import (
    BAND_COLOURS,
    FACTOR_COLOURS,
    KIND_COLOURS,
    Figure,
    figure_json,
    template_json,
)
from scoring.charts.customer import customer_figures, element_radar_figure, score_history_figure
from scoring.charts.dashboard import (
    band_counts_figure,
    dashboard_figures,
    heatmap_figure,
    pareto_figure,
    perception_gap_figure,
    satisfaction_barriers_figure,
    trend_figure,
    wall_figure,
)

__all__ = [
    "BAND_COLOURS",
    "FACTOR_COLOURS",
    "KIND_COLOURS",
    "Figure",
    "band_counts_figure",
    "customer_figures",
    "dashboard_figures",
    "element_radar_figure",
    "figure_json",
    "heatmap_figure",
    "pareto_figure",
    "perception_gap_figure",
    "satisfaction_barriers_figure",
    "score_history_figure",
    "template_json",
    "trend_figure",
    "wall_figure",
]
