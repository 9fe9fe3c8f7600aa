"""Personal link tokens: 256 bits, only their SHA-256 is stored.

The first e-mail's token is derived from the invitation's public id with a keyed HMAC (the
secret key), not drawn at random: a send that is tried again, after a worker died mid-send or
after management resent a failed invitation, mails the same link as the e-mail that may already
have arrived, so no link a respondent holds ever stops working. The database still holds no
working link: the token cannot be derived from it without the secret key. A reminder's token is
random (``token_new``); its hash is kept next to the invitation's.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import uuid

from django.utils.crypto import salted_hmac

# token_urlsafe(32) gives 43 characters of the URL-safe base64 alphabet.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
_LINK_SALT = "surveys.invitation-link"


def token_new() -> tuple[str, str]:
    """A fresh token and its hash: mail the token, store the hash."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_for(public_id: uuid.UUID | str) -> tuple[str, str]:
    """The token of an invitation's first e-mail and its hash: the same on every try."""
    digest = salted_hmac(_LINK_SALT, str(public_id), algorithm="sha256").digest()
    token = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_well_formed(token: str) -> bool:
    return bool(TOKEN_PATTERN.match(token or ""))
