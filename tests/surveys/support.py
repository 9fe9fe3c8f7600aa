"""Helpers for the survey tests: an SMTP server on loopback, a Redis server of the tests' own,
a wait-for, and a campaign builder."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr

import pytest
from aiosmtpd.controller import Controller

from klantbinding.celery import app as celery_app
from surveys.models import Campaign


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], object], *, timeout: float = 20, what: str = "") -> object:
    """Poll ``condition`` until it returns something truthy (a wait-for, not a sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(0.05)


# --------------------------------------------------------------------------------------------
# SMTP on loopback
# --------------------------------------------------------------------------------------------


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def to(self) -> str:
        return self.recipients[0]

    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()


@dataclass
class Inbox:
    messages: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # 550 at RCPT: a permanent refusal
    defer: set[str] = field(default_factory=set)  # 451 at RCPT: try again later
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unknown"
        if address in self.defer:
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.recipients]

    def recipients(self) -> list[str]:
        return [r for m in self.messages for r in m.recipients]


class SmtpServer:
    """aiosmtpd on 127.0.0.1 with a free port; can be stopped and started again (SMTP down/up)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class RedisServer:
    """A redis-server of the tests' own on a free port: it never touches a developer's data,
    and a test can take it down and up again."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is missing: install the redis-server package.")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=10, what="redis-server to answer")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


def use_broker(url: str) -> None:
    """Point the Celery app at ``url`` and drop connections made to any other broker."""
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def make_campaign(**fields: object) -> Campaign:
    defaults = {
        "name": "Klantonderzoek",
        "ask_customers": True,
        "starts_on": dt.date(2025, 1, 1),
        "cadence_months": 3,
        "reminder_after_days": 7,
        "max_reminders": 2,
        "expires_after_days": 21,
    }
    defaults.update(fields)
    return Campaign.objects.create(**defaults)


LINK = re.compile(r"https?://[^/\s]+(/surveys/s/([A-Za-z0-9_-]{43})/)")
OPT_OUT = re.compile(r"https?://[^/\s]+(/surveys/o/([A-Za-z0-9_-]{43})/)")


def link_in(body: str) -> str:
    """The path of the personal link in an e-mail body."""
    match = LINK.search(body)
    assert match, f"no personal link in:\n{body}"
    return match.group(1)


def opt_out_in(body: str) -> str:
    match = OPT_OUT.search(body)
    assert match, f"no opt-out link in:\n{body}"
    return match.group(1)


def invite(campaign: Campaign, settings) -> dict[str, str]:
    """Open the campaign's round and send it through Django's in-memory mail backend.

    Returns each recipient's personal link path, by e-mail address.
    """
    from django.core import mail

    from surveys import services

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    opened = services.round_open(campaign=campaign)
    ids = list(opened.round.invitations.values_list("pk", flat=True))
    services.invitations_send(invitation_ids=ids)
    links = {}
    for message in mail.outbox:
        address = parseaddr(message.to[0])[1]
        if "/surveys/s/" in message.body:
            links[address] = link_in(message.body)
    return links
