"""The home page, the health check and the change history page."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache

from klantbinding import audit as audit_records
from scoring.roles import is_management
from scoring.views import management_required

logger = logging.getLogger(__name__)

HEALTH_TIMEOUT = 2.0  # seconds per part: a load balancer asks often


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


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means the database is not usable
        logger.exception("Health check: the database does not answer")
        return False
    return True


def _broker_answers() -> bool:
    """Whether Celery's broker takes connections (Redis: PING; kombu's filesystem broker in
    development: its folder is there)."""
    url = settings.CELERY_BROKER_URL
    try:
        if url.startswith("filesystem://"):
            folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
            return Path(str(folder)).is_dir()
        if url.startswith(("redis://", "rediss://")):
            import redis

            client = redis.Redis.from_url(
                url, socket_connect_timeout=HEALTH_TIMEOUT, socket_timeout=HEALTH_TIMEOUT
            )
            try:
                return bool(client.ping())
            finally:
                client.close()
        from klantbinding.celery import app

        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=HEALTH_TIMEOUT)
        return True
    except Exception:
        logger.exception("Health check: the broker does not answer")
        return False


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and docker compose: 200 when the database and the broker answer,
    else 503 naming the part that is down (details go to the log, not to the world)."""
    parts = {"database": _database_answers(), "broker": _broker_answers()}
    down = [name for name, up in parts.items() if not up]
    body = {
        "status": "error" if down else "ok",
        **{name: "ok" if up else "down" for name, up in parts.items()},
        "down": down,
    }
    return JsonResponse(body, status=503 if down else 200)


@management_required
def audit(request: HttpRequest) -> HttpResponse:
    """Management's view of who changed customers, contacts, models, campaigns and users."""
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    changes = audit_records.changes_recent(
        kind=request.GET.get("kind", ""), page=min(max(page, 1), 10_000)
    )
    return render(request, "audit/changes.html", {"changes": changes})
