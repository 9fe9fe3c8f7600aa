"""The plotly figures: built from frames, safe to embed in a page, in the user's language."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from django.utils import translation

from scoring import charts


def test_figure_json_cannot_close_the_script_element_it_sits_in():
    frame = pd.DataFrame(
        {
            "name": ["</script><script>alert(1)</script>", "Gewoon B.V."],
            "revenue": [100.0, 200.0],
            "band": ["red", "green"],
            "binding_score": [20.0, 80.0],
            "satisfaction": [10.0, 90.0],
            "barriers": [70.0, 80.0],
        },
        index=pd.Index([1, 2], name="customer_id"),
    )
    text = charts.figure_json(charts.satisfaction_barriers_figure(frame))
    assert "</script>" not in text and "<script>" not in text
    names = [t["text"] for t in json.loads(text)["data"]]
    # Escaped for plotly too, which would draw markup in a name (it shows &lt; as "<").
    assert ["&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"] in names


def test_figures_speak_the_users_language_and_number_style():
    trend = pd.DataFrame(
        {
            "month": ["2026-01", "2026-02"],
            "score": [50.0, 55.0],
            "weighted_score": [52.0, np.nan],
            "red": [1, 0],
            "orange": [0, 1],
            "yellow": [0, 0],
            "green": [0, 0],
        }
    )
    with translation.override("nl"):
        dutch = json.loads(charts.figure_json(charts.band_counts_figure(trend)))
    with translation.override("en"):
        english = json.loads(charts.figure_json(charts.band_counts_figure(trend)))
    assert [t["name"] for t in dutch["data"]] == ["rood", "oranje", "geel", "groen"]
    assert [t["name"] for t in english["data"]] == ["red", "orange", "yellow", "green"]
    assert dutch["layout"]["separators"] == ",."
    assert english["layout"]["separators"] == ".,"


def test_radar_closes_the_ring_and_leaves_unanswered_elements_open():
    figure = charts.element_radar_figure(
        {"elements": [3.0, None, 5.0], "staff": [3.0, None, 5.0]}, ["A", "B", "C"]
    )
    combined = figure.data[0]
    assert list(combined.theta) == ["A", "B", "C", "A"]
    assert np.isnan(combined.r[1]) and combined.r[-1] == 3.0


def dashboard_figures() -> dict:
    """Every dashboard figure, from small frames of the shapes the dashboard passes."""
    trend = pd.DataFrame(
        {
            "month": ["2026-01", "2026-02"],
            "score": [50.0, np.nan],
            "weighted_score": [52.0, 54.0],
            **{band: [1.0, 2.0] for band in ("red", "orange", "yellow", "green")},
        }
    )
    customers = pd.DataFrame(
        {
            "name": ["A B.V.", "B B.V.", "C B.V."],
            "revenue": [100.0, 300.0, 50.0],
            "band": ["red", "green", ""],
            "binding_score": [20.0, 80.0, np.nan],
            "satisfaction": [10.0, 90.0, np.nan],
            "barriers": [70.0, 80.0, np.nan],
        },
        index=pd.Index([1, 2, 3], name="customer_id"),
    )
    gap = pd.DataFrame(
        {
            "name": ["Prijs", "Service"],
            "staff": [4.0, 5.0],
            "customer": [3.0, np.nan],
            "expert": [np.nan, 4.5],
        }
    )
    wall = pd.DataFrame(
        {
            "name": ["Prijs", "Contract"],
            "factor": ["satisfaction", "investment"],
            "gain": [30.0, 12.0],
            "score_points": [5.0, 2.0],
        }
    )
    pareto = pd.DataFrame(
        {
            "revenue": [300.0, 100.0, 50.0],
            "customer_share": [33.3, 66.7, 100.0],
            "band": ["green", "red", ""],
        }
    )
    elements = pd.DataFrame(
        {"code": ["price", "contract"], "name_nl": ["Prijs", ""], "name_en": ["Price", "Contract"]}
    )
    lowest = pd.DataFrame({"name": ["A B.V."], "price": [1.0], "contract": [np.nan]})
    return {
        "trend": charts.trend_figure(trend, (40.0, 55.0, 70.0), [("2026-02", 2)]),
        "bands": charts.band_counts_figure(trend, [("2026-02", 2)]),
        "quadrants": charts.satisfaction_barriers_figure(customers),
        "gap": charts.perception_gap_figure(gap),
        "wall": charts.wall_figure(wall),
        "pareto": charts.pareto_figure(pareto),
        "heatmap": charts.heatmap_figure(lowest, elements, "nl"),
    }


def test_dashboard_figures_are_valid_plotly_figures():
    # The dashboard builds its figures as plain dicts; plotly's own validation checks them here.
    for name, figure in dashboard_figures().items():
        validated = go.Figure(figure)  # raises on a property plotly does not know
        assert len(validated.data) == len(figure["data"]) >= 1, name


def test_trend_charts_mark_the_month_a_model_was_published():
    figures = dashboard_figures()
    for name in ("trend", "bands"):
        layout = figures[name]["layout"]
        (line,) = [shape for shape in layout["shapes"] if shape["type"] == "line"]
        (label,) = layout["annotations"]
        assert line["x0"] == line["x1"] == label["x"] == figures[name]["data"][0]["x"][1], name
        assert "v2" in label["text"], name
    unmarked = charts.band_counts_figure(
        pd.DataFrame(
            {"month": ["2026-01"], **{b: [1.0] for b in ("red", "orange", "yellow", "green")}}
        )
    )
    assert "shapes" not in unmarked["layout"] and "annotations" not in unmarked["layout"]


def test_dashboard_figure_json_is_what_plotly_would_write():
    for name, figure in dashboard_figures().items():
        ours = json.loads(charts.figure_json(figure))
        plotly = json.loads(go.Figure(figure).to_json())
        # The template goes to the page once (charts.template_json), not into each figure.
        assert plotly["layout"].pop("template") == json.loads(charts.template_json()), name
        assert ours == plotly, name
