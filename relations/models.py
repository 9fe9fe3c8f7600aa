"""The relationship around the score: contacts, value segments and their contact cadence,
relationship types (believed and wanted) and departures with their three sets of reasons."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from scoring.models import Assessment, Contact, Customer, Language, _localised


class ContactKind(models.TextChoices):
    VISIT = "visit", _("visit")
    CALL = "call", _("call")
    VIDEO_CALL = "video_call", _("video call")
    EMAIL = "email", _("e-mail")
    EVENT = "event", _("event")
    NOTE = "note", _("internal note")


# Kinds a contact rhythm can be set for: every kind but the internal note, which is no touch.
CADENCE_KINDS = [kind for kind in ContactKind if kind != ContactKind.NOTE]


class Named(models.Model):
    """A list entry management edits, with a name (and description) in Dutch and English."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_nl = models.CharField(_("name (Dutch)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        abstract = True
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _localised(self, "name")


# --------------------------------------------------------------------------------------------
# Contact log
# --------------------------------------------------------------------------------------------


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
    # The improvement action this contact served. A plain id until the actions app and this
    # one are both in main; then it becomes a foreign key (relations does not import actions).
    action_id = models.PositiveBigIntegerField(_("action"), null=True, blank=True)
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


# --------------------------------------------------------------------------------------------
# Value segments and their contact cadence
# --------------------------------------------------------------------------------------------


class Segment(Named):
    """A value segment: thriving, engaging, draining (management may rename them)."""

    description_nl = models.TextField(_("description (Dutch)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)

    class Meta(Named.Meta):
        verbose_name = _("value segment")
        verbose_name_plural = _("value segments")

    @property
    def description(self) -> str:
        return _localised(self, "description")


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


# --------------------------------------------------------------------------------------------
# Relationship types
# --------------------------------------------------------------------------------------------


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
        return _localised(self, "description")


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


# --------------------------------------------------------------------------------------------
# Departures
# --------------------------------------------------------------------------------------------


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

    def save(self, *args: object, **kwargs: object) -> None:
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


# --------------------------------------------------------------------------------------------
# The weekly e-mail of overdue customers
# --------------------------------------------------------------------------------------------


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
