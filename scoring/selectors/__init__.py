"""Reads (being split by sub-domain)."""

from scoring.selectors.customers import *  # noqa: F403
