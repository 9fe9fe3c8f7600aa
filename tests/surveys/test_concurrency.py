"""One token, many simultaneous submits: exactly one assessment."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.test import Client

from scoring.models import Assessment
from surveys.models import Invitation
from tests.surveys.support import invite, make_campaign

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_twenty_concurrent_submits_with_one_token_give_one_assessment(portfolio, settings):
    customer = portfolio(1, language="en")[0]
    contact = customer.contacts.get()
    link = invite(make_campaign(), settings)[contact.email]
    # Twenty browsers (or one impatient person) opened the same link …
    clients = [Client() for _ in range(20)]
    answer_urls = [client.get(link).url for client in clients]
    barrier = threading.Barrier(len(clients))
    pages: list[tuple[int, str]] = []

    def submit(client: Client, url: str) -> None:
        try:
            barrier.wait()
            response = client.post(url, {"value_performance": "5", "value_service": "4"})
            pages.append((response.status_code, response.content.decode()))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=submit, args=pair)
        for pair in zip(clients, answer_urls, strict=True)
    ]
    # … and all of them press "send" at the same moment.
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Assessment.objects.filter(customer=customer, respondent_kind="customer").count() == 1
    invitation = Invitation.objects.get(contact=contact)
    assert invitation.status == "answered"
    assert invitation.assessment == Assessment.objects.get(customer=customer)
    assert len(pages) == 20
    assert sum(status == 302 for status, _ in pages) == 1  # to the thank-you page
    already = [page for status, page in pages if status == 200]
    assert len(already) == 19
    assert all("Already answered" in page for page in already)
