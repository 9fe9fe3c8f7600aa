"""Personal link tokens for exit surveys: random (256 bits), only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import re
import secrets

# token_urlsafe(32) gives 43 characters of the URL-safe base64 alphabet.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")


def token_new() -> tuple[str, str]:
    """A fresh token and its hash: mail the token, store the hash."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_well_formed(token: str) -> bool:
    return bool(TOKEN_PATTERN.match(token or ""))
