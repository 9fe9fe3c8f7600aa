"""Dates as the house writes them (see klantbinding.lib.dates): the actions' names for them."""

from __future__ import annotations

from klantbinding.lib.dates import day, long_day

__all__ = ["day", "long_day"]
