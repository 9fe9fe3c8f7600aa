"""Posting a webhook over HTTP(S) to a checked address: the one home of the address rules.

Why not a plain ``urlopen``: the receiver's host name is resolved once, every address it
resolves to is checked (no loopback, private, link-local or reserved range unless
settings.WEBHOOKS_ALLOW_PRIVATE), and the connection goes to that checked address, with the
certificate still verified against the host name. Resolving again at connect time would let
a DNS answer that changes in between (rebinding) reach an internal service.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class AddressRefused(Exception):
    """The URL may not be posted to; the message says why, in the user's language."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP address the connection goes to


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


def target_of(url: str, *, allow_private: bool | None = None) -> Target:
    """The checked target of ``url``; AddressRefused when it may not be used."""
    allow = settings.WEBHOOKS_ALLOW_PRIVATE if allow_private is None else allow_private
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise AddressRefused(_("This is not a valid URL.")) from error
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise AddressRefused(_("Use an https:// address."))
    if parts.scheme != "https" and not allow:
        raise AddressRefused(_("Use an https:// address: events are sent encrypted only."))
    if parts.username or parts.password:
        raise AddressRefused(_("Leave user name and password out of the address."))
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(
            _("The host “%(host)s” cannot be found.") % {"host": parts.hostname}
        ) from error
    addresses = [str(info[4][0]) for info in found]
    if not addresses:
        raise AddressRefused(_("The host “%(host)s” cannot be found.") % {"host": parts.hostname})
    if not allow and not all(_public(a) for a in addresses):
        raise AddressRefused(
            _(
                "“%(host)s” is a loopback, private or reserved address: events are only sent "
                "to addresses on the internet."
            )
            % {"host": parts.hostname}
        )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a fixed address, the certificate checked against the host name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._target = target

    def connect(self) -> None:
        sock = socket.create_connection((self._target.address, self.port), self.timeout)
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(sock, server_hostname=self._target.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._target = target

    def connect(self) -> None:
        self.sock = socket.create_connection((self._target.address, self.port), self.timeout)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
    """POST ``body`` to ``url``; the response's status code. AddressRefused for a refused
    address, OSError (and http.client's errors) when the receiver cannot be reached."""
    target = target_of(url)
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPS(target, timeout)
    else:
        connection = _PinnedHTTP(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # a little of the answer, so the connection ends cleanly
        return response.status
    finally:
        connection.close()
