"""Relationship types: the one we believe a customer is in, and the one it wants."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from relations.models.base import Named
from scoring.models import Assessment, Customer, localised_field


class RelationshipType(Named):
    """What kind of relationship a customer is in with us (or wants): an editable list."""

    description_nl = models.TextField(_("description (Dutch)"))
    description_en = models.TextField(_("description (English)"))
    active = models.BooleanField(_("active"), default=True)

    class Meta(Named.Meta):
        verbose_name = _("relationship type")
        verbose_name_plural = _("relationship types")

    @property
    def description(self) -> str:
        return localised_field(self, "description")


class RelationshipBelief(models.Model):
    """The relationship type our account manager believes the customer is in."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="relationship_belief"
    )
    type = models.ForeignKey(
        RelationshipType, verbose_name=_("relationship type"), on_delete=models.PROTECT
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    set_at = models.DateTimeField()

    class Meta:
        verbose_name = _("believed relationship type")
        verbose_name_plural = _("believed relationship types")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.type}"


class RelationshipWish(models.Model):
    """The relationship a customer's contact person wants, answered with a survey."""

    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, primary_key=True, related_name="relationship_wish"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="relationship_wishes", db_index=False
    )
    type = models.ForeignKey(
        RelationshipType, verbose_name=_("relationship type"), on_delete=models.PROTECT
    )
    answered_at = models.DateTimeField()

    class Meta:
        verbose_name = _("wanted relationship type")
        verbose_name_plural = _("wanted relationship types")
        indexes = [models.Index(fields=["customer", "answered_at"], name="wish_latest_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.type}"
