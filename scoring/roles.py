"""The roles of DESIGN.md §4, as Django groups, and the checks the views use."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

ACCOUNT_MANAGERS = "Account managers"
MANAGEMENT = "Management"


def _in_group(user: AbstractBaseUser | AnonymousUser, name: str) -> bool:
    if not user.is_authenticated:
        return False
    # Cache the group names on the user object: menus and views ask several times a request.
    names = getattr(user, "_klantbinding_groups", None)
    if names is None:
        names = set(user.groups.values_list("name", flat=True))
        user._klantbinding_groups = names
    return name in names


def is_management(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Management and administrators see everything."""
    return bool(user.is_authenticated and (user.is_superuser or _in_group(user, MANAGEMENT)))


def is_account_manager(user: AbstractBaseUser | AnonymousUser) -> bool:
    return _in_group(user, ACCOUNT_MANAGERS)
