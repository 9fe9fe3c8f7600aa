"""Writes (being split by sub-domain)."""

from scoring.services.assessments import *  # noqa: F403
