"""Writes from the inbox and the rules page: acknowledge, snooze, reopen; rules; settings."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.models import Alert, AlertRule, AlertSettings, Delivery, Scope, Severity
from alerts.triggers import get_trigger

MAX_SNOOZE_DAYS = 180


def _unresolved(alert: Alert) -> Alert:
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if locked.status == Alert.Status.RESOLVED:
        raise ValidationError(_("This alert has resolved itself; there is nothing to change."))
    return locked


def alert_acknowledge(*, alert: Alert, user: User, now: datetime | None = None) -> Alert:
    """Mark an alert as seen and being dealt with (it leaves the count in the menu)."""
    with transaction.atomic():
        alert = _unresolved(alert)
        alert.status = Alert.Status.ACKNOWLEDGED
        alert.acknowledged_at = now or timezone.now()
        alert.acknowledged_by = user
        alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    return alert


def alert_snooze(
    *, alert: Alert, user: User, until: date, reason: str, today: date | None = None
) -> Alert:
    """Put an alert away until a date, for a reason from the list; it returns after that day."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if until <= today:
        errors["until"] = [_("Choose a day after today.")]
    elif (until - today).days > MAX_SNOOZE_DAYS:
        errors["until"] = [_("Snooze for at most %(days)d days.") % {"days": MAX_SNOOZE_DAYS}]
    if reason not in Alert.SnoozeReason.values:
        errors["reason"] = [_("Choose a reason from the list.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        alert = _unresolved(alert)
        alert.status = Alert.Status.SNOOZED
        alert.snoozed_until = until
        alert.snooze_reason = reason
        alert.save(update_fields=["status", "snoozed_until", "snooze_reason"])
    return alert


def alert_reopen(*, alert: Alert, user: User) -> Alert:
    """Back to open: undo an acknowledgement or a snooze."""
    with transaction.atomic():
        alert = _unresolved(alert)
        alert.status = Alert.Status.OPEN
        alert.save(update_fields=["status"])
    return alert


def snoozes_expire(*, today: date | None = None) -> int:
    """Snoozed alerts whose day has passed are open again."""
    today = today or timezone.localdate()
    return Alert.objects.filter(status=Alert.Status.SNOOZED, snoozed_until__lt=today).update(
        status=Alert.Status.OPEN
    )


def rule_save(
    *,
    rule: AlertRule | None = None,
    trigger: str,
    severity: str,
    scope: str,
    scope_user: User | None = None,
    scope_sector: str = "",
    params: dict | None = None,
    active: bool = True,
    name: str = "",
) -> AlertRule:
    """Create or change a rule; the parameters are checked against the trigger's bounds."""
    found = get_trigger(trigger)
    errors: dict[str, list[str]] = {}
    if found is None:
        errors["trigger"] = [_("Choose a trigger from the list.")]
    if severity not in Severity.values:
        errors["severity"] = [_("Choose a severity from the list.")]
    if scope == Scope.ACCOUNT_MANAGER and scope_user is None:
        errors["scope_user"] = [_("Choose the account manager whose customers it watches.")]
    if scope == Scope.SECTOR and not scope_sector.strip():
        errors["scope_sector"] = [_("Name the sector it watches.")]
    if scope not in Scope.values:
        errors["scope"] = [_("Choose a scope from the list.")]
    if found is not None:
        for param in found.params:
            raw = (params or {}).get(param.name)
            try:
                value = float(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                errors[param.name] = [_("Enter a number.")]
                continue
            if not param.minimum <= value <= param.maximum:
                errors[param.name] = [
                    _("Enter a number from %(low)s to %(high)s.")
                    % {"low": f"{param.minimum:g}", "high": f"{param.maximum:g}"}
                ]
    if errors:
        raise ValidationError(errors)
    rule = rule or AlertRule()
    rule.trigger = trigger
    rule.severity = severity
    rule.scope = scope
    rule.scope_user = scope_user if scope == Scope.ACCOUNT_MANAGER else None
    rule.scope_sector = scope_sector.strip() if scope == Scope.SECTOR else ""
    rule.params = found.clean_params(params) if found else {}
    rule.active = active
    rule.name = name.strip()
    with transaction.atomic():
        rule.save()
    return rule


def settings_save(
    *,
    user: User,
    critical: str,
    warning: str,
    info: str,
    language: str,
    weekly_summary: bool = False,
) -> AlertSettings:
    """A user's delivery per severity and the language of their alert e-mails."""
    errors = {
        name: [_("Choose from the list.")]
        for name, value in (("critical", critical), ("warning", warning), ("info", info))
        if value not in Delivery.values
    }
    if language not in ("nl", "en"):
        errors["language"] = [_("Choose from the list.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        stored, _created = AlertSettings.objects.update_or_create(
            user=user,
            defaults={
                "critical": critical,
                "warning": warning,
                "info": info,
                "language": language,
                "weekly_summary": weekly_summary,
            },
        )
    return stored


def _deliveries_off(user: User, delivery: str) -> None:
    """Every severity delivered as ``delivery`` goes to the inbox only (the unsubscribe link
    of that kind of e-mail, klantbinding/unsubscribe.py)."""
    from alerts.selectors.people import settings_of

    stored = settings_of(user)
    for severity in ("critical", "warning", "info"):
        if getattr(stored, severity) == delivery:
            setattr(stored, severity, Delivery.INBOX)
    stored.save()


def immediate_emails_off(user: User) -> None:
    _deliveries_off(user, Delivery.IMMEDIATELY)


def daily_digest_off(user: User) -> None:
    _deliveries_off(user, Delivery.DAILY)


def weekly_summary_off(user: User) -> None:
    from alerts.selectors.people import settings_of

    stored = settings_of(user)
    stored.weekly_summary = False
    stored.save()
