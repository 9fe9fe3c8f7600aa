"""The contact log: a logged visit, call, video call, e-mail, event or internal note."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from scoring.models import Contact, Customer


class ContactKind(models.TextChoices):
    VISIT = "visit", _("visit")
    CALL = "call", _("call")
    VIDEO_CALL = "video_call", _("video call")
    EMAIL = "email", _("e-mail")
    EVENT = "event", _("event")
    NOTE = "note", _("internal note")


# Kinds a contact rhythm can be set for: every kind but the internal note, which is no touch.
CADENCE_KINDS = [kind for kind in ContactKind if kind != ContactKind.NOTE]


class ContactMoment(models.Model):
    """One logged contact with a customer: a visit, call, e-mail, event or an internal note."""

    class Source(models.TextChoices):
        APP = "app", _("logged in the app")
        IMPORT = "import", _("import")
        DEMO = "demo", _("demo data")

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="contact_moments",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ContactKind.choices)
    at = models.DateTimeField(_("when"))
    summary = models.CharField(_("summary"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    contact_persons = models.ManyToManyField(
        Contact, verbose_name=_("contact persons"), related_name="contact_moments", blank=True
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("our staff"),
        related_name="contact_moments",
        blank=True,
    )
    # The improvement action this contact served, one of the customer's (relations depends on
    # actions, as both depend on scoring; actions never imports relations).
    action = models.ForeignKey(
        "actions.Action",
        verbose_name=_("action"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_moments",
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    logged_at = models.DateTimeField(_("logged at"), auto_now_add=True)
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.APP
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ContactKind.values), name="contact_moment_kind_valid"
            ),
        ]
        indexes = [
            # The last contact per customer and kind (the cadence), read from the index alone.
            models.Index(fields=["customer", "kind", "at"], name="contact_moment_last_idx"),
            models.Index(fields=["customer", "at"], name="contact_moment_timeline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} · {self.kind} · {self.at:%Y-%m-%d}"

    @property
    def counts(self) -> bool:
        """Whether this contact is a touch (internal notes are not)."""
        return self.kind != ContactKind.NOTE
