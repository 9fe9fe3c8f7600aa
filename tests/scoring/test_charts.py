"""The plotly figures: built from frames, safe to embed in a page, in the user's language."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
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
    assert ["</script><script>alert(1)</script>"] in names


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
