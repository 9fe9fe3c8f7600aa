"""Personal API tokens: made with a random secret shown once, stored as its SHA-256 only."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiToken

TOKEN_PREFIX = "kb_"
# A token's last use is written at most this often: one UPDATE per token per minute, not one
# per request.
TOUCH_EVERY = timedelta(seconds=60)
NAME_MAX = ApiToken._meta.get_field("name").max_length or 100


def token_hash(secret: str) -> str:
    """The stored form of a token: its SHA-256, hex. A 256-bit random secret needs no slow
    hash (nothing to guess), and a lookup by hash is one index read per request."""
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenAlreadyMade(Exception):
    """The form that makes a token was posted again: no second token, no secret to show."""


@dataclass(frozen=True)
class NewToken:
    """A token just made: the row, and the secret that is shown this once."""

    token: ApiToken
    secret: str


def token_create(
    *,
    user: AbstractBaseUser,
    name: str,
    scope: str,
    expires_on: date | None = None,
    creation_key: uuid.UUID | None = None,
    now: datetime | None = None,
) -> NewToken:
    """Make a personal API token for ``user``; the secret comes back once and is not stored.
    TokenAlreadyMade when ``creation_key`` made a token before (a form posted again)."""
    now = now or timezone.now()
    if creation_key is not None and ApiToken.objects.filter(creation_key=creation_key).exists():
        raise TokenAlreadyMade
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the token a name, e.g. the system that uses it.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("At most %(limit)d characters.") % {"limit": NAME_MAX}]
    if scope not in ApiToken.Scope.values:
        errors["scope"] = [_("Choose read only, or read and write.")]
    if expires_on is not None and expires_on <= timezone.localdate(now):
        errors["expires_on"] = [_("Choose a day after today, or no expiry.")]
    if errors:
        raise ValidationError(errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = None
    if expires_on is not None:
        expires_at = timezone.make_aware(datetime.combine(expires_on, time.min))
    token = ApiToken.objects.create(
        user=cast(Any, user),
        name=name,
        scope=scope,
        prefix=secret[: len(TOKEN_PREFIX) + 8],
        token_hash=token_hash(secret),
        expires_at=expires_at,
        creation_key=creation_key,
    )
    return NewToken(token=token, secret=secret)


def token_revoke(*, token: ApiToken, now: datetime | None = None) -> ApiToken:
    """Revoke a token: from now on every request with it is refused (401)."""
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=token.revoked_at
        )
    return token


def token_touch(*, token: ApiToken, now: datetime | None = None) -> None:
    """Record that the token was used, at most once a minute."""
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
