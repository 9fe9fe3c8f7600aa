"""The home page, the health check, the change history page, the company settings and the
unsubscribe page of staff e-mails."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from klantbinding import audit as audit_records
from klantbinding import company
from klantbinding import unsubscribe as unsubscribe_links
from klantbinding.models import CompanySettings
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


@management_required
def company_settings(request: HttpRequest) -> HttpResponse:
    """Management sets the company's name, logo and reply-to address of survey e-mails."""
    row = company.company_settings()
    if request.method == "POST":
        form = company.CompanyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                company.company_save(
                    name=form.cleaned_data["name"],
                    reply_to=form.cleaned_data["reply_to"],
                    logo=form.cleaned_data["logo"],
                    remove_logo=form.cleaned_data["remove_logo"],
                )
            except ValidationError as exc:
                form.add_error("logo", exc)
            else:
                messages.success(request, _("The company settings are saved."))
                return redirect("company-settings")
    else:
        form = company.CompanyForm(initial={"name": row.name, "reply_to": row.reply_to})
    return render(
        request,
        "company/settings.html",
        {"form": form, "row": row, "company": company.company_get()},
    )


@require_GET
def company_logo(request: HttpRequest) -> HttpResponse:
    """The company's logo, public: survey e-mails and answer pages show it. The URL carries
    the logo's version, so it may be cached for long."""
    row = CompanySettings.objects.filter(pk=1).only("logo", "logo_type").first()
    if row is None or not row.logo_type:
        raise Http404
    response = HttpResponse(bytes(row.logo), content_type=row.logo_type)
    response["Cache-Control"] = "public, max-age=86400"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@csrf_exempt  # RFC 8058 one-click unsubscribe: the mail client POSTs without a CSRF token
@never_cache
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The unsubscribe link of a staff e-mail: GET asks, POST turns that e-mail off.

    No sign-in: the signed token names the user and the kind of e-mail
    (klantbinding/unsubscribe.py). A GET changes nothing, so a mail scanner that follows
    links turns nothing off."""
    found = unsubscribe_links.unsubscribe_read(token)
    if found is None:
        return render(request, "unsubscribe.html", {"invalid": True}, status=404)
    user, kind, mail_kind = found
    done = False
    if request.method == "POST":
        unsubscribe_links.unsubscribe(user, kind)
        done = True
    return render(
        request,
        "unsubscribe.html",
        {
            "label": mail_kind.label,
            "done": done,
            "settings_url": reverse(mail_kind.settings_url),
            "token": token,
        },
    )
