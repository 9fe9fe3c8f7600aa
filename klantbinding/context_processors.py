"""What every page needs to draw the menu for the user's role."""

from __future__ import annotations

from django.http import HttpRequest

from scoring.roles import is_account_manager, is_management


def roles(request: HttpRequest) -> dict[str, bool]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_management": False, "is_account_manager": False}
    return {"is_management": is_management(user), "is_account_manager": is_account_manager(user)}
