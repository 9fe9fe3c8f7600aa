"""The real parts of the fault tests: Celery workers and beats in processes of their own (so a
test can kill them with SIGKILL or stop them with SIGTERM), and an SMTP sink that records every
message it accepts and can answer 421 for a while or 550 for some recipients."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.surveys.support import wait_for

ROOT = Path(__file__).resolve().parents[2]
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)
LINK_PATH = re.compile(rb"/surveys/s/[A-Za-z0-9_-]{43}/")


@dataclass(frozen=True)
class Delivery:
    recipient: str
    message_id: str
    links: tuple[str, ...]  # the personal link paths in the message, as sent


@dataclass
class Sink:
    """An SMTP handler that keeps one Delivery per accepted recipient (headers and links are
    read from the raw bytes: a thousand messages are recorded in well under a second)."""

    deliveries: list[Delivery] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # 550 at RCPT: refused for good
    busy_until: float = 0.0  # 421 at MAIL until this monotonic time
    busy_replies: int = 0
    rcpt_tries: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if time.monotonic() < self.busy_until:
            with self.lock:
                self.busy_replies += 1
            return "421 4.3.2 Service not available, try again later"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpt_tries[address] += 1
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        found = MESSAGE_ID.search(raw)
        # Quoted-printable would break a long line with "=\r\n"; join those back first.
        links = LINK_PATH.findall(raw.replace(b"=\r\n", b"").replace(b"=\n", b""))
        paths = tuple(dict.fromkeys(link.decode() for link in links))
        with self.lock:
            for recipient in envelope.rcpt_tos:
                message_id = found.group(1).decode() if found else ""
                self.deliveries.append(Delivery(recipient, message_id, paths))
        return "250 Message accepted for delivery"

    def count(self) -> int:
        return len(self.deliveries)

    def per_recipient(self) -> Counter:
        with self.lock:
            return Counter(d.recipient for d in self.deliveries)


def sweeping_until(condition, *, timeout: float, what: str) -> None:
    """Wait for ``condition`` while queueing the outbox sweep every second, as beat does
    every minute (the worker process runs it with the test's short delays)."""
    from surveys import tasks

    last = [0.0]

    def check() -> bool:
        if condition():
            return True
        if time.monotonic() - last[0] > 1:
            tasks.invitations_sweep.delay()
            last[0] = time.monotonic()
        return False

    wait_for(check, timeout=timeout, what=what)


def contacts(manager, count: int) -> list[str]:
    """``count`` customers of ``manager`` with one contact person each; their addresses.
    Written in bulk (a thousand through the factories would take most of a minute)."""
    from scoring.models import Contact, Customer
    from tests.factories import CustomerFactory

    customers = Customer.objects.bulk_create(
        CustomerFactory.build(account_manager=manager) for _ in range(count)
    )
    people = Contact.objects.bulk_create(
        Contact(customer=c, name=f"Contact {c.pk}", email=f"c{c.pk}@klant.example", language="nl")
        for c in customers
    )
    return [p.email for p in people]


class SmtpSink:
    """aiosmtpd on 127.0.0.1:``port``, recording into a Sink."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sink = Sink()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


class CeleryProcess:
    """``celery worker`` or ``celery beat`` in a process group of its own, logging to a file."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path, ready: str) -> None:
        self.command = command
        self.env = env
        self.log = log
        self.ready = ready
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self, *, wait: bool = True) -> None:
        self.starts += 1
        marker = f"--- start {self.starts} ---\n"
        with self.log.open("a") as log:
            log.write(marker)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "klantbinding", *self.command],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: SIGKILL takes the pool's children too
        )
        if wait:
            wait_for(
                lambda: self.ready in self.log.read_text().rsplit(marker, 1)[-1] or self._died(),
                timeout=60,
                what=f"{self.command[0]} to start (log: {self.log})",
            )
            assert self.process.poll() is None, self.tail()

    def _died(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def kill(self) -> None:
        """What the OOM killer or a pulled plug does: every process of it, at once."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def terminate(self, timeout: float = 60) -> None:
        """What ``docker stop`` or systemd does first: SIGTERM to the main process, then wait."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # already gone
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text().splitlines()[-lines:])
