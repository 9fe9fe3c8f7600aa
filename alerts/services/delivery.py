"""Alert e-mails: at once, the daily digest (07:00), the weekly summary for management.

Every e-mail is claimed in the AlertEmail table before it is sent (one row per user, kind and
key: the alert, the day, the week), so a task that runs twice, is redelivered, or races the
sweep sends nothing twice. A failed send leaves its row failed; the next run claims it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from alerts import selectors
from alerts.models import Alert, AlertEmail, Delivery
from alerts.triggers import get_trigger
from klantbinding.lib.mail import recipient
from klantbinding.unsubscribe import unsubscribe_headers, unsubscribe_url
from scoring.roles import is_management

logger = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died mid-send.
STALE_CLAIM = timedelta(minutes=15)
DIGEST_HOUR = 7  # local time (TIME_ZONE)
SEVERITIES = ("critical", "warning", "info")


@dataclass
class Sent:
    sent: list[tuple[int, str]] = field(default_factory=list)  # (user id, key)
    skipped: int = 0
    failed: int = 0


def _claim(user_id: int, kind: str, key: str, now: datetime) -> AlertEmail | None:
    """The row that lets this process send the e-mail, or None when it is sent or being sent."""
    try:
        with transaction.atomic():
            return AlertEmail.objects.create(
                user_id=user_id,
                kind=kind,
                key=key,
                status=AlertEmail.Status.SENDING,
                claimed_at=now,
            )
    except IntegrityError:
        pass
    claimable = Q(status=AlertEmail.Status.FAILED) | Q(
        status=AlertEmail.Status.SENDING, claimed_at__lt=now - STALE_CLAIM
    )
    claimed = (
        AlertEmail.objects.filter(user_id=user_id, kind=kind, key=key)
        .filter(claimable)
        .update(status=AlertEmail.Status.SENDING, claimed_at=now, error="")
    )
    if claimed != 1:
        return None
    return AlertEmail.objects.get(user_id=user_id, kind=kind, key=key)


def site_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# Which unsubscribe link (klantbinding/unsubscribe.py) each e-mail carries.
UNSUBSCRIBE_KINDS = {
    "alert": "alerts-immediate",
    "alert_digest": "alerts-daily",
    "alert_weekly": "alerts-weekly",
}


def _message(user: User, name: str, context: dict, connection: object) -> EmailMultiAlternatives:
    language = selectors.preferences(user).language
    kind = UNSUBSCRIBE_KINDS[name]
    with translation.override(language):
        context = {
            **context,
            "user": user,
            "inbox_url": site_url(reverse("alerts:inbox")),
            "unsubscribe_url": unsubscribe_url(user, kind),
        }
        subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
        text = render_to_string(f"emails/{name}-body.txt", context)
        html = render_to_string(f"emails/{name}-body.html", context)
    address = user.email
    full_name = user.get_full_name()
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.ALERTS_FROM_EMAIL,
        to=[recipient(full_name, address)],
        headers={"Auto-Submitted": "auto-generated", **unsubscribe_headers(user, kind)},
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


def _send_claimed(
    user: User,
    kind: str,
    key: str,
    name: str,
    build: Callable[[], tuple[dict, int]],
    *,
    now: datetime,
    connection: object,
    result: Sent,
) -> None:
    """Claim, build (in the user's language), send, record; a failure is recorded and raised."""
    claim = _claim(user.pk, kind, key, now)
    if claim is None:
        result.skipped += 1
        return
    try:
        with translation.override(selectors.preferences(user).language):
            context, count = build()
        _message(user, name, context, connection).send()
    except Exception as exc:
        AlertEmail.objects.filter(pk=claim.pk).update(
            status=AlertEmail.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:1000]
        )
        result.failed += 1
        raise
    AlertEmail.objects.filter(pk=claim.pk).update(
        status=AlertEmail.Status.SENT, sent_at=timezone.now(), alerts=count
    )
    result.sent.append((user.pk, key))


def _alert_context(rows: Sequence[selectors.AlertRow]) -> list[dict]:
    return [
        {
            "row": row,
            "url": site_url(reverse("alerts:detail", args=[row.alert.pk])),
        }
        for row in rows
    ]


# --------------------------------------------------------------------------------------------
# At once
# --------------------------------------------------------------------------------------------


def _recipients(alert: Alert, users: Sequence[User]) -> list[User]:
    """Who hears of this alert at once: its customer's account manager and any manager who
    chose "immediately" for its severity."""
    chosen = []
    for user in users:
        if selectors.preferences(user).delivery(alert.severity) != Delivery.IMMEDIATELY:
            continue
        if user.pk == alert.customer.account_manager_id or is_management(user):
            chosen.append(user)
    return chosen


def alerts_send_immediate(*, alert_ids: Iterable[int], now: datetime | None = None) -> Sent:
    """E-mail these alerts, one e-mail per alert, to whoever wants to hear of them at once."""
    now = now or timezone.now()
    result = Sent()
    alerts = list(
        Alert.objects.filter(pk__in=list(alert_ids), resolved_at__isnull=True)
        .select_related("customer", "rule")
        .order_by("pk")
    )
    if not alerts:
        return result
    users = selectors.users_with_alerts()
    pending = [(alert, user) for alert in alerts for user in _recipients(alert, users)]
    if not pending:
        return result
    with get_connection() as connection:
        for alert, user in pending:

            def build(alert: Alert = alert) -> tuple[dict, int]:
                (row,) = selectors.alert_rows([alert])
                return {"alert": _alert_context([row])[0], "row": row}, 1

            _send_claimed(
                user,
                AlertEmail.Kind.IMMEDIATE,
                str(alert.pk),
                "alert",
                build,
                now=now,
                connection=connection,
                result=result,
            )
    return result


def immediate_sweep(*, now: datetime | None = None, hours: int = 24) -> Sent:
    """The outbox sweep: send what was raised lately and not e-mailed (the broker was away)."""
    now = now or timezone.now()
    ids = list(
        Alert.objects.filter(
            opened_at__gte=now - timedelta(hours=hours), resolved_at__isnull=True
        ).values_list("pk", flat=True)
    )
    return alerts_send_immediate(alert_ids=ids, now=now)


# --------------------------------------------------------------------------------------------
# The daily digest and the weekly summary
# --------------------------------------------------------------------------------------------


def digest_window(day: date) -> tuple[datetime, datetime]:
    """The 24 hours a digest sent on ``day`` covers: yesterday 07:00 to today 07:00 (local)."""
    zone = timezone.get_default_timezone()
    end = timezone.make_aware(datetime.combine(day, time(DIGEST_HOUR)), zone)
    start = timezone.make_aware(datetime.combine(day - timedelta(days=1), time(DIGEST_HOUR)), zone)
    return start, end


def digests_send(*, day: date | None = None, now: datetime | None = None) -> Sent:
    """One e-mail per user with the alerts of their scope raised in the digest's 24 hours, at
    the severities they chose for the digest; none for a user with nothing."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    start, end = digest_window(day)
    result = Sent()
    users = [
        u
        for u in selectors.users_with_alerts()
        if any(selectors.preferences(u).delivery(s) == Delivery.DAILY for s in SEVERITIES)
    ]
    with get_connection() as connection:
        for user in users:
            severities = [
                s for s in SEVERITIES if selectors.preferences(user).delivery(s) == Delivery.DAILY
            ]
            alerts = (
                selectors.alerts_visible_to(user)
                .filter(opened_at__gte=start, opened_at__lt=end, severity__in=severities)
                .select_related("customer", "rule")
                .order_by("-severity", "customer__name", "pk")
            )
            found = list(alerts[:200])
            if not found:
                continue

            def build(found: list[Alert] = found) -> tuple[dict, int]:
                rows = selectors.alert_rows(found)
                rows.sort(
                    key=lambda r: (-selectors.severity_rank(r.alert.severity), r.customer_name)
                )
                return {"alerts": _alert_context(rows), "count": len(rows), "day": day}, len(rows)

            _send_claimed(
                user,
                AlertEmail.Kind.DAILY,
                day.isoformat(),
                "alert_digest",
                build,
                now=now,
                connection=connection,
                result=result,
            )
    return result


def week_key(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_summaries_send(*, day: date | None = None, now: datetime | None = None) -> Sent:
    """Management's weekly summary: alerts raised in the seven days before ``day`` per
    trigger, how many still ask for attention, the customers with the most."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    _start, end = digest_window(day)
    start = end - timedelta(days=7)
    result = Sent()
    users = [
        u
        for u in selectors.users_with_alerts()
        if is_management(u) and selectors.preferences(u).weekly_summary
    ]
    if not users:
        return result
    week = Alert.objects.filter(opened_at__gte=start, opened_at__lt=end)
    per_trigger = list(week.values("trigger").annotate(n=Count("pk")).order_by("-n", "trigger"))
    attention = Alert.objects.filter(selectors.needs_attention()).count()
    resolved = Alert.objects.filter(resolved_at__gte=start, resolved_at__lt=end).count()
    open_critical = list(
        Alert.objects.filter(selectors.needs_attention(), severity="critical")
        .select_related("customer", "rule")
        .order_by("-opened_at")[:10]
    )
    with get_connection() as connection:
        for user in users:

            def build() -> tuple[dict, int]:
                rows = selectors.alert_rows(open_critical)
                triggers = [
                    {
                        "label": str(getattr(get_trigger(r["trigger"]), "label", r["trigger"])),
                        "count": r["n"],
                    }
                    for r in per_trigger
                ]
                context = {
                    "start": start,
                    "end": end,
                    "raised": sum(r["n"] for r in per_trigger),
                    "per_trigger": triggers,
                    "attention": attention,
                    "resolved": resolved,
                    "critical": _alert_context(rows),
                }
                return context, context["raised"]

            _send_claimed(
                user,
                AlertEmail.Kind.WEEKLY,
                week_key(day),
                "alert_weekly",
                build,
                now=now,
                connection=connection,
                result=result,
            )
    return result
