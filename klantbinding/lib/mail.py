"""Addresses of the app's e-mails, one home for building a recipient or a sender from a name.

A name comes from users and imports: a newline in it would make Django refuse the message
(a header split over lines is how a ``Bcc:`` gets injected), and a comma or quote written
straight into ``Name <address>`` would make two recipients of one. ``formataddr`` quotes the
name; its whitespace (newlines included) is collapsed to single spaces first.
"""

from __future__ import annotations

from email.utils import formataddr, parseaddr


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
