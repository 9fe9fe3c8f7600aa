"""The daily reminder digest: one e-mail per owner of actions due within 7 days or overdue, in
the owner's language, never twice a day; through a real SMTP server and a real worker."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from actions import services, tasks
from actions.models import Action, DigestSent
from tests.actions.factories import make_action
from tests.factories import CustomerFactory
from tests.surveys.support import wait_for


def due(action: Action, days: int) -> None:
    """Put the due date ``days`` from today (negative: in the past), as time would."""
    Action.objects.filter(pk=action.pk).update(due_on=timezone.localdate() + dt.timedelta(days))


def actions_for(owner, mira, spec: dict[str, int]) -> dict[str, Action]:
    customer = CustomerFactory(account_manager=owner, name=f"Klant van {owner.username}")
    types = ["knowledge-event", "it-integration", "contract-renewal", "relationship-event"]
    made = {}
    for (title, days), code in zip(spec.items(), types, strict=False):
        made[title] = make_action(customer, by=mira, type_code=code, title=title)
        due(made[title], days)
    return made


@pytest.mark.django_db
def test_one_digest_per_owner_lists_overdue_and_due_soon_in_the_owners_language(
    smtp, anne, bart, mira
):
    actions_for(anne, mira, {"Te laat": -3, "Vastgelopen": -40, "Binnenkort": 5, "Later": 20})
    actions_for(bart, mira, {"Soon": 2})
    services.digest_preference_set(user=bart, language="en", enabled=True)
    services.digest_preference_set(user=anne, language="nl", enabled=True)

    for owner_id in services.digests_due_owners():
        services.digest_send(owner_id=owner_id)

    assert sorted(smtp.inbox.recipients()) == sorted([anne.email, bart.email])
    annes = smtp.inbox.to(anne.email)[0]
    assert annes.message["Subject"] == "Je acties: 2 te laat, 1 binnen 7 dagen"
    text = annes.text()
    assert "Te laat" in text and "Vastgelopen" in text and "Binnenkort" in text
    assert "Later" not in text
    assert text.index("Vastgelopen") < text.index("Binnenkort")  # late first
    assert "vastgelopen" in text and "40 dagen te laat" in text
    assert "http://testserver/actions/" in text
    assert "Binnenkort" in annes.html()
    barts = smtp.inbox.to(bart.email)[0]
    assert barts.message["Subject"] == "Your actions: 1 due within 7 days"
    assert "Soon" in barts.text()


@pytest.mark.django_db
def test_a_second_run_the_same_day_sends_nothing_and_tomorrow_sends_again(smtp, anne, mira):
    actions_for(anne, mira, {"Te laat": -1})
    assert services.digest_send(owner_id=anne.pk).result == "sent"
    assert services.digest_send(owner_id=anne.pk).result == "already_sent"
    assert len(smtp.inbox.messages) == 1
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert services.digest_send(owner_id=anne.pk, today=tomorrow).result == "sent"
    assert len(smtp.inbox.messages) == 2


@pytest.mark.django_db
def test_nothing_due_or_a_digest_turned_off_sends_nothing(smtp, anne, bart, mira):
    actions_for(anne, mira, {"Later": 30})
    actions_for(bart, mira, {"Te laat": -2})
    services.digest_preference_set(user=bart, language="nl", enabled=False)
    finished = actions_for(anne, mira, {"Klaar": -5})["Klaar"]
    services.action_complete(action=finished, outcome="achieved", by=anne)

    assert services.digests_due_owners() == []
    assert services.digest_send(owner_id=anne.pk).result == "nothing_due"
    assert services.digest_send(owner_id=bart.pk).result == "disabled"
    assert smtp.inbox.messages == []


@pytest.mark.django_db
def test_when_smtp_is_down_the_claim_is_released_for_the_retry(smtp, anne, mira):
    actions_for(anne, mira, {"Te laat": -1})
    smtp.stop()
    with pytest.raises(OSError):
        services.digest_send(owner_id=anne.pk)
    assert not DigestSent.objects.exists()
    smtp.start()
    assert services.digest_send(owner_id=anne.pk).result == "sent"
    assert len(smtp.inbox.messages) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_beat_task_through_a_real_worker_sends_once_even_when_run_twice(
    celery_worker, smtp, anne, bart, mira
):
    actions_for(anne, mira, {"Te laat": -3, "Binnenkort": 4})
    actions_for(bart, mira, {"Binnenkort": 1})

    tasks.digests_send_due.delay()
    wait_for(lambda: len(smtp.inbox.messages) >= 2, what="two digests")
    tasks.digests_send_due.delay()  # beat fires again the same day (a restart, a double run)
    wait_for(
        lambda: DigestSent.objects.filter(sent_at__isnull=False).count() == 2,
        what="both digests marked sent",
    )
    tasks.digest_send.delay(anne.pk, timezone.localdate().isoformat())  # a redelivered task
    wait_for(lambda: _queue_empty(celery_worker), what="the queue to drain")

    assert sorted(smtp.inbox.recipients()) == sorted([anne.email, bart.email])


def _queue_empty(worker) -> bool:
    import time

    import redis

    from klantbinding.celery import app

    client = redis.Redis.from_url(app.conf.broker_url)
    if client.llen("celery") or client.hlen("unacked"):
        return False
    time.sleep(0.5)  # a task just taken may still be running
    return client.llen("celery") == 0 and client.hlen("unacked") == 0
