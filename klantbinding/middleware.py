"""Sessions that end: after an idle time, and some hours after they began however busy."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponse

STARTED = "kb_started"  # when the session began (seconds since the epoch)
SEEN = "kb_seen"  # the last request that refreshed it
# Refresh the stored expiry at most this often: a write per request would cost every page an
# UPDATE of the session row. The idle limit is then kept to within this many seconds.
REFRESH_SECONDS = 60


class SessionTimeoutMiddleware:
    """Ends a session ``KB_SESSION_IDLE_MINUTES`` after its last request, and
    ``KB_SESSION_MAX_HOURS`` after it began.

    ``SESSION_COOKIE_AGE`` is the idle time, so the cookie and the stored session expire by
    themselves once requests stop; this middleware renews them while requests come (at most
    once a minute) and ends a session that is idle or old all the same, should its cookie
    outlive it. Sessions nobody wrote to (anonymous visitors) are left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if not session.is_empty():
            now = int(time.time())
            started = session.get(STARTED, now)
            seen = session.get(SEEN, now)
            idle = now - seen > settings.KB_SESSION_IDLE_MINUTES * 60
            old = now - started > settings.KB_SESSION_MAX_HOURS * 3600
            if idle or old:
                session.flush()
                request.user = AnonymousUser()
            elif STARTED not in session or now - seen >= REFRESH_SECONDS:
                session[STARTED] = started
                session[SEEN] = now
        return self.get_response(request)


def _session_started(sender: object, request: HttpRequest, user: object, **kwargs: object) -> None:
    """Signing in starts the session's clock, whatever the browser did before."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[STARTED] = now
        request.session[SEEN] = now


def connect() -> None:
    user_logged_in.connect(_session_started, dispatch_uid="klantbinding.session_started")
