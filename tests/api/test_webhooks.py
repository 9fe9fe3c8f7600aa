"""Webhooks end to end: a real HTTP receiver on loopback that verifies every signature with
the standardwebhooks package, a real Celery worker delivering with backoff, and the rules
around endpoints (https and public addresses only, switched off after three days failing)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from api.models import DeliveryAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.services import delivery as delivery_services
from api.services.endpoints import endpoint_create
from api.services.events import events_collect
from klantbinding.celery import app as celery_app
from tests.factories import CustomerFactory, assess
from tests.surveys.support import RedisServer, use_broker, wait_for


class Receiver:
    """An HTTP receiver on loopback: answers the statuses in ``script`` in turn (then 200),
    verifies each request's signature and keeps what it got."""

    def __init__(self, script: list[int]) -> None:
        self.script = list(script)
        self.secret = ""
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    payload = Webhook(receiver.secret).verify(body, headers)
                    verified = True
                except WebhookVerificationError:
                    payload, verified = None, False
                with receiver.lock:
                    status = receiver.script.pop(0) if receiver.script else 200
                    receiver.requests.append(
                        {
                            "id": headers.get("webhook-id"),
                            "payload": payload,
                            "verified": verified,
                            "status": status,
                        }
                    )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/klantbinding"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def received_once(self) -> dict[str, dict]:
        """The events as a receiver that de-duplicates on webhook-id keeps them: accepted
        (2xx) and verified ones, once per id."""
        kept: dict[str, dict] = {}
        for request in self.requests:
            if request["verified"] and request["status"] < 300:
                kept.setdefault(request["id"], request["payload"])
        return kept


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def webhook_settings(settings, redis_server):
    """Loopback receivers allowed (the settings switch), short backoff, the tests' own Redis."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 0.2
    settings.WEBHOOKS_RETRY_MAX_SECONDS = 1.0
    settings.WEBHOOKS_TIMEOUT_SECONDS = 5
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    use_broker(redis_server.url)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_score_change_reaches_a_receiver_signed_and_once_after_two_failures(
    anne, mira, redis_server
):
    with (
        Receiver([500, 500]) as receiver,
        start_worker(
            celery_app,
            pool="threads",
            concurrency=2,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=30,
        ),
    ):
        endpoint = endpoint_create(
            url=receiver.url, events=["score.changed", "band.changed"], owner=mira
        )
        receiver.secret = endpoint.secret
        customer = CustomerFactory(account_manager=anne, external_id="CRM-7", name="Hendriks")
        assess(
            customer,
            {"performance": 5, "service": 5},
            user=anne,
            at=timezone.now() - timedelta(days=2),
        )
        assess(customer, {"performance": 6, "service": 5}, user=anne)  # 83.3 → 91.7, green
        wait_for(lambda: receiver.received_once(), timeout=30, what="an accepted event")

    assert [r["status"] for r in receiver.requests] == [500, 500, 200]
    assert all(r["verified"] for r in receiver.requests)  # every try signed with the secret
    assert len({r["id"] for r in receiver.requests}) == 1  # the same event id each time
    events = receiver.received_once()
    assert len(events) == 1
    (payload,) = events.values()
    assert payload["type"] == "score.changed"
    data = payload["data"]
    assert data["customer"] == "CRM-7" and data["band"] == data["previous_band"] == "green"
    assert data["change"] == pytest.approx(91.7 - 83.3)  # as shown: one decimal each
    assert [line["element"] for line in data["why"]] == ["performance"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.attempts == 3
    codes = list(DeliveryAttempt.objects.order_by("at").values_list("status_code", flat=True))
    assert codes == [500, 500, 200]
    assert WebhookEndpoint.objects.get().failing_since is None


@pytest.mark.django_db
def test_collecting_twice_makes_no_second_event(anne, mira, django_capture_on_commit_callbacks):
    endpoint = endpoint_create(url="http://127.0.0.1:9/x", events=["band.changed"], owner=mira)
    customer = CustomerFactory(account_manager=anne)
    assess(
        customer, {"performance": 6, "service": 6}, user=anne, at=timezone.now() - timedelta(days=2)
    )
    assess(customer, {"performance": 1, "service": 1}, user=anne)  # green → red
    first = events_collect()
    assert [e.type for e in first] == ["band.changed"]
    assert events_collect() == []
    assert WebhookEvent.objects.count() == 1
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1


@pytest.mark.django_db
def test_an_endpoint_failing_for_three_days_is_switched_off_and_its_owner_told(anne, mira):
    with Receiver([500] * 10) as receiver:
        endpoint = endpoint_create(url=receiver.url, events=["band.changed"], owner=mira)
        receiver.secret = endpoint.secret
        customer = CustomerFactory(account_manager=anne)
        assess(customer, {"performance": 6}, user=anne, at=timezone.now() - timedelta(days=2))
        assess(customer, {"performance": 0}, user=anne)
        events_collect()
        delivery = WebhookDelivery.objects.get()
        outcome = delivery_services.delivery_send(delivery_id=delivery.pk)
        assert outcome is not None and outcome.retry_in is not None
        assert WebhookEndpoint.objects.get().active
        later = timezone.now() + timedelta(days=3, minutes=1)
        with time_machine.travel(later):
            outcome = delivery_services.delivery_send(delivery_id=delivery.pk)
    endpoint.refresh_from_db()
    assert outcome is not None and outcome.retry_in is None
    assert not endpoint.active and endpoint.disabled_reason == "failing"
    assert WebhookDelivery.objects.get().status == "failed"
    (message,) = mail.outbox
    assert message.to == [mira.email] and receiver.url in message.body


@pytest.mark.django_db
def test_only_https_and_public_addresses_unless_the_switch_allows_them(mira, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    for url, word in [
        ("http://example.com/hook", "https"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://10.1.2.3/hook", "private"),
        ("https://localhost:8443/hook", "loopback"),
        ("https://[::1]/hook", "loopback"),
    ]:
        with pytest.raises(ValidationError) as refused, translation.override("en"):
            endpoint_create(url=url, events=["score.changed"], owner=mira)
        assert word in str(refused.value.message_dict["url"]), url
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_a_delivery_is_resent_from_its_log(anne, mira, client):
    with Receiver([]) as receiver:
        endpoint = endpoint_create(url=receiver.url, events=["band.changed"], owner=mira)
        receiver.secret = endpoint.secret
        customer = CustomerFactory(account_manager=anne)
        assess(customer, {"performance": 6}, user=anne, at=timezone.now() - timedelta(days=2))
        assess(customer, {"performance": 0}, user=anne)
        events_collect()
        delivery = WebhookDelivery.objects.get()
        delivery_services.delivery_send(delivery_id=delivery.pk)
        delivery_services.delivery_resend(delivery=delivery)
        delivery_services.delivery_send(delivery_id=delivery.pk)
    assert [r["status"] for r in receiver.requests] == [200, 200]
    assert len({r["id"] for r in receiver.requests}) == 1  # a resend keeps the event id
    client.force_login(mira)
    page = client.get(f"/api/webhooks/{endpoint.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page.content.decode().count(": 200") == 2
    client.force_login(anne)
    assert client.get(f"/api/webhooks/{endpoint.pk}/").status_code == 403


@pytest.mark.django_db
def test_alerts_overdue_actions_and_departures_become_events_for_who_wants_them(anne, mira):
    from alerts.services import alerts_evaluate
    from relations.services import departure_record
    from tests.actions.factories import make_action

    wants_all = endpoint_create(
        url="http://127.0.0.1:9/all",
        events=["alert.fired", "action.overdue", "customer.departed"],
        owner=mira,
    )
    only_departures = endpoint_create(
        url="http://127.0.0.1:9/departures", events=["customer.departed"], owner=mira
    )
    customer = CustomerFactory(account_manager=anne, external_id="CRM-9")
    assess(
        customer, {"performance": 6, "service": 6}, user=anne, at=timezone.now() - timedelta(days=2)
    )
    assess(customer, {"performance": 1, "service": 1}, user=anne)
    alerts_evaluate()  # the band went down
    late = make_action(customer, by=mira, due_on=timezone.localdate() - timedelta(days=2))
    today = timezone.localdate()
    departure_record(customer=customer, kind="full", decided_on=today, left_on=today, user=mira)

    events = {e.type: e for e in events_collect()}
    assert set(events) == {"alert.fired", "action.overdue", "customer.departed"}
    assert events["action.overdue"].payload["data"]["action"] == late.pk
    assert events["customer.departed"].payload["data"]["customer"] == "CRM-9"
    assert "band_down" in {
        e.payload["data"]["trigger"] for e in WebhookEvent.objects.filter(type="alert.fired")
    }
    assert events_collect() == []  # an overdue action is one event per due date
    wanted = WebhookDelivery.objects.filter(endpoint=wants_all).count()
    assert wanted == WebhookEvent.objects.count()
    departures = WebhookDelivery.objects.filter(endpoint=only_departures)
    assert [d.event.type for d in departures] == ["customer.departed"]
