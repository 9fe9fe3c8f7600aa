"""Departures, the reasons to leave and the three locked sets of them, the exit survey."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from relations.models.base import Named
from relations.models.segments import Segment
from scoring.models import Customer, Language


class DepartureReason(Named):
    """A reason to leave, tied to the binding element it speaks about where one fits."""

    element_code = models.SlugField(
        _("binding element"),
        max_length=50,
        blank=True,
        help_text=_("The code of the element this reason is about, e.g. service."),
    )
    needs_note = models.BooleanField(_("needs a note"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta(Named.Meta):
        verbose_name = _("reason to leave")
        verbose_name_plural = _("reasons to leave")


class Departure(models.Model):
    """A customer leaving, fully or partly, or moving to less; recorded by management."""

    class Kind(models.TextChoices):
        FULL = "full", _("left fully")
        PARTIAL = "partial", _("left partly")
        DOWNGRADE = "downgrade", _("downgraded")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="departures"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.FULL)
    decided_on = models.DateField(_("decided on"))
    left_on = models.DateField(_("left on"))
    revenue_lost = models.DecimalField(
        _("revenue lost (per year)"), max_digits=14, decimal_places=2, default=0
    )
    competitor = models.CharField(_("went to (competitor)"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # As they were when the departure was recorded, for the "why they leave" filters.
    segment = models.ForeignKey(
        Segment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("departure")
        verbose_name_plural = _("departures")
        ordering = ["-left_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_on__lte=models.F("left_on")), name="departure_decided_first"
            ),
            models.CheckConstraint(
                condition=Q(revenue_lost__gte=0), name="departure_revenue_lost_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["full", "partial", "downgrade"]), name="departure_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.left_on}"


class Perspective(models.TextChoices):
    STATED = "stated", _("stated by the customer")
    ACCOUNT_MANAGER = "account_manager", _("believed by the account manager")
    MANAGEMENT = "management", _("believed by management")


class LockedReasonSetError(Exception):
    """Raised on any attempt to change or delete a saved set of reasons."""


class ReasonSetQuerySet(models.QuerySet):
    """A saved set of reasons is locked: it is never changed or deleted (the database refuses
    an UPDATE as well, see the migration)."""

    def update(self, **kwargs: object) -> int:
        raise LockedReasonSetError(_("A saved set of reasons cannot be changed."))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise LockedReasonSetError(_("A saved set of reasons cannot be deleted."))


class ReasonSet(models.Model):
    """One perspective's reasons for one departure: stated, or believed by AM or management."""

    class Source(models.TextChoices):
        BELIEF = "belief", _("own belief")
        INTERVIEW = "interview", _("exit interview")
        EXIT_SURVEY = "exit_survey", _("exit survey")
        IMPORT = "import", _("import")
        DEMO = "demo", _("demo data")

    departure = models.ForeignKey(
        Departure, on_delete=models.CASCADE, related_name="reason_sets", db_index=False
    )
    perspective = models.CharField(_("perspective"), max_length=20, choices=Perspective.choices)
    reasons = models.JSONField(_("reasons"), default=list)  # DepartureReason codes, in order
    note = models.TextField(_("note"), blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    objects = ReasonSetQuerySet.as_manager()

    class Meta:
        verbose_name = _("set of reasons")
        verbose_name_plural = _("sets of reasons")
        constraints = [
            models.UniqueConstraint(
                fields=["departure", "perspective"], name="reason_set_once_per_perspective"
            ),
            models.CheckConstraint(
                condition=Q(perspective__in=Perspective.values), name="reason_set_perspective"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.departure_id} · {self.perspective}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise LockedReasonSetError(_("A saved set of reasons cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise LockedReasonSetError(_("A saved set of reasons cannot be deleted."))


class ExitSurvey(models.Model):
    """A personal link that asks a departed customer's contact person why they left.

    Only the SHA-256 of the link's token is stored. The row is the outbox of its e-mail:
    pending → sending → sent (or failed); the answer becomes the departure's stated reasons.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        ANSWERED = "answered", _("answered")

    departure = models.ForeignKey(Departure, on_delete=models.CASCADE, related_name="exit_surveys")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Made when the e-mail is sent (the raw token is never stored, so it cannot be re-mailed).
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    email = models.EmailField(_("e-mail"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.DUTCH
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    expires_at = models.DateTimeField(_("expires at"))
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("exit survey")
        verbose_name_plural = _("exit surveys")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.departure_id} → {self.email}"
