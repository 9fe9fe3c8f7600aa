"""Customers, their raters, the versioned scoring model, assessments and stored scores."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

SCORE_MIN = 0
SCORE_MAX = 6
NPS_MIN = 0
NPS_MAX = 10


class Factor(models.TextChoices):
    SATISFACTION = "satisfaction", _("Customer satisfaction")
    ALTERNATIVES = "alternatives", _("Quality of the alternatives")
    INVESTMENT = "investment", _("Size of the investment")


class RespondentKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    CUSTOMER = "customer", _("Customer")
    EXPERT = "expert", _("Market expert")


class Language(models.TextChoices):
    DUTCH = "nl", _("Dutch")
    ENGLISH = "en", _("English")


class Band(models.TextChoices):
    RED = "red", _("red")
    ORANGE = "orange", _("orange")
    YELLOW = "yellow", _("yellow")
    GREEN = "green", _("green")


def band_label(band: str | None) -> str:
    """The band's name in the user's language; "no score" without a band. The one band label
    of the pages, the figures and the exports' titles."""
    if not band:
        return str(_("no score"))
    return str(Band(band).label)


class PaymentBehaviour(models.TextChoices):
    GOOD = "good", _("good")
    AVERAGE = "average", _("average")
    POOR = "poor", _("poor")


def active_language() -> str:
    """The active language's two-letter code (Dutch when none is active)."""
    return (translation.get_language() or "nl")[:2]


def localised(nl: str, en: str, language: str | None = None) -> str:
    """The Dutch or English text for ``language`` (default: the active one), falling back to
    English, then Dutch. Element names, guidance and questions are read through this."""
    language = language or active_language()
    chosen = nl if language == "nl" else en if language == "en" else ""
    return chosen or en or nl


def localised_field(obj: object, field: str) -> str:
    """``obj``'s ``<field>_nl`` or ``<field>_en`` by the active language (see ``localised``)."""
    return localised(getattr(obj, f"{field}_nl", ""), getattr(obj, f"{field}_en", ""))


class Customer(models.Model):
    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.PROTECT,
        related_name="customers",
        null=True,
        blank=True,
    )
    sector = models.CharField(_("sector"), max_length=100, blank=True, db_index=True)
    annual_revenue = models.DecimalField(
        _("annual revenue"), max_digits=14, decimal_places=2, default=0
    )
    margin_pct = models.DecimalField(
        _("margin %"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    revenue_potential = models.DecimalField(
        _("revenue potential"), max_digits=14, decimal_places=2, default=0
    )
    payment_behaviour = models.CharField(
        _("payment behaviour"), max_length=10, choices=PaymentBehaviour.choices, blank=True
    )
    active = models.BooleanField(_("active"), default=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        # The list's order (name, then id for ties): a page is read from the index alone.
        indexes = [models.Index(fields=["name", "id"], name="customer_name_id_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(annual_revenue__gte=0), name="customer_revenue_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(revenue_potential__gte=0), name="customer_potential_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(margin_pct__isnull=True) | Q(margin_pct__gte=-100, margin_pct__lte=100),
                name="customer_margin_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=Q(payment_behaviour__in=["", *PaymentBehaviour.values]),
                name="customer_payment_behaviour_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("scoring:customer-detail", kwargs={"pk": self.pk})


class ContactRole(models.TextChoices):
    """What a contact person is to us at the customer (who decides, who uses, who speaks up)."""

    DECISION_MAKER = "decision_maker", _("decision maker")
    USER = "user", _("user")
    CHAMPION = "champion", _("champion")
    INFLUENCER = "influencer", _("influencer")
    OTHER = "other", _("other")


class Contact(models.Model):
    """A contact person at the customer, who may be asked to score us.

    A contact person who left or no longer deals with us is deactivated, not deleted: their
    answers and invitations keep pointing at them. Only the contact can opt out (by the link
    in a survey e-mail); the app shows it and never sets it back.
    """

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=20, choices=ContactRole.choices, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.DUTCH
    )
    active = models.BooleanField(_("active"), default=True)
    opted_out = models.BooleanField(_("opted out"), default=False)
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["customer", "name"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "email"], name="contact_unique_email"),
            models.CheckConstraint(
                condition=Q(role__in=["", *ContactRole.values]), name="contact_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def get_absolute_url(self) -> str:
        return reverse("scoring:customer-detail", kwargs={"pk": self.customer_id}) + "#contacts"


class MarketExpert(models.Model):
    """A market expert outside the company, asked about customers in their sectors."""

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"), unique=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.DUTCH
    )
    active = models.BooleanField(_("active"), default=True)
    opted_out = models.BooleanField(_("opted out"), default=False)
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)
    sectors = models.JSONField(
        _("sectors"), default=list, blank=True, help_text=_("Sector names this expert covers.")
    )
    customers = models.ManyToManyField(
        Customer, verbose_name=_("customers"), related_name="experts", blank=True
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("market expert")
        verbose_name_plural = _("market experts")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})" if self.organisation else self.name

    def get_absolute_url(self) -> str:
        return reverse("scoring:expert-edit", kwargs={"pk": self.pk})


class ScoringModel(models.Model):
    """One version of the element set and weights. Published versions are never edited."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    name_nl = models.CharField(_("name (Dutch)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    notes_nl = models.TextField(_("notes (Dutch)"), blank=True)
    notes_en = models.TextField(_("notes (English)"), blank=True)
    is_active = models.BooleanField(_("active"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = _("scoring model")
        verbose_name_plural = _("scoring models")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_scoring_model"
            ),
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(published_at__isnull=False),
                name="active_scoring_model_is_published",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.name}"

    @property
    def name(self) -> str:
        return localised_field(self, "name")

    @property
    def notes(self) -> str:
        return localised_field(self, "notes")

    @property
    def is_draft(self) -> bool:
        return self.published_at is None


class Element(models.Model):
    """One scored element of a scoring model, e.g. IT integration."""

    scoring_model = models.ForeignKey(
        ScoringModel,
        verbose_name=_("scoring model"),
        on_delete=models.CASCADE,
        related_name="elements",
    )
    code = models.SlugField(_("code"), max_length=50)
    factor = models.CharField(_("binding factor"), max_length=20, choices=Factor.choices)
    name_nl = models.CharField(_("name (Dutch)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    guidance_0_nl = models.TextField(_("what 0 looks like (Dutch)"), blank=True)
    guidance_0_en = models.TextField(_("what 0 looks like (English)"), blank=True)
    guidance_3_nl = models.TextField(_("what 3 looks like (Dutch)"), blank=True)
    guidance_3_en = models.TextField(_("what 3 looks like (English)"), blank=True)
    guidance_6_nl = models.TextField(_("what 6 looks like (Dutch)"), blank=True)
    guidance_6_en = models.TextField(_("what 6 looks like (English)"), blank=True)
    question_staff_nl = models.TextField(_("question for staff (Dutch)"), blank=True)
    question_staff_en = models.TextField(_("question for staff (English)"), blank=True)
    question_customer_nl = models.TextField(_("question for customers (Dutch)"), blank=True)
    question_customer_en = models.TextField(_("question for customers (English)"), blank=True)
    question_expert_nl = models.TextField(_("question for experts (Dutch)"), blank=True)
    question_expert_en = models.TextField(_("question for experts (English)"), blank=True)
    asked_staff = models.BooleanField(_("asked of staff"), default=True)
    asked_customer = models.BooleanField(_("asked of customers"), default=True)
    asked_expert = models.BooleanField(_("asked of experts"), default=True)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("element")
        verbose_name_plural = _("elements")
        ordering = ["scoring_model", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scoring_model", "code"], name="element_unique_code"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="element_weight_positive"),
            models.CheckConstraint(
                condition=Q(factor__in=Factor.values), name="element_factor_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.scoring_model_id})"

    @property
    def name(self) -> str:
        return localised_field(self, "name")

    def guidance(self, level: int) -> str:
        return localised_field(self, f"guidance_{level}")

    def question(self, kind: str) -> str:
        return localised_field(self, f"question_{kind}") or self.name

    def is_asked(self, kind: str) -> bool:
        return bool(getattr(self, f"asked_{kind}"))


class ImmutableAssessmentError(Exception):
    """Raised on any attempt to change or delete a submitted assessment."""


class SubmittedQuerySet(models.QuerySet):
    """Submitted assessments are the audit trail: they are never changed or deleted."""

    def update(self, **kwargs: object) -> int:
        raise ImmutableAssessmentError(_("Submitted assessments cannot be changed."))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableAssessmentError(_("Submitted assessments cannot be deleted."))


# The names the two querysets had before they became one.
AssessmentQuerySet = ElementScoreQuerySet = SubmittedQuerySet


class Submitted(models.Model):
    """A row of a submitted assessment (the assessment or one of its scores): written once,
    never changed or deleted, neither one by one nor in bulk."""

    objects = SubmittedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableAssessmentError(_("Submitted assessments cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableAssessmentError(_("Submitted assessments cannot be deleted."))


class Assessment(Submitted):
    """One respondent's filled-in matrix for one customer at one moment."""

    class Source(models.TextChoices):
        MATRIX = "matrix", _("scoring matrix")
        SURVEY = "survey", _("survey")
        IMPORT = "import", _("import")
        DEMO = "demo", _("demo data")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="assessments"
    )
    scoring_model = models.ForeignKey(
        ScoringModel,
        verbose_name=_("scoring model"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    respondent_kind = models.CharField(
        _("respondent kind"), max_length=10, choices=RespondentKind.choices
    )
    respondent_email = models.EmailField(_("respondent e-mail"))
    respondent_name = models.CharField(_("respondent name"), max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
    )
    assessed_at = models.DateTimeField(_("assessed at"))
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    comment = models.TextField(_("overall comment"), blank=True)
    nps = models.PositiveSmallIntegerField(
        _("recommendation (NPS)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(NPS_MIN), MaxValueValidator(NPS_MAX)],
    )
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.MATRIX
    )
    # Makes a double click or a resubmit after Back land on the same assessment.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # Who imported it (the import page's user or the command's --user); empty otherwise.
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-assessed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(nps__isnull=True) | Q(nps__gte=NPS_MIN, nps__lte=NPS_MAX),
                name="assessment_nps_0_10",
            ),
            models.CheckConstraint(
                condition=Q(respondent_kind__in=RespondentKind.values),
                name="assessment_kind_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["customer", "respondent_kind", "respondent_email", "assessed_at"],
                name="assessment_latest_idx",
            ),
            models.Index(fields=["assessed_at"], name="assessment_assessed_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.respondent_kind} · {self.assessed_at:%Y-%m-%d}"


class ElementScore(Submitted):
    """One element's value in an assessment: 0–6, or empty for "don't know"."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.PROTECT, related_name="scores"
    )
    element = models.ForeignKey(
        Element, verbose_name=_("element"), on_delete=models.PROTECT, related_name="scores"
    )
    value = models.PositiveSmallIntegerField(
        _("value"),
        null=True,
        blank=True,
        validators=[MinValueValidator(SCORE_MIN), MaxValueValidator(SCORE_MAX)],
    )
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("element score")
        verbose_name_plural = _("element scores")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "element"], name="element_score_once_per_assessment"
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=SCORE_MIN, value__lte=SCORE_MAX),
                name="element_score_value_0_6",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.element.code}={self.value if self.value is not None else '?'}"


# The blocks of ScoreSnapshot.details, in their order; scoring.snapshots reads and writes them.
DETAIL_BLOCKS = ("elements", "staff", "customer", "expert")


def details_lists(details: str, width: int) -> dict[str, list[float | None]]:
    """ScoreSnapshot.details as one list per block (``scoring.snapshots.details_decode``)."""
    from scoring.snapshots import details_decode

    return details_decode(details, width)


class ScoreSnapshot(models.Model):
    """A customer's binding score as computed at one moment; the newest one is current.

    A new snapshot is written only when the result changes, so the history is the list of
    changes and "change since the previous snapshot" is meaningful.
    """

    # Few indexes on purpose: a full recompute inserts 10,000 rows. The history index
    # (customer, computed_at) serves lookups by customer too.
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="snapshots",
        db_index=False,
    )
    scoring_model = models.ForeignKey(
        ScoringModel,
        verbose_name=_("scoring model"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    computed_at = models.DateTimeField(_("computed at"))
    is_current = models.BooleanField(default=True)
    binding_score = models.FloatField(_("binding score"), null=True, blank=True)
    satisfaction = models.FloatField(_("satisfaction"), null=True, blank=True)
    alternatives = models.FloatField(_("alternatives"), null=True, blank=True)
    investment = models.FloatField(_("investment"), null=True, blank=True)
    coverage = models.FloatField(_("coverage"), default=0)
    provisional = models.BooleanField(_("provisional"), default=True)
    band = models.CharField(_("band"), max_length=10, choices=Band.choices, blank=True)
    respondents = models.PositiveIntegerField(_("respondents"), default=0)
    last_assessed_at = models.DateTimeField(_("last assessed"), null=True, blank=True)
    # Like with like (DESIGN.md §6): the previous score as the snapshot's own model scores it.
    # A publish's snapshot carries the customer's last movement over, re-scored with the new
    # model (scoring.snapshots.previous_scores), so a re-weighting is not a customer moving.
    previous_score = models.FloatField(_("previous score"), null=True, blank=True)
    # Written by a model publish: the customer's answers re-scored with the new model, not a
    # new opinion (the history shows it as the publish, not as a movement).
    reweighted = models.BooleanField(_("re-weighted by a model publish"), default=False)
    # The element values v_e and the per-kind means m_ek as one line of comma-separated
    # numbers: four blocks ("elements", then the means of staff, customer and expert), each
    # with one field per element of the snapshot's scoring model in element order, empty
    # where unanswered. Plain text on purpose: a full recompute writes 10,000 of these and the
    # dashboard reads them all back, and PostgreSQL's jsonb costs more than the rest of that
    # query. The format is scoring.snapshots' (details_encode, details_decode).
    details = models.TextField(blank=True, default="")
    # A hash of everything above that makes a result differ, so a refresh can tell what
    # changed without reading the details back.
    fingerprint = models.CharField(max_length=32, editable=False, default="")

    class Meta:
        verbose_name = _("score snapshot")
        verbose_name_plural = _("score snapshots")
        ordering = ["-computed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_current=True), name="one_current_snapshot"
            ),
            models.CheckConstraint(
                condition=Q(coverage__gte=0, coverage__lte=100), name="snapshot_coverage_0_100"
            ),
            models.CheckConstraint(
                condition=Q(binding_score__isnull=True)
                | Q(binding_score__gte=0, binding_score__lte=100),
                name="snapshot_score_0_100",
            ),
            models.CheckConstraint(
                condition=Q(band__in=["", *Band.values]), name="snapshot_band_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "computed_at"], name="snapshot_history_idx"),
            # The customer list sorted on the score or the change: walked from one end with
            # the page's LIMIT (scoring.selectors.customers._split_parts). Partial: only the
            # current snapshots, so a recompute writes one entry per changed customer.
            models.Index(
                fields=["binding_score", "customer"],
                condition=Q(is_current=True),
                name="snapshot_current_score_idx",
            ),
            models.Index(
                F("binding_score") - F("previous_score"),
                F("customer"),
                condition=Q(is_current=True),
                name="snapshot_current_change_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.binding_score} @ {self.computed_at:%Y-%m-%d}"

    def element_values(self, codes: list[str], kind: str = "elements") -> dict[str, float | None]:
        """The stored values (``kind="elements"``) or one kind's means, keyed by element code.

        ``codes`` are the codes of this snapshot's scoring model in element order.
        """
        from scoring.snapshots import details_decode

        return dict(zip(codes, details_decode(self.details, len(codes))[kind], strict=True))

    def has_answers(self, codes: list[str], kind: str) -> bool:
        """Whether any element has a value (or, for a kind, a mean) in this snapshot."""
        return any(v is not None for v in self.element_values(codes, kind).values())

    @property
    def change(self) -> float | None:
        if self.binding_score is None or self.previous_score is None:
            return None
        return self.binding_score - self.previous_score


class ScoringJob(models.Model):
    """A recompute of every customer's score that runs in the background (a Celery task),
    alone or as the second half of publishing a draft; or a large spreadsheet import.

    The row is the job's whole state: a worker works through the customers in batches, in
    ``pk`` order, and commits each batch's snapshots together with ``last_customer_id``, so a
    job interrupted anywhere (a worker restart, a crash) resumes after the last committed batch
    and never computes a customer twice.

    An import keeps its checked rows (``payload``, emptied when it ends) and is written all or
    nothing in one transaction that also marks the row done: a run that dies writes nothing,
    and the next run (a redelivery, a worker start) imports the file whole, once.
    """

    class Kind(models.TextChoices):
        PUBLISH = "publish", _("publish a scoring model")
        RECOMPUTE = "recompute", _("recompute every score")
        IMPORT_CUSTOMERS = "import_customers", _("import customers")
        IMPORT_ASSESSMENTS = "import_assessments", _("import assessments")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default="pending")
    scoring_model = models.ForeignKey(
        ScoringModel,
        verbose_name=_("scoring model"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    total = models.PositiveIntegerField(_("customers"), default=0)
    done = models.PositiveIntegerField(_("customers done"), default=0)
    changed = models.PositiveIntegerField(_("scores changed"), default=0)
    # What the customers notice, counted as the publish preview counts it (same function).
    band_changes = models.PositiveIntegerField(_("band changes"), default=0)
    score_changes = models.PositiveIntegerField(_("score changes"), default=0)
    coverage_changes = models.PositiveIntegerField(_("coverage changes"), default=0)
    provisional_changes = models.PositiveIntegerField(_("provisional changes"), default=0)
    batches = models.PositiveIntegerField(default=0)
    last_customer_id = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    payload = models.TextField(blank=True)  # an import's checked rows (uploads' JSON form)
    summary = models.JSONField(default=dict, blank=True)  # what an import wrote

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.state}"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def is_import(self) -> bool:
        return self.kind in (self.Kind.IMPORT_CUSTOMERS, self.Kind.IMPORT_ASSESSMENTS)

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, self.done * 100 // self.total)
