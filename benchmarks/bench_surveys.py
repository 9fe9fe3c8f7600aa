"""A survey round for 10,000 customers × 2 recipients, delivered by a real Celery worker.

Run with `.venv/bin/python benchmarks/bench_surveys.py` (PostgreSQL and Redis on 127.0.0.1).
It seeds 10,000 customers into its own database once, gives every customer exactly two contact
persons, and then, in one run:

- opens a round of a campaign that asks the customers' contacts (20,000 invitations): the
  service selects the recipients, writes the invitations and queues the send tasks;
- lets a real Celery worker (a separate process, Redis db 6 as the broker) deliver every
  e-mail to a local SMTP sink (aiosmtpd in this process), and checks that each recipient got
  exactly one;
- sends the same 20,000 messages, built beforehand, with plain smtplib over one connection to
  the same sink: the floor.

Goals (issue 4): the round opens in under 10 s; delivery reaches at least 30 % of the floor.
"""

from __future__ import annotations

import argparse
import datetime
import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.common import setup_portfolio  # noqa: E402

DATABASE = "klantbinding_bench_surveys"
BROKER = "redis://127.0.0.1:6379/6"  # a db of its own: flushed before each run, nothing else


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """A local SMTP server that accepts everything and counts what arrives, per recipient."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: Counter[str] = Counter()
        self.count = 0
        self.last_at = 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.update(envelope.rcpt_tos)
            self.count += 1
            self.last_at = time.perf_counter()
        return "250 OK"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.count = 0
            self.last_at = 0.0


def prepare(customers: int) -> None:
    """Every customer active with exactly two contact persons who may be asked; no survey data."""
    from django.db import connection, transaction
    from django.db.models import Count

    from scoring.models import Contact, Customer
    from surveys.models import Campaign, Invitation, InvitationLink, Round

    with transaction.atomic():
        InvitationLink.objects.all().delete()
        Invitation.objects.all().delete()
        Round.objects.all().delete()
        Campaign.objects.all().delete()
        Customer.objects.filter(active=False).update(active=True)
        Contact.objects.filter(opted_out=True).update(opted_out=False, opted_out_at=None)
        with connection.cursor() as cursor:
            # Keep each customer's first two contacts …
            cursor.execute(
                "DELETE FROM scoring_contact WHERE id IN (SELECT id FROM (SELECT id, "
                "ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY id) AS n "
                "FROM scoring_contact) ranked WHERE n > 2)"
            )
        # … and give those with one a second.
        singles = (
            Customer.objects.annotate(n=Count("contacts"))
            .filter(n__lt=2)
            .values_list("pk", "external_id")
        )
        Contact.objects.bulk_create(
            [
                Contact(
                    customer_id=pk,
                    name=f"Tweede contact {external_id}",
                    email=f"tweede.{external_id.lower()}@bench.example",
                    language="nl",
                )
                for pk, external_id in singles
            ]
        )
    assert Contact.objects.count() == 2 * customers, Contact.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE scoring_contact")


def start_worker(env: dict[str, str], pool: str, concurrency: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "celery", "-A", "klantbinding", "worker",
        "--pool", pool, "--concurrency", str(concurrency), "--loglevel", "WARNING",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--hostname", f"bench-{os.getpid()}@%h",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def wait_until_ready(timeout: float = 60) -> None:
    from klantbinding.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return
    sys.exit("The Celery worker did not answer a ping.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--pool", default="prefork")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--batch",
        type=int,
        default=None,
        help="e-mails per send task (default: the app's SURVEYS_SEND_BATCH_SIZE)",
    )
    parser.add_argument(
        "--broker", default=BROKER, help="Redis URL of a db the run may flush (default: db 6)"
    )
    args = parser.parse_args()

    sink = Sink()
    sink.start()
    settings_env = {
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
        "CELERY_BROKER_URL": args.broker,
        "SITE_URL": "https://klantbinding.example",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    if args.batch is not None:
        settings_env["SURVEYS_SEND_BATCH_SIZE"] = str(args.batch)
    os.environ.update(settings_env)
    setup_portfolio(DATABASE, customers=args.customers)
    from django.conf import settings

    args.batch = settings.SURVEYS_SEND_BATCH_SIZE
    import redis
    from django.db import connection

    from klantbinding.company import company_get
    from surveys import services
    from surveys.models import Campaign, Invitation

    prepare(args.customers)
    redis.Redis.from_url(args.broker).flushdb()
    env = dict(os.environ)  # DATABASE_URL (set by setup_portfolio) and the settings above
    worker = start_worker(env, args.pool, args.concurrency)
    try:
        wait_until_ready()
        campaign = Campaign.objects.create(
            name="Benchmark",
            ask_customers=True,
            starts_on=datetime.date(2025, 1, 1),
            cadence_months=3,
        )
        expected = 2 * args.customers

        # 1. Open the round: select recipients, write 20,000 invitations, queue the tasks.
        started = time.perf_counter()
        opened = services.round_open(campaign=campaign)
        opened_at = time.perf_counter()
        assert opened.invited == expected, opened.invited
        open_seconds = opened_at - started

        # 2. The worker delivers; wait for the last e-mail and the last status.
        deadline = time.monotonic() + 1800
        while sink.count < expected and time.monotonic() < deadline:
            time.sleep(0.2)
        delivered_at = sink.last_at
        while (
            Invitation.objects.filter(status="sent").count() < expected
            and time.monotonic() < deadline
        ):
            time.sleep(0.2)
        once = sum(1 for n in sink.received.values() if n == 1)
        statuses = Counter(Invitation.objects.values_list("status", flat=True))
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(60)
    delivery_seconds = delivered_at - opened_at
    end_to_end = delivered_at - started

    # 3. The floor: the same messages, built beforehand, over one plain smtplib connection.
    invitations = list(
        Invitation.objects.select_related("round__campaign", "customer__account_manager").order_by(
            "pk"
        )
    )
    token = "x" * 43
    company = company_get()
    messages = []
    for invitation in invitations:
        message = services.invitation_message(invitation, token=token, company=company)
        messages.append(
            (
                message.from_email,
                [invitation.email],
                message.message().as_bytes(linesep="\r\n"),  # type: ignore[call-arg]
            )
        )
    sink.reset()
    floor_started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
        for sender, recipients, data in messages:
            smtp.sendmail(sender, recipients, data)
    floor_seconds = time.perf_counter() - floor_started
    assert sink.count == expected, sink.count
    sink.stop()

    app_rate = expected / delivery_seconds
    floor_rate = expected / floor_seconds
    size = sum(len(m[2]) for m in messages) / len(messages)
    print(
        f"\nSurvey round: {args.customers} customers × 2 contacts = {expected} invitations, "
        f"PostgreSQL {connection.cursor().connection.info.server_version}, Redis broker"
    )
    open_rate = expected / open_seconds
    print(
        f"  open the round:      {open_seconds:6.2f} s   {open_rate:8.0f} invitations/s   "
        "(goal: < 10 s)"
    )
    print(
        f"  worker delivery:     {delivery_seconds:6.2f} s   {app_rate:8.0f} e-mails/s   "
        f"(pool {args.pool}, concurrency {args.concurrency}, {args.batch} e-mails per task, "
        "prefetch 1, acks_late)"
    )
    print(f"  open + deliver:      {end_to_end:6.2f} s   {expected / end_to_end:8.0f} e-mails/s")
    print(
        f"  floor (smtplib, one connection, same {size:,.0f}-byte messages): "
        f"{floor_seconds:6.2f} s   {floor_rate:8.0f} e-mails/s"
    )
    print(f"  delivery / floor:    {100 * app_rate / floor_rate:6.1f} %   (goal: ≥ 30 %)")
    print(f"  recipients with exactly one e-mail: {once} of {expected}; statuses: {dict(statuses)}")
    if once != expected or statuses.get("sent") != expected:
        sys.exit(1)


if __name__ == "__main__":
    main()
