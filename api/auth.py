"""Who calls the API and what they may do: personal tokens (``Authorization: Bearer kb_…``)
or the browser session (for the docs), the token's scope, and throttling per token."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiToken
from api.services.tokens import TOKEN_PREFIX, token_hash, token_touch
from scoring.roles import is_management

if TYPE_CHECKING:
    from rest_framework.views import APIView


class TokenAuthentication(BaseAuthentication):
    """A personal API token in the Authorization header. A missing header lets the next
    authenticator (the session) try; a wrong, revoked or expired token is a 401."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("The Authorization header must read “Bearer” and the token, nothing else.")
            )
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed(_("This token is not valid.")) from error
        if not secret.startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed(_("This token is not valid."))
        token = (
            ApiToken.objects.select_related("user").filter(token_hash=token_hash(secret)).first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("This token is not valid."))
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This token was revoked."))
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("This token has expired."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The user of this token is inactive."))
        token_touch(token=token, now=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class TokenScope(BasePermission):
    """Signed in; a read-only token may only read (403 on a write)."""

    message = _("This token may only read: make a read and write token to change data.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        token = request.auth
        return not isinstance(token, ApiToken) or token.can_write


class ManagementOnly(BasePermission):
    """Writes that the pages allow management only (upserting customers, actions, departures)."""

    message = _("Only management may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_management(request.user)


class TokenRateThrottle(SimpleRateThrottle):
    """Requests per token (a session per user): settings.API_RATE, e.g. "1200/min"."""

    scope = "token"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"t{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"u{request.user.pk}"
        else:
            ident = f"a{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
