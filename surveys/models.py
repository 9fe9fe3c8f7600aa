"""Campaigns ask respondents about customers; each period opens a round of invitations.

The invitation table is the outbox: a row is created pending and a sender claims it with a
conditional UPDATE before the e-mail goes out, so a recipient never gets the same invitation
twice (unless a worker dies mid-send: then the e-mails in flight go out once more, with the same
link), and whatever was not sent is found again by the next sweep.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from scoring.models import Contact, Customer, Language, MarketExpert, RespondentKind


class Campaign(models.Model):
    """Who is asked about which customers, how often, with how many reminders."""

    class Scope(models.TextChoices):
        ALL = "all", _("all active customers")
        SECTOR = "sector", _("the active customers of one sector")
        ACCOUNT_MANAGER = "account_manager", _("one account manager's active customers")
        SELECTED = "selected", _("a hand-picked list of customers")

    name = models.CharField(_("name"), max_length=200)
    ask_staff = models.BooleanField(
        _("ask staff"), default=False, help_text=_("The account manager, in the matrix.")
    )
    ask_customers = models.BooleanField(
        _("ask customers"), default=False, help_text=_("The customer's contact persons.")
    )
    ask_experts = models.BooleanField(
        _("ask market experts"),
        default=False,
        help_text=_("Experts linked to the customer or covering its sector."),
    )
    scope = models.CharField(
        _("customers"), max_length=20, choices=Scope.choices, default=Scope.ALL
    )
    sector = models.CharField(_("sector"), max_length=100, blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    customers = models.ManyToManyField(
        Customer, verbose_name=_("hand-picked customers"), blank=True, related_name="+"
    )
    starts_on = models.DateField(
        _("first round on"), help_text=_("Rounds open on this date and every cadence after it.")
    )
    cadence_months = models.PositiveSmallIntegerField(
        _("cadence in months"), default=3, validators=[MinValueValidator(1), MaxValueValidator(36)]
    )
    reminder_after_days = models.PositiveSmallIntegerField(
        _("reminder after (days)"), default=7, validators=[MinValueValidator(1)]
    )
    max_reminders = models.PositiveSmallIntegerField(
        _("at most this many reminders"), default=2, validators=[MaxValueValidator(10)]
    )
    expires_after_days = models.PositiveSmallIntegerField(
        _("invitation expires after (days)"),
        default=21,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    ask_nps = models.BooleanField(
        _("ask customers the recommendation question (NPS)"), default=True
    )
    # The element codes asked, e.g. a measurement after an improvement action; empty: all.
    element_codes = models.JSONField(_("elements asked"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ask_staff=True) | Q(ask_customers=True) | Q(ask_experts=True),
                name="campaign_asks_someone",
            ),
            models.CheckConstraint(
                condition=Q(scope__in=["all", "sector", "account_manager", "selected"]),
                name="campaign_scope_valid",
            ),
            models.CheckConstraint(
                condition=~Q(scope="sector") | ~Q(sector=""),
                name="campaign_sector_scope_has_sector",
            ),
            models.CheckConstraint(
                condition=~Q(scope="account_manager") | Q(account_manager__isnull=False),
                name="campaign_manager_scope_has_manager",
            ),
            models.CheckConstraint(condition=Q(cadence_months__gte=1), name="campaign_cadence_1"),
            models.CheckConstraint(
                condition=Q(reminder_after_days__gte=1), name="campaign_reminder_after_1"
            ),
            models.CheckConstraint(
                condition=Q(expires_after_days__gte=1), name="campaign_expires_after_1"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("surveys:campaign-detail", kwargs={"pk": self.pk})

    @property
    def respondent_kinds(self) -> list[str]:
        asked = {
            RespondentKind.STAFF: self.ask_staff,
            RespondentKind.CUSTOMER: self.ask_customers,
            RespondentKind.EXPERT: self.ask_experts,
        }
        return [kind.value for kind, ask in asked.items() if ask]


class Round(models.Model):
    """One period of a campaign: the invitations that went out together."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="rounds"
    )
    period = models.DateField(_("period"), help_text=_("The first day of the round's period."))
    opened_at = models.DateTimeField(_("opened"))
    closes_at = models.DateTimeField(_("closes"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "period"], name="round_once_per_period"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opened_at")), name="round_closes_after_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.period:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("surveys:round-detail", kwargs={"pk": self.pk})


class Invitation(models.Model):
    """One respondent asked about one customer in one round."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        ANSWERED = "answered", _("answered")
        EXPIRED = "expired", _("expired")
        FAILED = "failed", _("failed")
        OPTED_OUT = "opted_out", _("opted out")

    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="invitations"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    respondent_kind = models.CharField(
        _("respondent kind"), max_length=10, choices=RespondentKind.choices
    )
    # Exactly one of these says who the recipient is (staff: user; customer: contact; expert).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="survey_invitations",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact person"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    expert = models.ForeignKey(
        MarketExpert,
        verbose_name=_("market expert"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    email = models.EmailField(_("e-mail"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.DUTCH
    )
    # Names the invitation in the answer page's URL; not a secret (the token is).
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # SHA-256 of the personal link's token. The token itself is only ever in the e-mail.
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    # When a send task for it was last handed to the broker; the sweep leaves it alone a while.
    queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The send task that claimed it (one claim per batch), to sort out a worker that died.
    claim_id = models.UUIDField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminded_at = models.DateTimeField(_("last reminder"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    assessment = models.ForeignKey(
        "scoring.Assessment",
        verbose_name=_("assessment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["round", "customer", "respondent_kind", "email"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "customer", "email"], name="invitation_once_per_recipient"
            ),
            models.UniqueConstraint(
                fields=["token_hash"], condition=~Q(token_hash=""), name="invitation_token_unique"
            ),
            models.CheckConstraint(
                condition=Q(respondent_kind__in=["staff", "customer", "expert"]),
                name="invitation_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "pending",
                        "sending",
                        "sent",
                        "answered",
                        "expired",
                        "failed",
                        "opted_out",
                    ]
                ),
                name="invitation_status_valid",
            ),
            models.CheckConstraint(
                condition=(
                    Q(respondent_kind="staff", user__isnull=False)
                    | Q(respondent_kind="customer", contact__isnull=False)
                    | Q(respondent_kind="expert", expert__isnull=False)
                ),
                name="invitation_recipient_matches_kind",
            ),
            models.CheckConstraint(
                condition=~Q(status="answered") | Q(answered_at__isnull=False),
                name="invitation_answered_has_time",
            ),
        ]
        indexes = [
            # The sweeps: pending rows due for a try, sent rows due for a reminder or expiry.
            models.Index(fields=["status", "next_attempt_at"], name="invitation_outbox_idx"),
            models.Index(fields=["status", "expires_at"], name="invitation_expiry_idx"),
            models.Index(fields=["customer", "round"], name="invitation_customer_idx"),
            models.Index(
                fields=["round", "respondent_kind", "status"], name="invitation_round_idx"
            ),
            models.Index(fields=["respondent_kind", "round"], name="invitation_kind_round_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.email} · {self.customer_id} · {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


OPEN_STATUSES = (Invitation.Status.PENDING, Invitation.Status.SENDING, Invitation.Status.SENT)


class InvitationLink(models.Model):
    """A personal link sent in a reminder. Earlier links keep working: all lead to one invitation.

    The first e-mail's token hash is on the invitation itself (that token is derived, the same
    on every try: surveys/tokens.py); each reminder carries a fresh random token whose hash
    lives here, as does the hash of a first e-mail's token drawn at random before links were
    derived.
    """

    invitation = models.ForeignKey(
        Invitation, on_delete=models.CASCADE, related_name="links", verbose_name=_("invitation")
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reminder link")
        verbose_name_plural = _("reminder links")

    def __str__(self) -> str:
        return f"link {self.pk} → {self.invitation_id}"
