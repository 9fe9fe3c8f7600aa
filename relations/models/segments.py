"""Value segments, the rules that assign them, their contact rhythm and its stored state."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from relations.models.base import Named
from relations.models.contacts import CADENCE_KINDS, ContactKind
from scoring.models import Customer, localised_field


class Segment(Named):
    """A value segment: thriving, engaging, draining (management may rename them)."""

    description_nl = models.TextField(_("description (Dutch)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)

    class Meta(Named.Meta):
        verbose_name = _("value segment")
        verbose_name_plural = _("value segments")

    @property
    def description(self) -> str:
        return localised_field(self, "description")


class SegmentRule(models.Model):
    """One rule of the ordered list that assigns segments: every condition set must hold.

    The first rule (by ``order``) whose conditions a customer meets gives its segment. The
    contribution is revenue × margin; "the first X % of contribution" are the customers,
    largest contribution first, that together bring X % of the total (the top of the Pareto).
    """

    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), on_delete=models.CASCADE, related_name="rules"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    payment = models.JSONField(
        _("payment behaviour"),
        default=list,
        blank=True,
        help_text=_("Any of these (good, average, poor, unknown); empty for any."),
    )
    bands = models.JSONField(
        _("bands"),
        default=list,
        blank=True,
        help_text=_("Any of these (red, orange, yellow, green, none); empty for any."),
    )
    revenue_min = models.DecimalField(
        _("revenue at least"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    revenue_max = models.DecimalField(
        _("revenue below"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    margin_min = models.DecimalField(
        _("margin % at least"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    margin_max = models.DecimalField(
        _("margin % below"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    potential_min = models.DecimalField(
        _("potential at least"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    potential_max = models.DecimalField(
        _("potential below"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    contribution_top = models.DecimalField(
        _("among the first … percent of contribution"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
    )
    contribution_tail = models.DecimalField(
        _("outside the first … percent of contribution"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("segment rule")
        verbose_name_plural = _("segment rules")
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(contribution_top__isnull=True) | Q(contribution_top__gt=0))
                & (Q(contribution_top__isnull=True) | Q(contribution_top__lte=100))
                & (Q(contribution_tail__isnull=True) | Q(contribution_tail__gte=0))
                & (Q(contribution_tail__isnull=True) | Q(contribution_tail__lt=100)),
                name="segment_rule_contribution_share",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}: {self.segment}"


class CadenceTarget(models.Model):
    """How often a segment's customers get a contact of one kind: a target and a maximum."""

    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), on_delete=models.CASCADE, related_name="cadence"
    )
    kind = models.CharField(_("contact kind"), max_length=12, choices=ContactKind.choices)
    target_days = models.PositiveSmallIntegerField(_("target (days)"))
    max_days = models.PositiveSmallIntegerField(_("at most (days)"))

    class Meta:
        verbose_name = _("contact rhythm")
        verbose_name_plural = _("contact rhythms")
        ordering = ["segment__order", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["segment", "kind"], name="cadence_once_per_kind"),
            models.CheckConstraint(
                condition=Q(target_days__gte=1) & Q(max_days__gte=models.F("target_days")),
                name="cadence_target_within_max",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in CADENCE_KINDS]),
                name="cadence_kind_is_a_touch",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.segment} · {self.kind}: {self.target_days}/{self.max_days}"


class CustomerSegment(models.Model):
    """A customer's segment now: the one its rules give, or an account manager's override."""

    customer = models.OneToOneField(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="segment_assignment",
    )
    # What the rules say (None when no rule matches).
    by_rule = models.ForeignKey(
        Segment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    override = models.ForeignKey(
        Segment,
        verbose_name=_("override"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    override_reason = models.CharField(_("reason"), max_length=300, blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    override_at = models.DateTimeField(null=True, blank=True)
    # The segment in force (the override, else the rules'), kept for the lists' filters.
    segment = models.ForeignKey(
        Segment, on_delete=models.SET_NULL, null=True, blank=True, related_name="assignments"
    )
    assigned_at = models.DateTimeField()

    class Meta:
        verbose_name = _("customer segment")
        verbose_name_plural = _("customer segments")
        constraints = [
            models.CheckConstraint(
                condition=Q(override__isnull=True) | ~Q(override_reason=""),
                name="segment_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.segment_id}"


class SegmentHistory(models.Model):
    """A customer's segment in one month (recorded on the 1st), so moves can be counted."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="segment_history", db_index=False
    )
    month = models.DateField(_("month"))  # the first day of the month
    segment = models.ForeignKey(
        Segment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The customer's band on the same day, so segment moves and band moves can be crossed.
    band = models.CharField(_("band"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("segment history")
        verbose_name_plural = _("segment history")
        ordering = ["customer", "month"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "month"], name="segment_once_a_month"),
        ]
        indexes = [models.Index(fields=["month"], name="segment_history_month_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m}: {self.segment_id}"


class CadenceStatus(models.Model):
    """When a customer's contact rhythm turns due, overdue and lost touch (stored per customer).

    The state on a day follows from three dates: due from ``due_from`` (the first due date
    less the due window), overdue from ``overdue_from`` (the day after the earliest target),
    lost touch from ``lost_from`` (the day after the earliest maximum). They change only when a
    contact is logged or the segment or its rhythm changes, so lists filter and sort on them in
    the database (``relations.calculations`` holds the rule). A customer without a rhythm (no
    segment, or a segment without targets, or inactive) has no row.
    """

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="cadence_status"
    )
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="+")
    priority = models.PositiveSmallIntegerField(default=0)  # the segment's order: thriving first
    due_from = models.DateField()
    overdue_from = models.DateField(db_index=True)
    lost_from = models.DateField()
    kind = models.CharField(max_length=12, choices=ContactKind.choices)  # the most urgent kind
    last_on = models.DateField(null=True, blank=True)  # its last contact (None: never)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("contact rhythm status")
        verbose_name_plural = _("contact rhythm status")
        indexes = [models.Index(fields=["due_from"], name="cadence_due_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}: due {self.due_from}"
