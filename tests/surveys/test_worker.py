"""The whole chain with the real parts: Redis, a Celery worker started by the test, and an SMTP
server on loopback."""

from __future__ import annotations

import datetime as dt
import logging
import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from klantbinding.celery import app as celery_app
from surveys import services, tasks
from surveys.models import Campaign, Invitation
from tests.surveys.support import make_campaign, use_broker, wait_for

# Real threads need committed rows; the migrations' data (groups, the scoring model) is restored
# after each test.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def queue_drained(broker) -> bool:
    """Nothing waiting in the queue and nothing taken but unfinished (acks_late)."""
    client = redis.Redis.from_url(broker.url)
    return client.llen("celery") == 0 and client.hlen("unacked") == 0


def all_sent(count: int) -> bool:
    return Invitation.objects.filter(status="sent").count() == count


def test_a_round_for_n_customers_puts_exactly_one_email_per_recipient_in_the_smtp_server(
    celery_worker, smtp, portfolio, broker, settings
):
    settings.SURVEYS_SEND_BATCH_SIZE = 7  # several tasks, sharing the work
    customers = portfolio(30, contacts=2)

    opened = services.round_open(campaign=make_campaign())

    assert opened.invited == 60
    wait_for(lambda: len(smtp.inbox.messages) >= 60 and all_sent(60), what="60 e-mails")
    wait_for(lambda: queue_drained(broker), what="the queue to drain")
    recipients = sorted(smtp.inbox.recipients())
    assert recipients == sorted(c.email for x in customers for c in x.contacts.all())
    assert services.invitations_sweep() == 0  # nothing left for the outbox sweep


def test_a_duplicated_send_task_sends_once(smtp, portfolio, broker):
    portfolio(10)
    opened = services.round_open(campaign=make_campaign())  # queues its tasks on commit
    ids = list(opened.round.invitations.values_list("pk", flat=True))
    # The same work queued twice more (a redelivery, a sweep that ran early, a double click).
    tasks.invitations_send.delay(ids)
    tasks.invitations_send.delay(ids[:5])
    assert redis.Redis.from_url(broker.url).llen("celery") == 3

    with start_worker(
        celery_app, pool="threads", concurrency=3, perform_ping_check=False, loglevel="WARNING"
    ):
        wait_for(lambda: all_sent(10), what="all invitations sent")
        wait_for(lambda: queue_drained(broker), what="the queue to drain")

    recipients = smtp.inbox.recipients()
    assert len(recipients) == 10 and len(set(recipients)) == 10


def test_smtp_down_then_up_loses_nothing(celery_worker, smtp, portfolio, settings):
    settings.SURVEYS_RETRY_BASE_SECONDS = 1  # retries within seconds, with the same backoff
    customers = portfolio(4)
    smtp.stop()

    services.round_open(campaign=make_campaign())

    wait_for(
        lambda: Invitation.objects.filter(attempts__gte=1, status="pending").exists(),
        what="a failed first try",
    )
    failed = Invitation.objects.filter(attempts__gte=1).first()
    assert "Connection" in failed.last_error or "refused" in failed.last_error.lower()
    assert smtp.inbox.messages == []
    smtp.start()

    wait_for(lambda: all_sent(4), what="the retry to deliver everything", timeout=30)
    assert sorted(smtp.inbox.recipients()) == sorted(c.contacts.get().email for c in customers)


def test_with_redis_down_a_round_opens_and_the_sweep_sends_it_once_redis_is_back(
    smtp, portfolio, broker, mira, caplog
):
    portfolio(3)
    campaign = make_campaign(starts_on=timezone.localdate() - dt.timedelta(days=1))
    broker.stop()
    client = Client()
    client.force_login(mira)

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="surveys"):
        response = client.post(reverse("surveys:campaign-open-round", args=[campaign.pk]))
    elapsed = time.monotonic() - started

    assert response.status_code == 302
    assert elapsed < 10  # the page does not hang on the missing broker
    assert "Broker unreachable" in caplog.text
    invitations = Invitation.objects.filter(round__campaign=campaign)
    assert invitations.count() == 3
    assert set(invitations.values_list("status", flat=True)) == {"pending"}
    assert not invitations.filter(queued_at__isnull=False).exists()

    broker.start()
    use_broker(broker.url)
    with start_worker(
        celery_app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING"
    ):
        tasks.invitations_sweep.delay()  # what beat runs every minute
        wait_for(lambda: all_sent(3), what="the sweep to send everything")
    assert len(smtp.inbox.messages) == 3


def test_beat_tasks_open_due_rounds_and_send_due_reminders_through_the_worker(
    celery_worker, smtp, portfolio
):
    portfolio(2)
    campaign = make_campaign(starts_on=timezone.localdate(), reminder_after_days=7)

    tasks.rounds_open_due.delay()
    wait_for(lambda: all_sent(2), what="the due round's e-mails")
    assert Campaign.objects.get(pk=campaign.pk).rounds.count() == 1

    # A week later (the rows say so) the reminder sweep sends one reminder each.
    week_ago = timezone.now() - dt.timedelta(days=7, minutes=1)
    Invitation.objects.update(sent_at=week_ago)
    tasks.reminders_send_due.delay()
    wait_for(lambda: len(smtp.inbox.messages) == 4, what="two reminders")
    assert Invitation.objects.filter(reminders_sent=1).count() == 2
    subjects = sorted(m.message["Subject"] for m in smtp.inbox.messages)
    assert sum(s.startswith("Herinnering:") for s in subjects) == 2

    tasks.invitations_expire.delay()
    tasks.rounds_open_due.delay()  # the same period: nothing new
    wait_for(lambda: redis.Redis.from_url(celery_app.conf.broker_url).llen("celery") == 0)
    assert Campaign.objects.get(pk=campaign.pk).rounds.count() == 1
