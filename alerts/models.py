"""Alert rules, the alerts they raise (one episode each), delivery choices and sent e-mails."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from scoring.models import Customer, Language, ScoreSnapshot


class Severity(models.TextChoices):
    INFO = "info", _("info")
    WARNING = "warning", _("warning")
    CRITICAL = "critical", _("critical")


class Scope(models.TextChoices):
    ALL = "all", _("all customers")
    ACCOUNT_MANAGER = "account_manager", _("one account manager's customers")
    SECTOR = "sector", _("one sector")


class AlertRule(models.Model):
    """A trigger (alerts.triggers) with its parameters, for a scope, at a severity."""

    trigger = models.CharField(_("trigger"), max_length=40)
    name = models.CharField(_("name"), max_length=200, blank=True)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING
    )
    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices, default=Scope.ALL)
    scope_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    scope_sector = models.CharField(_("sector"), max_length=100, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["trigger", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="alert_rule_severity_valid"
            ),
            models.CheckConstraint(
                condition=Q(scope="all")
                | Q(scope="account_manager", scope_user__isnull=False)
                | (Q(scope="sector") & ~Q(scope_sector="")),
                name="alert_rule_scope_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.trigger


class Alert(models.Model):
    """One episode of a rule's condition for one customer: raised when the customer enters
    the condition, resolved when it clears. While it is not resolved, the rule raises no other
    alert for the customer (a partial unique constraint says so in the database)."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        SNOOZED = "snoozed", _("snoozed")
        RESOLVED = "resolved", _("resolved")

    class SnoozeReason(models.TextChoices):
        CONTACT_PLANNED = "contact_planned", _("a contact is planned")
        ACTION_RUNNING = "action_running", _("an action is already running")
        KNOWN = "known", _("known and expected")
        WAITING = "waiting", _("waiting for new answers")
        OTHER = "other", _("another reason")

    rule = models.ForeignKey(
        AlertRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="alerts"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="alerts"
    )
    trigger = models.CharField(_("trigger"), max_length=40)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.OPEN
    )
    opened_at = models.DateTimeField(_("raised at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    snoozed_until = models.DateField(_("snoozed until"), null=True, blank=True)
    snooze_reason = models.CharField(
        _("reason"), max_length=20, choices=SnoozeReason.choices, blank=True
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # Hysteresis: after resolving, the condition must stay clear (since clear_since) or the
    # measured value recover, before the rule may raise a new alert for the customer.
    clear_since = models.DateTimeField(null=True, blank=True)
    rearmed_at = models.DateTimeField(null=True, blank=True)
    # What moved: the score and band at both ends, and the value the trigger measures (an
    # element's mean for one respondent kind, a perception gap, an NPS answer, days).
    score_before = models.FloatField(_("score before"), null=True, blank=True)
    score_after = models.FloatField(_("score after"), null=True, blank=True)
    band_before = models.CharField(_("band before"), max_length=10, blank=True)
    band_after = models.CharField(_("band after"), max_length=10, blank=True)
    element_code = models.CharField(_("element"), max_length=50, blank=True)
    respondent_kind = models.CharField(_("respondent kind"), max_length=10, blank=True)
    value_before = models.FloatField(null=True, blank=True)
    value_after = models.FloatField(null=True, blank=True)
    snapshot_before = models.ForeignKey(
        ScoreSnapshot,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    snapshot_after = models.ForeignKey(
        ScoreSnapshot,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # Why did it move, as it stood when the alert was raised: [[code or "", exact, tenths]].
    lines = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "customer"],
                condition=Q(resolved_at__isnull=True),
                name="one_unresolved_alert_per_rule_and_customer",
            ),
            models.CheckConstraint(
                condition=Q(status="resolved", resolved_at__isnull=False)
                | (~Q(status="resolved") & Q(resolved_at__isnull=True)),
                name="alert_resolved_has_its_moment",
            ),
            models.CheckConstraint(
                condition=~Q(status="snoozed") | Q(snoozed_until__isnull=False),
                name="alert_snoozed_has_a_date",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "status"], name="alert_customer_status_idx"),
            models.Index(fields=["status", "opened_at"], name="alert_status_opened_idx"),
            # The inbox's order (newest first, id for ties) read backwards from the index.
            models.Index(fields=["opened_at", "id"], name="alert_opened_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.trigger} · {self.customer_id} · {self.opened_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("alerts:detail", kwargs={"pk": self.pk})


class Delivery(models.TextChoices):
    IMMEDIATELY = "immediately", _("immediately")
    DAILY = "daily", _("in a daily digest at 07:00")
    INBOX = "inbox", _("only in the inbox")


class AlertSettings(models.Model):
    """A user's choice of delivery per severity, and the language of their e-mails."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_settings"
    )
    critical = models.CharField(
        _("critical alerts"), max_length=12, choices=Delivery.choices, default=Delivery.IMMEDIATELY
    )
    warning = models.CharField(
        _("warnings"), max_length=12, choices=Delivery.choices, default=Delivery.DAILY
    )
    info = models.CharField(
        _("information"), max_length=12, choices=Delivery.choices, default=Delivery.INBOX
    )
    weekly_summary = models.BooleanField(_("weekly summary (management)"), default=True)
    language = models.CharField(
        _("language of e-mails"), max_length=2, choices=Language.choices, default=Language.DUTCH
    )

    class Meta:
        verbose_name = _("alert settings")
        verbose_name_plural = _("alert settings")

    def __str__(self) -> str:
        return str(self.user)

    def delivery(self, severity: str) -> str:
        return getattr(self, severity)


class AlertEmail(models.Model):
    """One e-mail about alerts to one user: claimed before sending, so a task that runs twice
    sends nothing twice. ``key`` names what it is about: an alert id, a day, a week."""

    class Kind(models.TextChoices):
        IMMEDIATE = "immediate", _("alert")
        DAILY = "daily", _("daily digest")
        WEEKLY = "weekly", _("weekly summary")

    class Status(models.TextChoices):
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_emails"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    alerts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("alert e-mail")
        verbose_name_plural = _("alert e-mails")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "key"], name="alert_email_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} → {self.user_id}"
