"""The weekly e-mail of overdue customers: one per account manager, in their language, none
for one with nothing overdue, never twice in a week; through a real SMTP server on loopback
and a real Celery worker."""

from __future__ import annotations

import pytest
import redis
from django.urls import reverse
from django.utils import timezone

from relations import services, tasks
from relations.models import DigestPreference, OverdueDigest
from tests.factories import CustomerFactory, account_manager
from tests.relations.factories import log, put_in
from tests.surveys.support import wait_for


def _customer(manager, name, visit_days, call_days=1, code="engaging"):
    customer = put_in(CustomerFactory(account_manager=manager, name=name), code)
    log(customer, "visit", days_ago=visit_days)
    log(customer, "call", days_ago=call_days)
    return customer


@pytest.fixture
def team(anne, bart):
    """Anne: two customers overdue (one lost touch) and one fine; Bart: nothing overdue;
    Chantal (English): one overdue."""
    chantal = account_manager("chantal")
    DigestPreference.objects.create(user=chantal, language="en")
    _customer(anne, "Anne Verloren", visit_days=200)  # past 90 days: lost touch
    _customer(anne, "Anne Te Laat", visit_days=75)  # past 60 days: overdue
    _customer(anne, "Anne Op Tijd", visit_days=5)
    _customer(bart, "Bart Op Tijd", visit_days=10)
    _customer(chantal, "Chantal Te Laat", visit_days=75)
    return {"anne": anne, "bart": bart, "chantal": chantal}


def _queue_empty(broker) -> bool:
    client = redis.Redis.from_url(broker.url)
    return client.llen("celery") == 0 and client.hlen("unacked") == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_account_manager_with_overdue_customers_gets_one_email_through_the_worker(
    celery_worker, broker, smtp, team
):
    tasks.overdue_digests_queue.delay()

    wait_for(lambda: len(smtp.inbox.messages) >= 2, what="two e-mails")
    wait_for(lambda: _queue_empty(broker), what="the queue to drain")
    assert sorted(smtp.inbox.recipients()) == ["anne@example.nl", "chantal@example.nl"]
    anne_mail = smtp.inbox.to("anne@example.nl")[0]
    assert anne_mail.message["Subject"] == "2 klanten wachten op uw contact"
    text = anne_mail.text()
    assert text.index("Anne Verloren") < text.index("Anne Te Laat")  # most overdue first
    assert "Anne Op Tijd" not in text
    assert "contact verloren" in text
    assert "http://testserver" + reverse("relations:to-contact") in text
    assert "Anne Te Laat" in anne_mail.html()
    chantal_mail = smtp.inbox.to("chantal@example.nl")[0]
    assert chantal_mail.message["Subject"] == "1 customer waits for your contact"
    assert "Chantal Te Laat" in chantal_mail.text()
    assert OverdueDigest.objects.filter(status="sent").count() == 2

    # Beat runs again in the same week (or a task is delivered twice): nothing more is sent.
    tasks.overdue_digests_queue.delay()
    for user in team.values():
        tasks.overdue_digest_send.delay(user.pk, services.week_of(timezone.localdate()).isoformat())
    wait_for(lambda: _queue_empty(broker), what="the queue to drain again")
    assert len(smtp.inbox.messages) == 2


@pytest.mark.django_db
def test_nothing_is_sent_to_an_account_manager_with_nothing_overdue_or_who_opted_out(smtp, team):
    assert not services.overdue_digest_send(user_id=team["bart"].pk)
    DigestPreference.objects.update_or_create(user=team["anne"], defaults={"weekly": False})
    assert not services.overdue_digest_send(user_id=team["anne"].pk)
    assert smtp.inbox.messages == []
    assert not OverdueDigest.objects.exists()


@pytest.mark.django_db
def test_a_failed_send_is_tried_again_and_then_sent_once(smtp, team):
    smtp.stop()
    with pytest.raises(OSError):
        services.overdue_digest_send(user_id=team["anne"].pk)
    assert OverdueDigest.objects.get().status == "failed"
    smtp.start()
    assert services.overdue_digest_send(user_id=team["anne"].pk)
    assert not services.overdue_digest_send(user_id=team["anne"].pk)
    assert [m.to for m in smtp.inbox.messages] == ["anne@example.nl"]


@pytest.mark.django_db
def test_an_account_manager_chooses_the_language_and_whether_to_get_the_email(client, anne):
    client.force_login(anne)
    url = reverse("relations:digest-preference")
    assert client.get(url).status_code == 200
    response = client.post(url, {"language": "en"})  # the box unticked: no weekly e-mail
    assert response.status_code == 302
    preference = DigestPreference.objects.get(user=anne)
    assert (preference.weekly, preference.language) == (False, "en")
