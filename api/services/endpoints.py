"""Webhook endpoints: management registers a receiver with its events and gets its secret."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import EventType, WebhookEndpoint
from api.services.events import cursors_start
from api.transport import AddressRefused, target_of
from scoring.roles import is_management


def secret_new() -> str:
    """A Standard Webhooks secret: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def endpoint_clean(*, url: str, events: Sequence[str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    try:
        target_of(url)
    except AddressRefused as refused:
        errors["url"] = [str(refused)]
    unknown = [e for e in events if e not in EventType.values]
    if not events:
        errors["events"] = [_("Choose at least one event.")]
    elif unknown:
        errors["events"] = [_("“%(event)s” is not an event.") % {"event": unknown[0]}]
    return errors


def endpoint_create(
    *, url: str, events: Sequence[str], owner: AbstractBaseUser, description: str = ""
) -> WebhookEndpoint:
    """Register a receiver (management); its secret is made here."""
    if not is_management(owner):
        raise PermissionDenied(_("Only management registers webhooks."))
    url = (url or "").strip()
    errors = endpoint_clean(url=url, events=events)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # The first active endpoint gets events from now on, not the history before it.
        cursors_start(reset=not WebhookEndpoint.objects.filter(active=True).exists())
        return WebhookEndpoint.objects.create(
            url=url,
            events=list(dict.fromkeys(events)),
            description=(description or "").strip(),
            owner=cast(Any, owner),
            secret=secret_new(),
        )


def endpoint_switch(*, endpoint: WebhookEndpoint, active: bool, by: AbstractBaseUser) -> None:
    """Switch an endpoint on (its failure count starts again) or off (management)."""
    if not is_management(by):
        raise PermissionDenied(_("Only management changes webhooks."))
    endpoint.active = active
    endpoint.failing_since = None
    endpoint.disabled_at = None if active else timezone.now()
    endpoint.disabled_reason = "" if active else _("switched off by hand")
    endpoint.save(update_fields=["active", "failing_since", "disabled_at", "disabled_reason"])
