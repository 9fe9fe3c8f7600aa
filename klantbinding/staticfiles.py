"""How the app's static files are stored and found.

``StaticStorage``: every ``collectstatic`` (``make run``, the Docker image) writes each file
under a name with its content's hash, plus a gzipped copy (whitenoise's manifest storage), so
WhiteNoise serves it compressed and cached for a year (``immutable``): a browser asks for
plotly.js once, not again every minute. (No Brotli copies: Brotli's best level takes about a
minute for plotly.js on this kind of machine, on every collectstatic, to save a quarter.)
Before anything is collected (a checkout, the tests, ``DEBUG``), pages link the plain names,
which the finders serve: a missing manifest never turns a page into a 500.

``PlotlyFinder``: the full plotly.js from the installed plotly package (no CDN, no copy in the
repository), for the customer page's radar (a polar trace). The dashboard and the effect report
draw only cartesian traces and load plotly's official cartesian bundle instead
(static/vendor/plotly/, a third of the size; see ``PLOTLY_CARTESIAN``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

PLOTLY_JS = "plotly/plotly.min.js"
# plotly.js's cartesian bundle (npm package plotly.js-cartesian-dist-min, the same version as
# the plotly package's plotly.js): scatter, bar, heatmap, box, histogram, contour, pie and
# their error bars, shapes and annotations. tests/scoring/test_charts.py checks that every
# figure of the pages that load it uses only these trace types.
PLOTLY_CARTESIAN = "vendor/plotly/plotly-cartesian.min.js"
CARTESIAN_TRACES = frozenset(
    {
        "bar",
        "box",
        "contour",
        "heatmap",
        "histogram",
        "histogram2d",
        "histogram2dcontour",
        "image",
        "pie",
        "scatter",
        "scatterternary",
        "violin",
    }
)


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Hashed and compressed names once collected; the plain name of a file never collected."""

    manifest_strict = False

    def create_compressor(self, **kwargs: Any) -> Compressor:
        # gzip only, even where the brotli package is installed (the load test's HTTP client
        # brings it in): see the module's docstring.
        return super().create_compressor(**{**kwargs, "use_brotli": False})

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:  # nothing collected yet: the finders serve the plain names
            return name
        try:
            return super().stored_name(name)
        except ValueError:  # added since the last collectstatic
            return name


class PlotlyFinder(BaseFinder):
    """Finds ``plotly/plotly.min.js`` in plotly's package data, and nothing else."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.directory = Path(plotly.__file__).resolve().parent / "package_data"
        self.storage = FileSystemStorage(location=str(self.directory))
        self.storage.prefix = "plotly"  # type: ignore[attr-defined]

    def check(self, **kwargs: object) -> list:
        return []

    def find(  # type: ignore[override]
        self, path: str, find_all: bool = False, **kwargs: object
    ) -> str | list[str]:
        if path != PLOTLY_JS:
            return [] if find_all else ""
        match = str(self.directory / "plotly.min.js")
        return [match] if find_all else match

    def list(
        self, ignore_patterns: Iterable[str] | None
    ) -> Iterator[tuple[str, FileSystemStorage]]:
        yield "plotly.min.js", self.storage
