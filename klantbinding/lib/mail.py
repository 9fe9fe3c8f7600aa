"""Addresses of the app's e-mails, one home for building a recipient or a sender from a name,
and a message class that flattens a text + HTML e-mail quickly (``FlatMessage``).

A name comes from users and imports: a newline in it would make Django refuse the message
(a header split over lines is how a ``Bcc:`` gets injected), and a comma or quote written
straight into ``Name <address>`` would make two recipients of one. ``formataddr`` quotes the
name; its whitespace (newlines included) is collapsed to single spaces first.
"""

from __future__ import annotations

import functools
import re
import secrets
from email.policy import compat32
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import forbid_multi_line_headers
from django.core.mail.utils import DNS_NAME


def recipient(name: str, address: str) -> str:
    """``"Name" <address>`` for a To header, or the bare address without a name."""
    name = " ".join(name.split())
    return formataddr((name, address)) if name else address


def sender(name: str, from_email: str) -> str:
    """``"Name" <address>`` for a From header: the address of ``from_email`` (a bare address
    or ``Name <address>``) under another display name, which is made safe like a recipient's.
    """
    address = parseaddr(from_email)[1] or from_email.strip()
    return recipient(name, address)


RFC5322_LINE_LIMIT = 998
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
# How the email package's generator writes each header line (Django's messages use compat32).
_FOLD = compat32.clone(linesep="\r\n")
MAX_HEADER_LINE = 78  # compat32.max_line_length


class _Flat:
    """A message already flattened to bytes, for the mail backends: they only call
    ``as_bytes`` (SMTP, file, console), ``as_string`` or ``get_charset`` on it."""

    def __init__(self, data: bytes, headers: list[tuple[str, str]]) -> None:
        self.data = data
        self.headers = headers

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        if linesep == "\r\n":
            return self.data
        return self.data.replace(b"\r\n", linesep.encode())

    def as_string(self, unixfrom: bool = False, linesep: str = "\n") -> str:
        return self.as_bytes(linesep=linesep).decode("utf-8", errors="surrogateescape")

    def get_charset(self) -> None:
        return None

    def __getitem__(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class FlatMessage(EmailMultiAlternatives):
    """A text e-mail with one HTML alternative, flattened without the email package.

    The email package builds a tree of MIME objects and walks it with its generator: for a
    survey batch that cost more than rendering the templates. This writes the same headers
    (each value made safe by Django's own ``forbid_multi_line_headers``: RFC 2047 for
    non-ASCII, one line, addresses quoted) and the same two parts, 7bit or 8bit UTF-8, as
    ``EmailMultiAlternatives.message()``; anything else (a long line that needs
    quoted-printable, attachments, another charset) goes the usual way.
    tests/surveys/test_mail_batch.py compares both, header by header and part by part.
    """

    def message(self) -> Any:  # type: ignore[override]  # the stubs name a later Django's policy argument
        if (
            self.attachments
            or len(self.alternatives) != 1
            or self.alternatives[0][1] != "text/html"
            or not self.body
            or (self.encoding or settings.DEFAULT_CHARSET).lower() != "utf-8"
            or self.cc
            or any(
                len(line.encode()) > RFC5322_LINE_LIMIT
                for part in (self.body, str(self.alternatives[0][0]))
                for line in part.splitlines()
            )
        ):
            return super().message()
        headers: list[tuple[str, str]] = [("Subject", str(self.subject))]
        headers.append(("From", str(self.extra_headers.get("From", self.from_email))))
        if self.to:
            headers.append(("To", ", ".join(str(v) for v in self.to)))
        if self.reply_to:
            headers.append(("Reply-To", ", ".join(str(v) for v in self.reply_to)))
        names = {key.lower() for key in self.extra_headers}
        if "date" not in names:
            headers.append(("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)))
        if "message-id" not in names:
            headers.append(("Message-ID", make_msgid(domain=DNS_NAME)))
        for name, value in self.extra_headers.items():
            if name.lower() not in {"from", "to", "cc", "reply-to"}:
                headers.append((name, value))
        parts = [_part("plain", str(self.body)), _part("html", str(self.alternatives[0][0]))]
        boundary = "=" * 15 + f"{secrets.randbelow(10**19):019d}" + "=="
        while any(boundary.encode() in part for part in parts):
            boundary = "=" * 15 + f"{secrets.randbelow(10**19):019d}" + "=="
        headers[:0] = [
            ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
            ("MIME-Version", "1.0"),
        ]
        data = b"".join(
            [
                *(_header_line(name, value) for name, value in headers),
                f"\r\n--{boundary}\r\n".encode(),
                parts[0],
                f"\r\n--{boundary}\r\n".encode(),
                parts[1],
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        return _Flat(data, headers)


@functools.lru_cache(maxsize=4096)
def _header_line(name: str, value: str) -> bytes:
    """One header line as Django and the generator write it; a batch repeats most of them.

    A short ASCII value on one line, without runs of spaces, is written as it is: that is
    what the generator's folding gives for it, without its cost."""
    name, value = forbid_multi_line_headers(name, value, "utf-8")
    if (
        len(name) + 2 + len(value) <= MAX_HEADER_LINE
        and value.isascii()
        and value.isprintable()
        and "  " not in value
        and value == value.strip()
    ):
        return f"{name}: {value}\r\n".encode()
    return _FOLD.fold_binary(name, value)


def _part(subtype: str, text: str) -> bytes:
    encoded = _LINE_BREAKS.sub("\r\n", text).encode("utf-8")
    transfer = "7bit" if encoded.isascii() else "8bit"
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        f"MIME-Version: 1.0\r\nContent-Transfer-Encoding: {transfer}\r\n\r\n"
    ).encode() + encoded
