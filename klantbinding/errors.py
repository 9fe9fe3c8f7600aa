"""The error pages (400, 403, 404, 500 and a refused form): in the app's layout and menu, in the
user's language, with a way back.

Django's own handlers render 400 and 500 pages without the request, so without the signed-in
user's menu; these give every page the request. The 500 page falls back to a page that needs
nothing (no database, no context processors) when the full layout itself fails, which is what
may have caused the error in the first place.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from scoring.roles import is_account_manager, is_management

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Link:
    url: str
    text: str


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _back(request: HttpRequest) -> str | None:
    """The page the user came from, when it is a page of this site (never another site)."""
    referer = request.META.get("HTTP_REFERER", "")
    if not referer:
        return None
    parts = urlsplit(referer)
    try:
        host = request.get_host()
    except DisallowedHost:  # the 400 page of a request for another host: no way "back"
        return None
    if parts.netloc and parts.netloc != host:
        return None
    if parts.path == request.path:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def ways_on(request: HttpRequest) -> list[Link]:
    """Where the user can go from an error page: back, and the start pages of their role."""
    links = []
    back = _back(request)
    if back:
        links.append(Link(back, _("Back to the previous page")))
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        login = _url("login")
        if login:
            links.append(Link(login, _("Sign in")))
        return links
    candidates: list[tuple[str, str]] = []
    if is_management(user):
        candidates = [
            ("scoring:dashboard", _("Dashboard")),
            ("scoring:customer-list", _("Customers")),
        ]
    elif is_account_manager(user):
        candidates = [
            ("scoring:customer-list", _("My customers")),
            ("actions:mine", _("My actions")),
            ("surveys:my-invitations", _("Surveys")),
        ]
    for name, text in candidates:
        url = _url(name)
        if url and url != request.path:
            links.append(Link(url, text))
    if not candidates:
        links.append(Link(_url("home") or "/", _("Start page")))
    return links


def _role_hint(request: HttpRequest) -> str:
    """What a user who followed a link meant for another role can do instead."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return _("Sign in with an account that may open this page.")
    if is_management(user):
        return _("Ask an administrator if you need this page.")
    if is_account_manager(user):
        return _(
            "This page is for management. As an account manager you work with your own "
            "customers: their pages, scores and actions are under the links below."
        )
    return _(
        "Your account has no role in Klantbinding yet. Ask management to add you to the "
        "account managers or to management."
    )


def _page(
    request: HttpRequest, status: int, title: str, text: str, extra: dict | None = None
) -> HttpResponse:
    context = {
        "status": status,
        "title": title,
        "text": text,
        "ways_on": ways_on(request),
        **(extra or {}),
    }
    return render(request, "error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(
        request,
        400,
        _("The request could not be read"),
        _("Something in the address or the form was not as the app expects. Nothing was saved."),
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    reason = str(exception) if exception is not None and exception.args else ""
    return _page(
        request,
        403,
        _("This page is not for your role"),
        reason or _("You do not have access to this page."),
        {"hint": _role_hint(request)},
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(
        request,
        404,
        _("Page not found"),
        _(
            "There is no page at this address, or you may not see what it held. Check the "
            "address, or continue from one of the links below."
        ),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    title = _("Something went wrong")
    text = _(
        "The app ran into an error and has recorded it. What you did last may not have been "
        "saved: check it, and try again in a moment."
    )
    try:
        return _page(request, 500, title, text)
    except Exception:  # the layout itself failed: the page that needs nothing
        logger.exception("The 500 page could not use the app's layout")
        page = get_template("500_plain.html").render({"title": title, "text": text})
        return HttpResponse(page, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused because its security token was missing or old (settings.CSRF_FAILURE_VIEW)."""
    return _page(
        request,
        403,
        _("The form had expired"),
        _(
            "For your security the app only accepts a form from a page it recently sent you, "
            "and with cookies allowed. Go back, reload the page, and send the form again."
        ),
    )
