"""Spreadsheet imports (being split by step)."""

from scoring.imports.customers import *  # noqa: F403
