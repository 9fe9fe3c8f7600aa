"""Redis stopped while staff submit matrices and a round opens, with a worker process running."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scoring.models import Assessment, Customer
from surveys.models import Invitation
from tests.faults.support import contacts, sweeping_until
from tests.scoring.test_matrix import matrix_data
from tests.surveys.support import make_campaign

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_with_redis_stopped_no_assessment_is_lost_and_the_round_goes_out_when_it_returns(
    processes, broker, sink, anne, bart, mira
):
    addresses = contacts(anne, 10) + contacts(bart, 10)
    processes("worker")
    broker.stop()

    submitted = 0
    for user in (anne, bart):
        staff = Client()
        staff.force_login(user)
        for customer in Customer.objects.filter(account_manager=user).order_by("pk")[:4]:
            started = time.monotonic()
            response = staff.post(
                reverse("scoring:customer-matrix", args=[customer.pk]),
                matrix_data({"performance": "5", "service": "4"}),
            )
            assert response.status_code == 302, response.content[:500]
            assert time.monotonic() - started < 10  # the page does not hang on the broker
            submitted += 1
    campaign = make_campaign(starts_on=timezone.localdate() - dt.timedelta(days=1), ask_staff=True)
    management = Client()
    management.force_login(mira)
    response = management.post(reverse("surveys:campaign-open-round", args=[campaign.pk]))
    assert response.status_code == 302
    assert Assessment.objects.count() == submitted == 8
    assert set(Invitation.objects.values_list("status", flat=True)) == {"pending"}

    broker.start()  # empty: whatever was queued before the outage is gone too
    # 20 contact persons and 20 staff invitations (an account manager's in one e-mail).
    sweeping_until(
        lambda: Invitation.objects.filter(status="sent").count() == 40,
        timeout=120,
        what="the round sent after the outage",
    )
    assert Assessment.objects.count() == submitted
    # One e-mail per contact person and one per account manager (listing their customers).
    expected = [*addresses, anne.email, bart.email]
    assert sorted(sink.sink.per_recipient().elements()) == sorted(expected)
