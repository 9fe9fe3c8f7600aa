"""A worker that dies mid-round (SIGKILL) or is stopped (SIGTERM), with a round of 1,000 e-mails
going through Redis, a worker process and an SMTP sink."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.test import Client
from django.urls import reverse

from surveys import services
from surveys.models import Invitation
from tests.faults.support import contacts, sweeping_until
from tests.surveys.support import make_campaign, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROUND = 1000
CONCURRENCY = 2  # the worker's processes (tests/faults/conftest.py)


def sent() -> int:
    return Invitation.objects.filter(status="sent").count()


def test_a_worker_killed_mid_round_sends_every_invitation_duplicating_at_most_those_in_flight(
    processes, sink, anne, mira
):
    addresses = contacts(anne, ROUND)
    worker = processes("worker")
    assert services.round_open(campaign=make_campaign()).invited == ROUND

    wait_for(lambda: sink.sink.count() >= ROUND // 3, timeout=120, what="a third of the round")
    worker.kill()
    in_flight = set(Invitation.objects.filter(status="sending").values_list("email", flat=True))
    assert sink.sink.count() < ROUND  # the kill came mid-round
    worker.start()
    sweeping_until(lambda: sent() == ROUND, timeout=180, what="every invitation sent")

    per_recipient = sink.sink.per_recipient()
    assert sorted(per_recipient) == sorted(addresses)  # none lost, nobody else
    duplicated = {address for address, n in per_recipient.items() if n > 1}
    assert max(per_recipient.values()) <= 2
    # Only an e-mail whose outcome was not yet recorded at the kill can arrive twice: at most
    # MARK_EVERY per running task.
    assert duplicated <= in_flight
    assert len(duplicated) <= CONCURRENCY * services.MARK_EVERY
    # A second copy is the same e-mail: the same Message-ID and the same link.
    copies = defaultdict(set)
    for delivery in sink.sink.deliveries:
        copies[delivery.recipient].add((delivery.message_id, delivery.links))
    assert all(len(versions) == 1 for versions in copies.values())
    assert len({d.message_id for d in sink.sink.deliveries}) == ROUND
    assert not Invitation.objects.exclude(status="sent").exists()

    # Management resends an invitation (say it had failed): the link of the first e-mail,
    # and the new one, open the same answer page.
    invitation = Invitation.objects.order_by("pk").first()
    (first_link,) = next(d for d in sink.sink.deliveries if d.recipient == invitation.email).links
    Invitation.objects.filter(pk=invitation.pk).update(status="failed", last_error="451 later")
    staff = Client()
    staff.force_login(mira)
    response = staff.post(reverse("surveys:invitation-resend", args=[invitation.pk]))
    assert response.status_code == 302
    wait_for(
        lambda: sink.sink.per_recipient()[invitation.email] == per_recipient[invitation.email] + 1,
        timeout=60,
        what="the resent e-mail",
    )
    (resent_link,) = [d for d in sink.sink.deliveries if d.recipient == invitation.email][-1].links
    answer_page = reverse("surveys:answer", args=[invitation.public_id])
    for link in (first_link, resent_link):
        response = Client().get(link)
        assert (response.status_code, response.url) == (302, answer_page)


def test_a_worker_stopped_with_sigterm_mid_round_sends_every_invitation_once(processes, sink, anne):
    addresses = contacts(anne, ROUND)
    worker = processes("worker")
    assert services.round_open(campaign=make_campaign()).invited == ROUND

    wait_for(lambda: sink.sink.count() >= ROUND // 3, timeout=120, what="a third of the round")
    worker.terminate()  # a warm shutdown: the running tasks finish, the waiting ones go back
    assert not Invitation.objects.filter(status="sending").exists()
    assert sink.sink.count() < ROUND
    worker.start()
    sweeping_until(lambda: sent() == ROUND, timeout=180, what="every invitation sent")

    assert sorted(sink.sink.per_recipient().elements()) == sorted(addresses)  # each once
    assert not Invitation.objects.filter(last_error__contains="interrupted").exists()
