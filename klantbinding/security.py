"""Who is knocking: the client's address behind trusted proxies, and the sign-in lockout.

django-axes counts wrong passwords per username and per address in the shared cache
(settings: ``AXES_*``, ``KB_LOGIN_*``); this module gives it the client's address, a handler
that keeps sign-in working while the cache is down, and the translated lockout page.
"""

from __future__ import annotations

import ipaddress
import logging
from datetime import timedelta
from functools import cache

from axes.handlers.cache import AxesCacheHandler
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _trusted_proxies() -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in settings.KB_TRUSTED_PROXIES)


@receiver(setting_changed)
def _forget_trusted_proxies(*, setting: str, **kwargs: object) -> None:
    if setting == "KB_TRUSTED_PROXIES":
        _trusted_proxies.cache_clear()


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
    return address is not None and any(address in net for net in _trusted_proxies())


def client_ip(request: HttpRequest) -> str:
    """The address the request came from, as far as it can be believed.

    The connection's own address, unless that is a trusted proxy (``KB_TRUSTED_PROXIES``):
    then X-Forwarded-For is read from the right, skipping trusted proxies, and the first
    other address is the client. Anything a client writes further left is never believed,
    so a forged header cannot make one sender look like many.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if not _is_trusted(_address(remote)):
        return remote or "unknown"
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([h for h in forwarded.split(",") if h.strip()]):
        address = _address(hop)
        if address is None:
            break  # a garbled header: believe only the proxy
        if not _is_trusted(address):
            return str(address)
    return remote


class LockoutCacheHandler(AxesCacheHandler):
    """django-axes' cache handler, but a cache outage does not stop every sign-in.

    While the cache (Redis) is down, no failure can be counted: sign-in goes on without the
    lockout, and the outage is logged, as the survey link throttle does.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        try:
            return super().get_failures(request, credentials)
        except Exception:
            logger.exception("Sign-in lockout unavailable: the cache does not answer")
            return 0

    def user_login_failed(
        self, sender: object, credentials: dict, request: HttpRequest | None = None, **kwargs
    ) -> None:
        try:
            super().user_login_failed(sender, credentials, request, **kwargs)
        except Exception:
            logger.exception("Sign-in lockout unavailable: the cache does not answer")


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """The page for a locked-out sign-in: why, and from when to try again."""
    cooloff: timedelta = settings.AXES_COOLOFF_TIME
    # Every refused try starts the cool-off again, so it ends a full cool-off from now.
    retry_at = timezone.localtime() + cooloff
    response = render(
        request,
        "registration/locked_out.html",
        {
            "retry_at": retry_at,
            "minutes": max(1, round(cooloff.total_seconds() / 60)),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    response.headers["Retry-After"] = str(int(cooloff.total_seconds()))
    return response
