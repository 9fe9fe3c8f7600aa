"""What the relations views share: the ownership lookup and a safe way back."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.http import url_has_allowed_host_and_scheme

from scoring.models import Customer
from scoring.selectors import customers_visible_to


def signed_in(request: HttpRequest) -> User:
    """The signed-in user of a view behind ``login_required`` (or ``management_required``)."""
    user = request.user
    assert isinstance(user, User)
    return user


def visible_customer(request: HttpRequest, pk: int) -> Customer:
    """The customer, if this user may see it; a 404 otherwise (another manager's customer)."""
    return get_object_or_404(
        customers_visible_to(request.user).select_related("account_manager"), pk=pk
    )


def next_url(request: HttpRequest, default: str) -> str:
    """The page to go back to (``next`` in the form or URL), only when it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
