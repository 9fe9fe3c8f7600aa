"""What every figure shares: the colours, the page's font and number style, and the JSON that
puts a figure into a page.

``figure_json`` turns a figure into JSON that is safe inside a ``<script type="application/json">``
element, where static/js/dashboard.js draws it with plotly.js (served by the app, no CDN).
Large series go in as NumPy arrays and are written as plotly.js typed arrays (base64), as
plotly.py itself writes them. The dashboard sends plotly.py's default template once per page
(``template_json``) instead of once per figure, so the figures look as ``go.Figure`` would
draw them.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from django.utils import formats, translation
from django.utils.translation import gettext as _

from klantbinding.lib import dates

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


def page_layout(**extra: object) -> dict:
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


# Django's date format codes and the d3 ones plotly.js reads ("-" drops the leading zero).
D3_CODES = {
    "j": "%-d",
    "d": "%d",
    "n": "%-m",
    "m": "%m",
    "Y": "%Y",
    "y": "%y",
    "M": "%b",
    "F": "%B",
    "H": "%H",
    "i": "%M",
}


def d3_date_format(name: str = "SHORT_DATE_FORMAT") -> str:
    """The active language's named date format (klantbinding/formats) for plotly's tickformat and
    hovertemplate: Dutch 1-12-2026, English 1 Dec 2026, as the page writes its dates."""
    return "".join(D3_CODES.get(code, code) for code in formats.get_format(name))


def month_label(month: str) -> str:
    """A "2026-03" month key as the active language writes a month: maart 2026, Mar 2026."""
    year, number = month.split("-")
    return dates.format_date(date(int(year), int(number), 1), "YEAR_MONTH_FORMAT")


def grid_axis(title: str = "", **extra: object) -> dict:
    axis = {"gridcolor": "#e9ecef", "zeroline": False, "title": {"text": title}}
    axis.update(extra)
    return axis


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


def model_marks(
    marks: Sequence[tuple[object, int]],
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """A dashed vertical line and a label ("model v3") at each x where a scoring model was
    published: every stored score was re-weighted then, which is not the customers moving.
    The one look of these marks, on the dashboard's trends and the customer's history."""
    shapes: list[dict[str, object]] = []
    labels: list[dict[str, object]] = []
    for x, version in marks:
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": x,
                "x1": x,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#495057", "width": 1, "dash": "dash"},
            }
        )
        labels.append(
            {
                "x": x,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "text": _("model v%(version)s") % {"version": version},
                "font": {"size": 11, "color": "#495057"},
            }
        )
    return shapes, labels


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


def plotly_text(values: Any) -> Any:
    """Names (of customers, elements, campaigns) as plotly text: plotly draws ``<a href>``,
    ``<b>``, ``<span style>`` and ``<br>`` in labels, hover texts and axis ticks as markup, so
    a customer named ``<a href="https://evil.example">`` would be a link. Escaped, the name
    shows as typed (plotly turns &lt; &gt; &amp; back into the characters)."""
    if isinstance(values, str):
        return html.escape(values, quote=False)
    if isinstance(values, np.ndarray):
        return np.array([plotly_text(v) for v in values.tolist()], dtype=object)
    if isinstance(values, list | tuple):
        return [plotly_text(v) for v in values]
    return values


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


def figure_dict(data: list[dict], layout: dict) -> Figure:
    return {"data": data, "layout": layout}
