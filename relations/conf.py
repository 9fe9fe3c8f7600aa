"""The relations app's settings, with their defaults (override them in settings.py)."""

from __future__ import annotations

from django.conf import settings

from relations.calculations import DUE_WITHIN_DAYS


def due_within_days() -> int:
    """A rhythm is "due" when its target falls within this many days (today included)."""
    return int(getattr(settings, "RELATIONS_DUE_WITHIN_DAYS", DUE_WITHIN_DAYS))


def exit_survey_days() -> int:
    """How long an exit survey link stays open."""
    return int(getattr(settings, "RELATIONS_EXIT_SURVEY_DAYS", 30))


def exit_survey_max_attempts() -> int:
    """How often an exit survey e-mail is tried before it counts as failed."""
    return int(getattr(settings, "RELATIONS_SEND_MAX_ATTEMPTS", 5))


def from_email() -> str:
    """The sender of the relations e-mails (the surveys' sender when set)."""
    return str(
        getattr(settings, "RELATIONS_FROM_EMAIL", "")
        or getattr(settings, "SURVEYS_FROM_EMAIL", "")
        or settings.DEFAULT_FROM_EMAIL
    )


def site_url(path: str) -> str:
    """An absolute URL for a link in an e-mail."""
    return f"{settings.SITE_URL.rstrip('/')}{path}"
