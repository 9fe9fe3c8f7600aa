"""Improvement actions: the catalogue of action types, actions on one customer's element, their
checklists, action campaigns with a holdout (control group), and the reminder digests.

An action targets one element of one customer (or the whole binding, ``element_code = ""``),
is decided by management and owned by an account manager. Deciding freezes its baseline: the
customer's score, band, coverage and the targeted element's value and mean per respondent kind
as they stood at that moment.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from scoring.models import Band, Customer, Language, localised_field

WHOLE_BINDING = ""  # element_code of an action on the whole binding score


class ActionType(models.Model):
    """A kind of improvement action management keeps in its catalogue (e.g. knowledge event)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_nl = models.CharField(_("name (Dutch)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_nl = models.TextField(_("description (Dutch)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    element_code = models.CharField(
        _("element it aims at"),
        max_length=50,
        blank=True,
        help_text=_("The code of an element of the scoring model; empty for the whole binding."),
    )
    default_duration_days = models.PositiveSmallIntegerField(
        _("default duration (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
    )
    horizon_days = models.PositiveSmallIntegerField(
        _("effect measured after (days)"),
        default=180,
        validators=[MinValueValidator(30), MaxValueValidator(730)],
        help_text=_("How long after the decision the effect is measured."),
    )
    # The ordered checklist: [{"en": "...", "nl": "..."}, ...]; copied into each new action.
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    expected_gain = models.DecimalField(
        _("expected gain"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_(
            "Management's hypothesis: how much the targeted element rises on the 0–6 scale "
            "(in score points for the whole binding)."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("action type")
        verbose_name_plural = _("action types")
        ordering = ["order", "name_en", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_duration_days__gte=1), name="action_type_duration_positive"
            ),
            models.CheckConstraint(
                condition=Q(horizon_days__gte=30), name="action_type_horizon_30_days"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localised_field(self, "name")

    @property
    def description(self) -> str:
        return localised_field(self, "description")

    def checklist_texts(self) -> list[str]:
        """The checklist steps in the active language."""
        return [_step_text(step) for step in self.checklist]


def _step_text(step: dict) -> str:
    language = (translation.get_language() or "nl")[:2]
    return step.get(language) or step.get("en") or step.get("nl") or ""


class ActionCampaign(models.Model):
    """One action type for a target group, with a randomised holdout (control group).

    Each targeted customer is assigned once to the action arm or the control arm, from a hash
    of the campaign and the customer; control customers get no action of this type until the
    horizon has passed, so the two arms can be compared.
    """

    name = models.CharField(_("name"), max_length=200)
    action_type = models.ForeignKey(
        ActionType,
        verbose_name=_("action type"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    element_code = models.CharField(_("element"), max_length=50, blank=True)
    target_band = models.CharField(
        _("band"), max_length=10, choices=Band.choices, blank=True, help_text=_("Empty: any band.")
    )
    target_element_max = models.DecimalField(
        _("element value at most"),
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(6)],
    )
    target_sector = models.CharField(_("sector"), max_length=100, blank=True)
    target_account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    holdout_pct = models.PositiveSmallIntegerField(
        _("control group (%)"),
        default=20,
        validators=[MinValueValidator(5), MaxValueValidator(80)],
    )
    horizon_days = models.PositiveSmallIntegerField(
        _("horizon (days)"),
        default=180,
        validators=[MinValueValidator(30), MaxValueValidator(730)],
        help_text=_("Control customers get no action of this type during this period."),
    )
    due_on = models.DateField(_("actions due on"))
    rationale = models.TextField(_("rationale"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    launched_at = models.DateTimeField(_("launched"))

    class Meta:
        verbose_name = _("action campaign")
        verbose_name_plural = _("action campaigns")
        ordering = ["-launched_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(holdout_pct__gte=5, holdout_pct__lte=80),
                name="action_campaign_holdout_5_80",
            ),
            models.CheckConstraint(
                condition=Q(target_band__in=["", *Band.values]),
                name="action_campaign_band_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("actions:campaign-detail", kwargs={"pk": self.pk})


class AssignmentQuerySet(models.QuerySet):
    """A campaign's assignment is made once and never changes."""

    def update(self, **kwargs: object) -> int:
        raise ImmutableAssignmentError(_("A campaign assignment never changes."))


class ImmutableAssignmentError(Exception):
    """Raised on any attempt to change a stored campaign assignment."""


class CampaignAssignment(models.Model):
    """A customer's arm in an action campaign: action or control, stored once."""

    class Arm(models.TextChoices):
        ACTION = "action", _("action")
        CONTROL = "control", _("control group")

    campaign = models.ForeignKey(
        ActionCampaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="action_assignments",
    )
    arm = models.CharField(_("arm"), max_length=10, choices=Arm.choices)
    draw = models.FloatField(_("draw"), help_text=_("The hash of campaign and customer, 0–1."))
    assigned_at = models.DateTimeField(_("assigned"))

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign assignment")
        verbose_name_plural = _("campaign assignments")
        ordering = ["campaign", "customer"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer"], name="assignment_once_per_customer"
            ),
            models.CheckConstraint(
                condition=Q(arm__in=["action", "control"]), name="assignment_arm_valid"
            ),
        ]
        indexes = [models.Index(fields=["customer", "arm"], name="assignment_customer_idx")]

    def __str__(self) -> str:
        return f"{self.campaign_id} · {self.customer_id} · {self.arm}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableAssignmentError(_("A campaign assignment never changes."))
        super().save(*args, **kwargs)


class Action(models.Model):
    """One improvement action on one customer's element (or its whole binding)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        OPEN = "open", _("open")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    class Origin(models.TextChoices):
        MANUAL = "manual", _("by hand")
        WALL = "wall", _("where to raise the wall")
        GAP = "gap", _("perception gap")
        CAMPAIGN = "campaign", _("action campaign")
        ALERT = "alert", _("alert")

    class Outcome(models.TextChoices):
        ACHIEVED = "achieved", _("achieved")
        PARTLY = "partly", _("partly achieved")
        NOT_ACHIEVED = "not", _("not achieved")
        UNKNOWN = "unknown", _("unknown")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="actions"
    )
    action_type = models.ForeignKey(
        ActionType, verbose_name=_("action type"), on_delete=models.PROTECT, related_name="actions"
    )
    element_code = models.CharField(_("element"), max_length=50, blank=True)
    title = models.CharField(_("title"), max_length=200)
    rationale = models.TextField(_("rationale"), blank=True)
    origin = models.CharField(
        _("origin"), max_length=10, choices=Origin.choices, default=Origin.MANUAL
    )
    campaign = models.ForeignKey(
        ActionCampaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_actions",
    )
    due_on = models.DateField(_("due on"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("note on the outcome"), blank=True)
    # The baseline, frozen at the decision from the customer's current stored score.
    baseline_model_version = models.PositiveIntegerField(
        _("scoring model of the baseline"), null=True, blank=True
    )
    baseline_score = models.FloatField(_("binding score at decision"), null=True, blank=True)
    baseline_band = models.CharField(
        _("band at decision"), max_length=10, choices=Band.choices, blank=True
    )
    baseline_coverage = models.FloatField(_("coverage at decision"), null=True, blank=True)
    baseline_value = models.FloatField(_("element value at decision"), null=True, blank=True)
    baseline_staff = models.FloatField(_("staff mean at decision"), null=True, blank=True)
    baseline_customer = models.FloatField(_("customer mean at decision"), null=True, blank=True)
    baseline_expert = models.FloatField(_("expert mean at decision"), null=True, blank=True)
    # When the survey round after the horizon was asked for (None: not yet).
    measurement_requested_at = models.DateTimeField(
        _("measurement requested"), null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "action_type", "element_code"],
                condition=Q(status__in=["proposed", "open", "in_progress"]),
                name="action_one_open_per_type_and_element",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "open", "in_progress", "done", "cancelled"]),
                name="action_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(origin__in=["manual", "wall", "gap", "campaign", "alert"]),
                name="action_origin_valid",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["", "achieved", "partly", "not", "unknown"]),
                name="action_outcome_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["open", "in_progress", "done"])
                | Q(decided_at__isnull=False),
                name="action_decided_has_moment",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | (Q(completed_at__isnull=False) & ~Q(outcome="")),
                name="action_done_has_outcome",
            ),
            models.CheckConstraint(
                condition=Q(baseline_band__in=["", *Band.values]),
                name="action_baseline_band_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "due_on"], name="action_owner_idx"),
            models.Index(fields=["status", "due_on"], name="action_status_due_idx"),
            models.Index(fields=["customer", "status"], name="action_customer_idx"),
            models.Index(
                fields=["action_type", "element_code", "decided_at"], name="action_effect_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("actions:action-detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        """Not finished: proposed, open or in progress."""
        return self.status in OPEN_STATUSES

    @property
    def is_decided(self) -> bool:
        return self.decided_at is not None and self.status != Action.Status.PROPOSED


OPEN_STATUSES = (Action.Status.PROPOSED, Action.Status.OPEN, Action.Status.IN_PROGRESS)
DECIDED_STATUSES = (Action.Status.OPEN, Action.Status.IN_PROGRESS, Action.Status.DONE)


class ActionStep(models.Model):
    """One step of an action's checklist, copied from its type when the action was made."""

    action = models.ForeignKey(
        Action, verbose_name=_("action"), on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    text_nl = models.CharField(_("step (Dutch)"), max_length=300, blank=True)
    text_en = models.CharField(_("step (English)"), max_length=300, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("checklist step")
        verbose_name_plural = _("checklist steps")
        ordering = ["action", "position"]
        constraints = [
            models.UniqueConstraint(fields=["action", "position"], name="action_step_position"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return localised_field(self, "text")


class DigestSent(models.Model):
    """One reminder digest per owner per day: the row is claimed before the e-mail goes out."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    day = models.DateField(_("day"))
    actions = models.PositiveIntegerField(_("actions listed"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder digest")
        verbose_name_plural = _("reminder digests")
        constraints = [
            models.UniqueConstraint(fields=["owner", "day"], name="digest_once_per_owner_day"),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} · {self.day:%Y-%m-%d}"


class MeasurementRequest(models.Model):
    """A survey round asked for after the horizon: treated customers and their controls."""

    action_type = models.ForeignKey(
        ActionType, verbose_name=_("action type"), on_delete=models.PROTECT, related_name="+"
    )
    element_code = models.CharField(_("element"), max_length=50, blank=True)
    requested_at = models.DateTimeField(_("requested"))
    treated = models.PositiveIntegerField(_("treated customers"), default=0)
    controls = models.PositiveIntegerField(_("control customers"), default=0)
    reference = models.CharField(
        _("reference"), max_length=200, blank=True, help_text=_("What the survey side made.")
    )

    class Meta:
        verbose_name = _("measurement request")
        verbose_name_plural = _("measurement requests")
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action_type_id} · {self.element_code} · {self.requested_at:%Y-%m-%d}"


class DigestPreference(models.Model):
    """An owner's reminder digest: whether it is sent, and in which language.

    Made the first time the owner opens "My actions", in the language the page was shown in;
    the owner can change both there.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="action_digest",
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.DUTCH
    )
    enabled = models.BooleanField(_("send me a daily digest"), default=True)

    class Meta:
        verbose_name = _("digest preference")
        verbose_name_plural = _("digest preferences")

    def __str__(self) -> str:
        return f"{self.user_id} · {self.language}"


class EffectReportStore(models.Model):
    """The effect report as last computed, served to every request until its inputs change.

    The engine takes over a second at 10,000 customers, so the page does not run it: a rebuild
    (``actions.services.effect_report_rebuild``, in a Celery task when
    ``ACTIONS_EFFECT_REPORT_BACKGROUND`` is on) computes it once per ``version`` (a hash of
    every input, see ``actions.selectors.report.report_version``) and keeps it here; the page
    shows when it was computed and, while a newer one is being computed, says so.

    ``report`` is the pickled ``actions.selectors.report.StoredReport``, written by the
    rebuild only (never from user input); a row that cannot be read back (another release's
    classes) counts as missing.
    """

    key = models.CharField(max_length=50, unique=True)
    version = models.CharField(max_length=64, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    report = models.BinaryField(null=True, blank=True)
    rebuild_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("stored effect report")
        verbose_name_plural = _("stored effect reports")

    def __str__(self) -> str:
        return f"{self.key} · {self.version[:8]}"


class AssessmentLine(models.Model):
    """One submitted assessment's numbers packed in one line of text, written once.

    A derived copy for the effect report's read (``actions.assessment_lines`` says why and
    what a line holds); assessments and their scores are append-only, so a line never goes
    stale.
    """

    assessment = models.OneToOneField(
        "scoring.Assessment", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    assessed_at = models.DateTimeField(db_index=True)
    line = models.TextField()

    class Meta:
        verbose_name = _("assessment line")
        verbose_name_plural = _("assessment lines")

    def __str__(self) -> str:
        return str(self.assessment_id)
