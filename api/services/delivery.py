"""Delivering webhook events: signed the Standard Webhooks way, claimed before sending (a
task that runs twice sends once at a time), retried with exponential backoff and jitter until
the receiver answers 2xx: at least once. An endpoint whose deliveries all failed for
settings.WEBHOOKS_DISABLE_AFTER_DAYS is switched off and its owner told by e-mail."""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from standardwebhooks.webhooks import Webhook

from api import transport
from api.models import DeliveryAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)
USER_AGENT = "Klantbinding-Webhooks/1"
# A delivery claimed this long ago and still "sending" was lost with its worker: try again.
STALE_CLAIM = timedelta(minutes=5)


def retry_delay(attempts: int) -> float:
    """Seconds until the next try after ``attempts`` failed ones: base·2ⁿ⁻¹, capped, with full
    jitter over its upper half (receivers that came back are not hit by every sender at once)."""
    base = settings.WEBHOOKS_RETRY_BASE_SECONDS
    ceiling = min(settings.WEBHOOKS_RETRY_MAX_SECONDS, base * 2 ** max(0, attempts - 1))
    return ceiling / 2 + random.random() * ceiling / 2


def signed_request(delivery: WebhookDelivery, *, now: datetime) -> tuple[bytes, dict[str, str]]:
    """The body and the Standard Webhooks headers (id, timestamp, signature) of a delivery."""
    event = delivery.event
    body = json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False)
    moment = now.astimezone(UTC)
    signature = Webhook(delivery.endpoint.secret).sign(str(event.id), moment, body)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": str(event.id),
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }
    return body.encode(), headers


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one try did: delivered, or when to try again (None: no further try)."""

    delivered: bool
    retry_in: float | None = None
    status_code: int | None = None


def _claim(delivery_id: int, now: datetime) -> bool:
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimable = Q(status=WebhookDelivery.Status.PENDING) & due
    stale = Q(status=WebhookDelivery.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    return (
        WebhookDelivery.objects.filter(claimable | stale, pk=delivery_id).update(
            status=WebhookDelivery.Status.SENDING, claimed_at=now
        )
        == 1
    )


def delivery_send(*, delivery_id: int, now: datetime | None = None) -> DeliveryOutcome | None:
    """Try one delivery once, if it is due and nobody else has claimed it; None otherwise."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.active:
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            status=WebhookDelivery.Status.FAILED, last_error="endpoint switched off"
        )
        return DeliveryOutcome(delivered=False)
    body, headers = signed_request(delivery, now=now)
    started = time.monotonic()
    status_code: int | None = None
    error = ""
    try:
        status_code = transport.post(
            endpoint.url, body, headers, timeout=settings.WEBHOOKS_TIMEOUT_SECONDS
        )
    except transport.AddressRefused as refused:
        error = str(refused)
    except Exception as failure:  # any network failure is a failed try
        error = f"{type(failure).__name__}: {failure}"
    duration = int((time.monotonic() - started) * 1000)
    delivered = status_code is not None and 200 <= status_code < 300
    finished = timezone.now()
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            at=finished,
            status_code=status_code,
            error=error[:300],
            duration_ms=duration,
        )
        attempts = delivery.attempts + 1
        if delivered:
            WebhookDelivery.objects.filter(pk=delivery_id).update(
                status=WebhookDelivery.Status.DELIVERED,
                attempts=attempts,
                delivered_at=finished,
                last_status_code=status_code,
                last_error="",
                next_attempt_at=None,
            )
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
            return DeliveryOutcome(delivered=True, status_code=status_code)
        delay = retry_delay(attempts)
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            status=WebhookDelivery.Status.PENDING,
            attempts=attempts,
            last_status_code=status_code,
            last_error=error[:300],
            next_attempt_at=finished + timedelta(seconds=delay),
        )
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
            failing_since=finished
        )
    if endpoint_disable_if_failing(endpoint_id=endpoint.pk, now=finished):
        return DeliveryOutcome(delivered=False, status_code=status_code)
    return DeliveryOutcome(delivered=False, retry_in=delay, status_code=status_code)


def endpoint_disable_if_failing(*, endpoint_id: int, now: datetime | None = None) -> bool:
    """Switch the endpoint off when every delivery failed for the set number of days, and
    e-mail its owner; True when it was switched off now."""
    now = now or timezone.now()
    limit = now - timedelta(days=settings.WEBHOOKS_DISABLE_AFTER_DAYS)
    switched = WebhookEndpoint.objects.filter(
        pk=endpoint_id, active=True, failing_since__lte=limit
    ).update(active=False, disabled_at=now, disabled_reason="failing")
    if switched != 1:
        return False
    endpoint = WebhookEndpoint.objects.select_related("owner").get(pk=endpoint_id)
    WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.FAILED, last_error="endpoint switched off"
    )
    try:
        _disabled_mail(endpoint)
    except Exception:  # the endpoint stays off; the page shows why
        logger.exception("Telling the owner of webhook endpoint %s failed", endpoint_id)
    return True


def _disabled_mail(endpoint: WebhookEndpoint) -> None:
    from alerts.selectors import settings_of

    owner = endpoint.owner
    if not owner.email:
        return
    with translation.override(settings_of(owner).language):
        context = {
            "endpoint": endpoint,
            "days": settings.WEBHOOKS_DISABLE_AFTER_DAYS,
            "page_url": settings.SITE_URL + reverse("api:webhook-detail", args=[endpoint.pk]),
            "user": owner,
        }
        subject = render_to_string("emails/webhook-disabled-subject.txt", context).strip()
        text = render_to_string("emails/webhook-disabled-body.txt", context)
        html = render_to_string("emails/webhook-disabled-body.html", context)
    message = EmailMultiAlternatives(subject, text, settings.WEBHOOKS_FROM_EMAIL, [owner.email])
    message.attach_alternative(html, "text/html")
    message.send()


def delivery_resend(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now (the resend button), whatever became of it before."""
    WebhookDelivery.objects.filter(pk=delivery.pk).exclude(
        status=WebhookDelivery.Status.SENDING
    ).update(status=WebhookDelivery.Status.PENDING, next_attempt_at=None)
    delivery.refresh_from_db()
    return delivery


def deliveries_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """The ids of deliveries to try now: pending and due, or lost with their worker."""
    now = now or timezone.now()
    due = Q(status=WebhookDelivery.Status.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    stale = Q(status=WebhookDelivery.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    return list(
        WebhookDelivery.objects.filter(due | stale, endpoint__active=True)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
