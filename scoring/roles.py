"""The roles of DESIGN.md §4, as Django groups, and the checks the views use."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

ACCOUNT_MANAGERS = "Account managers"
MANAGEMENT = "Management"


def _in_group(user: AbstractBaseUser | AnonymousUser, name: str) -> bool:
    if not user.is_authenticated:
        return False
    member: Any = user  # the project's user model: with groups
    # Cache the group names on the user object: menus and views ask several times a request.
    names = getattr(member, "_klantbinding_groups", None)
    if names is None:
        names = set(member.groups.values_list("name", flat=True))
        member._klantbinding_groups = names
    return name in names


def is_management(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Management and administrators see everything."""
    superuser = bool(getattr(user, "is_superuser", False))
    return bool(user.is_authenticated and (superuser or _in_group(user, MANAGEMENT)))


def is_account_manager(user: AbstractBaseUser | AnonymousUser) -> bool:
    return _in_group(user, ACCOUNT_MANAGERS)


def management_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in management only: others get a 403, anonymous users go to sign-in."""

    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_management(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
