"""The API's demo step: a read-and-write token for management's demo user, printed once in
the summary of ``seed_demo`` so the README's curl session works on ``make run``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.contrib.auth import get_user_model

from api.services.tokens import token_create

DEMO_USER = "directie"


def seed_api(
    *, seed: int, now: datetime, progress: Callable[[str, int, int], None] | None = None
) -> str:
    """Make a demo API token for the management demo user; the summary line shows it."""
    user = get_user_model().objects.filter(username=DEMO_USER).first()
    if user is None:
        return "API: no demo token (the user directie is missing)"
    made = token_create(user=user, name="Demo", scope="read_write")
    return f"API: token of {DEMO_USER} (read and write), shown once: {made.secret}"
