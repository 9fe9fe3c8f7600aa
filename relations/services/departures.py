"""Writes of departures: recording one (a full departure makes the customer inactive), the
three sets of reasons (each saved once and then locked), and the exit survey link."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from relations.conf import exit_survey_days, exit_survey_max_attempts
from relations.models import (
    CadenceStatus,
    CustomerSegment,
    Departure,
    DepartureReason,
    ExitSurvey,
    Perspective,
    ReasonSet,
)
from relations.selectors.departures import perspective_of
from relations.services.mail import exit_survey_message
from relations.tokens import token_new
from scoring.models import Contact, Customer
from scoring.roles import is_management

logger = logging.getLogger(__name__)
NOTE_MAX = 2000


def _check_facts(
    *,
    kind: str,
    decided_on: date | None,
    left_on: date | None,
    revenue_lost: Decimal | None,
    today: date,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in Departure.Kind.values:
        errors["kind"] = [_("Choose how the customer left.")]
    if decided_on is None:
        errors["decided_on"] = [_("Say when the customer decided to leave.")]
    elif decided_on > today:
        errors["decided_on"] = [_("This date lies in the future.")]
    if left_on is None:
        errors["left_on"] = [_("Say when the customer left.")]
    elif left_on > today:
        errors["left_on"] = [_("This date lies in the future.")]
    if decided_on and left_on and decided_on > left_on:
        errors["decided_on"] = [_("The customer decided before (or on the day) it left.")]
    if revenue_lost is not None and revenue_lost < 0:
        errors["revenue_lost"] = [_("Revenue lost cannot be negative.")]
    return errors


def departure_record(
    *,
    customer: Customer,
    kind: str,
    decided_on: date,
    left_on: date,
    revenue_lost: Decimal | None = None,
    competitor: str = "",
    notes: str = "",
    user: User,
    now: datetime | None = None,
) -> Departure:
    """Record that a customer left (management). A full departure makes the customer
    inactive: no surveys, out of the active portfolio and its contact rhythm; history stays."""
    now = now or timezone.now()
    if not is_management(user):
        raise ValidationError(_("Departures are recorded by management."))
    errors = _check_facts(
        kind=kind,
        decided_on=decided_on,
        left_on=left_on,
        revenue_lost=revenue_lost,
        today=timezone.localdate(now),
    )
    if kind == Departure.Kind.FULL and not customer.active:
        errors.setdefault("kind", []).append(_("This customer is already inactive."))
    if errors:
        raise ValidationError(errors)
    segment_id = (
        CustomerSegment.objects.filter(customer=customer)
        .values_list("segment_id", flat=True)
        .first()
    )
    with transaction.atomic():
        departure = Departure.objects.create(
            customer=customer,
            kind=kind,
            decided_on=decided_on,
            left_on=left_on,
            revenue_lost=revenue_lost or Decimal(0),
            competitor=(competitor or "").strip(),
            notes=(notes or "").strip(),
            segment_id=segment_id,
            account_manager_id=customer.account_manager_id,
            recorded_by=user,
        )
        if kind == Departure.Kind.FULL:
            Customer.objects.filter(pk=customer.pk).update(active=False)
            CadenceStatus.objects.filter(customer=customer).delete()
            customer.active = False
    return departure


def departure_update(
    *,
    departure: Departure,
    decided_on: date,
    left_on: date,
    revenue_lost: Decimal | None,
    competitor: str = "",
    notes: str = "",
    user: User,
) -> Departure:
    """Correct the facts of a departure (management); its kind and reasons stay as they are."""
    if not is_management(user):
        raise ValidationError(_("Departures are recorded by management."))
    errors = _check_facts(
        kind=departure.kind,
        decided_on=decided_on,
        left_on=left_on,
        revenue_lost=revenue_lost,
        today=timezone.localdate(),
    )
    if errors:
        raise ValidationError(errors)
    departure.decided_on = decided_on
    departure.left_on = left_on
    departure.revenue_lost = revenue_lost or Decimal(0)
    departure.competitor = (competitor or "").strip()
    departure.notes = (notes or "").strip()
    departure.save(update_fields=["decided_on", "left_on", "revenue_lost", "competitor", "notes"])
    return departure


def _clean_reasons(codes: Sequence[str], note: str) -> tuple[list[str], str]:
    """The chosen reasons in the list's order; a reason that needs a note gets one."""
    note = (note or "").strip()
    chosen = list(dict.fromkeys(codes))
    reasons = {r.code: r for r in DepartureReason.objects.filter(code__in=chosen, active=True)}
    errors: dict[str, list[str]] = {}
    if not chosen:
        errors["reasons"] = [_("Choose at least one reason.")]
    elif len(reasons) != len(chosen):
        errors["reasons"] = [_("Choose reasons from the list.")]
    if any(r.needs_note for r in reasons.values()) and not note:
        names = ", ".join(r.name for r in reasons.values() if r.needs_note)
        errors["note"] = [_("“%(reason)s” needs a note: what was it?") % {"reason": names}]
    if len(note) > NOTE_MAX:
        errors["note"] = [
            _("The note is too long: at most %(limit)d characters.") % {"limit": NOTE_MAX}
        ]
    if errors:
        raise ValidationError(errors)
    order = {r.code: (r.order, r.pk) for r in reasons.values()}
    return sorted(chosen, key=lambda code: order[code]), note


def reasons_record(
    *,
    departure: Departure,
    perspective: str,
    reasons: Sequence[str],
    note: str = "",
    user: User | None,
    source: str | None = None,
    now: datetime | None = None,
) -> ReasonSet:
    """Save one perspective's reasons for a departure, once: a saved set is locked.

    A belief is recorded by its own side (the customer's account manager, or management). The
    stated reasons come from an exit survey (no user) or, from an exit interview, from a
    management user who has recorded management's belief first.
    """
    now = now or timezone.now()
    if perspective not in Perspective.values:
        raise ValidationError(_("Unknown perspective."))
    if perspective == Perspective.STATED:
        if user is not None:
            if not is_management(user):
                raise ValidationError(_("The stated reasons are recorded by management."))
            if not ReasonSet.objects.filter(
                departure=departure, perspective=Perspective.MANAGEMENT
            ).exists():
                raise ValidationError(
                    _("Record management's own belief first: then the stated reasons.")
                )
        source = source or ReasonSet.Source.INTERVIEW
    else:
        if user is None or perspective_of(user, departure) != perspective:
            raise ValidationError(_("Only that side records its own belief."))
        source = source or ReasonSet.Source.BELIEF
    codes, note = _clean_reasons(reasons, note)
    try:
        with transaction.atomic():
            reason_set = ReasonSet.objects.create(
                departure=departure,
                perspective=perspective,
                reasons=codes,
                note=note,
                source=source,
                recorded_by=user,
                recorded_at=now,
            )
            if perspective == Perspective.STATED:
                ExitSurvey.objects.filter(departure=departure).exclude(
                    status=ExitSurvey.Status.ANSWERED
                ).update(expires_at=now)
    except IntegrityError as error:
        raise ValidationError(
            _("These reasons were already recorded; a saved set cannot be changed.")
        ) from error
    return reason_set


# --------------------------------------------------------------------------------------------
# The exit survey
# --------------------------------------------------------------------------------------------


def exit_survey_create(
    *,
    departure: Departure,
    contact: Contact | None = None,
    email: str = "",
    name: str = "",
    language: str = "nl",
    user: User,
    now: datetime | None = None,
) -> ExitSurvey:
    """Ask a contact person of the departed customer why it left, through a personal link
    e-mailed after commit (the row is the outbox)."""
    from relations import tasks

    now = now or timezone.now()
    if not is_management(user):
        raise ValidationError(_("Exit surveys are sent by management."))
    if ReasonSet.objects.filter(departure=departure, perspective=Perspective.STATED).exists():
        raise ValidationError(_("The customer's reasons are recorded already."))
    if contact is not None:
        if contact.customer_id != departure.customer_id:
            raise ValidationError({"contact": [_("Choose a contact person of this customer.")]})
        email, name, language = contact.email, contact.name, contact.language
    if not email:
        raise ValidationError({"contact": [_("Choose whom to ask.")]})
    with transaction.atomic():
        survey = ExitSurvey.objects.create(
            departure=departure,
            email=email.strip().lower(),
            name=name,
            language=language if language in ("nl", "en") else "nl",
            expires_at=now + timedelta(days=exit_survey_days()),
            created_by=user,
        )
        transaction.on_commit(lambda: tasks.exit_survey_send.delay(survey.pk))
    return survey


def exit_survey_send(*, survey_id: int, now: datetime | None = None) -> bool:
    """Send one exit survey e-mail, claimed first so it goes out once; True when sent.

    A temporary SMTP failure puts it back to pending (the sweep tries again) until the
    attempts run out; a permanent refusal fails it at once.
    """
    now = now or timezone.now()
    token, hashed = token_new()
    claimed = ExitSurvey.objects.filter(
        pk=survey_id, status=ExitSurvey.Status.PENDING, expires_at__gt=now
    ).update(status=ExitSurvey.Status.SENDING, token_hash=hashed, attempts=F("attempts") + 1)
    if claimed != 1:
        return False
    survey = ExitSurvey.objects.select_related("departure__customer__account_manager").get(
        pk=survey_id
    )
    try:
        exit_survey_message(survey, token=token).send()
    except (smtplib.SMTPException, OSError) as error:
        permanent = isinstance(error, smtplib.SMTPRecipientsRefused) and all(
            code >= 500 for code, _msg in error.recipients.values()
        )
        exhausted = survey.attempts >= exit_survey_max_attempts()
        status = ExitSurvey.Status.FAILED if permanent or exhausted else ExitSurvey.Status.PENDING
        ExitSurvey.objects.filter(pk=survey_id).update(
            status=status, token_hash=None, last_error=str(error)[:500]
        )
        logger.warning("Exit survey %s not sent: %s", survey_id, error)
        return False
    ExitSurvey.objects.filter(pk=survey_id).update(
        status=ExitSurvey.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def exit_surveys_sweep(*, now: datetime | None = None) -> int:
    """Queue the exit surveys still waiting to be sent (broker or SMTP trouble earlier)."""
    from relations import tasks

    now = now or timezone.now()
    pending = list(
        ExitSurvey.objects.filter(status=ExitSurvey.Status.PENDING, expires_at__gt=now).values_list(
            "pk", flat=True
        )[:500]
    )
    for pk in pending:
        tasks.exit_survey_send.delay(pk)
    return len(pending)


def exit_survey_open_for(survey: ExitSurvey, now: datetime | None = None) -> bool:
    """Whether the survey's link can still be answered."""
    now = now or timezone.now()
    return (
        survey.status in (ExitSurvey.Status.SENT, ExitSurvey.Status.SENDING)
        and survey.expires_at > now
        and not ReasonSet.objects.filter(
            departure_id=survey.departure_id, perspective=Perspective.STATED
        ).exists()
    )


def exit_survey_answer(
    *, survey: ExitSurvey, reasons: Sequence[str], note: str = "", now: datetime | None = None
) -> ReasonSet:
    """The contact person's answer: the departure's stated reasons, saved once."""
    now = now or timezone.now()
    if not exit_survey_open_for(survey, now):
        raise ValidationError(_("This link is closed: the reasons were recorded already."))
    with transaction.atomic():
        reason_set = reasons_record(
            departure=survey.departure,
            perspective=Perspective.STATED,
            reasons=reasons,
            note=note,
            user=None,
            source=ReasonSet.Source.EXIT_SURVEY,
            now=now,
        )
        ExitSurvey.objects.filter(pk=survey.pk).update(
            status=ExitSurvey.Status.ANSWERED, answered_at=now
        )
    return reason_set


__all__ = [
    "departure_record",
    "departure_update",
    "exit_survey_answer",
    "exit_survey_create",
    "exit_survey_open_for",
    "exit_survey_send",
    "exit_surveys_sweep",
    "reasons_record",
]
