"""The weekly e-mail of overdue customers: who wants it, in which language, what was sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from scoring.models import Language


class DigestPreference(models.Model):
    """An account manager's choice about the weekly e-mail: whether, and in which language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="contact_digest_preference",
    )
    weekly = models.BooleanField(_("send me the weekly e-mail of overdue customers"), default=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.DUTCH
    )

    class Meta:
        verbose_name = _("digest preference")
        verbose_name_plural = _("digest preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"


class OverdueDigest(models.Model):
    """One account manager's weekly e-mail of overdue customers: claimed once per week."""

    class Status(models.TextChoices):
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    week = models.DateField()  # the Monday of the week
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    customers = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("weekly overdue e-mail")
        verbose_name_plural = _("weekly overdue e-mails")
        constraints = [
            models.UniqueConstraint(fields=["user", "week"], name="overdue_digest_once_a_week"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.week}: {self.status}"
