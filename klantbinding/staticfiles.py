"""Serve plotly.js from the installed plotly package: no CDN, no copy in the repository."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_JS = "plotly/plotly.min.js"


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
