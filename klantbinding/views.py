"""The home page and the health check."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from scoring.roles import is_management


def _first_url(*names: str) -> str | None:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def home(request: HttpRequest) -> HttpResponse:
    """Send each role where it works: management to the dashboard, others to their customers."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if is_management(request.user):
        target = _first_url("scoring:dashboard", "scoring:customer-list")
    else:
        target = _first_url("scoring:customer-list")
    if target:
        return redirect(target)
    return render(request, "home.html")


def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and docker compose."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means unhealthy
        return JsonResponse({"status": "error", "database": str(exc)}, status=503)
    return JsonResponse({"status": "ok"})
