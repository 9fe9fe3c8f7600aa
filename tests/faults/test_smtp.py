"""The mail server refusing: for a while (421) and for good (550), through a worker process."""

from __future__ import annotations

import time

import pytest

from surveys import services
from surveys.models import Invitation
from tests.faults.support import contacts, sweeping_until
from tests.surveys.support import make_campaign

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_smtp_answering_421_is_retried_until_it_accepts_and_a_550_fails_without_a_retry(
    processes, sink, anne
):
    addresses = contacts(anne, 20)
    refused = set(addresses[-3:])  # the first ones meet the 421s and are sent later
    sink.sink.refuse |= refused
    processes("worker")
    sink.sink.busy_until = time.monotonic() + 4  # "421 try again later" for four seconds

    services.round_open(campaign=make_campaign())
    settled = Invitation.objects.filter(status__in=["sent", "failed"])
    sweeping_until(lambda: settled.count() == 20, timeout=120, what="every invitation settled")
    # Retries and sweeps go on for a while: nothing more happens.
    deadline = time.monotonic() + 4
    sweeping_until(lambda: time.monotonic() > deadline, timeout=10, what="a few more sweeps")

    assert sink.sink.busy_replies >= 1
    assert sorted(sink.sink.per_recipient().elements()) == sorted(set(addresses) - refused)
    assert Invitation.objects.filter(status="sent", attempts__gt=1).exists()  # the 421 retried
    failed = Invitation.objects.filter(status="failed")
    assert set(failed.values_list("email", flat=True)) == refused
    assert all("550" in error for error in failed.values_list("last_error", flat=True))
    # Each refused address was offered to the server once (the 421 came before RCPT).
    assert {address: sink.sink.rcpt_tries[address] for address in refused} == dict.fromkeys(
        refused, 1
    )
