"""Writes of campaigns and rounds: saving a campaign, opening a period's round with its
invitations, closing rounds and expiring invitations."""

from __future__ import annotations

import calendar
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from klantbinding.lib import dates, db
from scoring.models import Customer
from surveys import selectors
from surveys.models import OPEN_STATUSES, Campaign, Invitation, Round
from surveys.services.outbox import enqueue_round

logger = logging.getLogger(__name__)

Status = Invitation.Status


def campaign_save(*, campaign: Campaign, customers: Sequence[Customer] = ()) -> Campaign:
    """Store a campaign checked by CampaignForm, with its hand-picked customers."""
    with transaction.atomic():
        campaign.save()
        selected = campaign.scope == Campaign.Scope.SELECTED
        campaign.customers.set(list(customers) if selected else [])
    return campaign


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_start(campaign: Campaign, today: date) -> date | None:
    """The start of the campaign's period that ``today`` falls in (None before its start)."""
    if today < campaign.starts_on:
        return None
    months = (today.year - campaign.starts_on.year) * 12 + today.month - campaign.starts_on.month
    k = months // campaign.cadence_months
    start = add_months(campaign.starts_on, k * campaign.cadence_months)
    while start > today:
        k -= 1
        start = add_months(campaign.starts_on, k * campaign.cadence_months)
    return start


@dataclass
class OpenedRound:
    round: Round
    created: bool
    invited: int = 0


def round_open(
    *,
    campaign: Campaign,
    period: date | None = None,
    now: datetime | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
) -> OpenedRound:
    """Open the campaign's round for ``period`` (default: the current one) and queue its mail.

    One invitation per (customer, recipient e-mail). Opening a period that is already open
    returns the existing round and writes nothing. After commit one task is queued that queues
    the round's send tasks; with the broker away the round still opens and the sweep sends
    later.
    """
    now = now or timezone.now()
    if period is None:
        period = period_start(campaign, timezone.localdate(now))
        if period is None:
            raise ValidationError(
                _("This campaign starts on %(date)s; no round can open before that.")
                % {"date": dates.long_day(campaign.starts_on)}
            )
    existing = Round.objects.filter(campaign=campaign, period=period).first()
    if existing is not None:
        return OpenedRound(existing, created=False)
    recipients = selectors.round_recipients(campaign)
    closes_at = now + timedelta(days=campaign.expires_after_days)
    try:
        with transaction.atomic():
            round_ = Round.objects.create(
                campaign=campaign,
                period=period,
                opened_at=now,
                closes_at=closes_at,
                opened_by=cast("User", user) if getattr(user, "pk", None) else None,
            )
            invited = invitations_insert(round_=round_, recipients=recipients, now=now)
            transaction.on_commit(lambda: enqueue_round(round_.pk))
    except IntegrityError:
        # Another process opened the same period at the same moment: theirs stands.
        existing = Round.objects.filter(campaign=campaign, period=period).first()
        if existing is None:
            raise
        return OpenedRound(existing, created=False)
    return OpenedRound(round_, created=True, invited=invited)


_INVITATION_COLUMNS = (
    "round_id",
    "customer_id",
    "respondent_kind",
    "user_id",
    "contact_id",
    "expert_id",
    "email",
    "name",
    "language",
    "public_id",
    "token_hash",
    "status",
    "created_at",
    "expires_at",
    "reminders_sent",
    "attempts",
    "last_error",
)


def invitations_insert(
    *, round_: Round, recipients: Sequence[selectors.Recipient], now: datetime
) -> int:
    """Write the round's pending invitations in bulk (``rows_insert``), in the caller's
    transaction: the ORM's bulk_create spends seconds building 20,000 model objects."""
    rows = [
        (
            round_.pk,
            r.customer_id,
            r.kind,
            r.user_id,
            r.contact_id,
            r.expert_id,
            r.email,
            r.name[:200],
            r.language if r.language in ("nl", "en") else "nl",
            uuid.uuid4(),
            "",
            Status.PENDING.value,
            now,
            round_.closes_at,
            0,
            0,
            "",
        )
        for r in recipients
    ]
    db.rows_insert(Invitation._meta.db_table, _INVITATION_COLUMNS, rows)
    return len(rows)


def rounds_open_due(*, now: datetime | None = None) -> list[OpenedRound]:
    """Open the current period's round of every active campaign that has none yet."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    opened = []
    for campaign in Campaign.objects.filter(active=True, starts_on__lte=today):
        period = period_start(campaign, today)
        if period is None or campaign.rounds.filter(period=period).exists():
            continue
        result = round_open(campaign=campaign, period=period, now=now)
        if result.created:
            logger.info("Opened round %s with %d invitations", result.round, result.invited)
            opened.append(result)
    return opened


def round_close(*, round_: Round, now: datetime | None = None) -> int:
    """Close a round early: its open invitations expire and their links stop working."""
    now = now or timezone.now()
    with transaction.atomic():
        Round.objects.filter(pk=round_.pk, closed_at__isnull=True).update(closed_at=now)
        expired = Invitation.objects.filter(round=round_, status__in=OPEN_STATUSES).update(
            status=Status.EXPIRED, expires_at=now
        )
    round_.refresh_from_db()
    return expired


def invitations_expire(*, now: datetime | None = None) -> int:
    """Expire unanswered invitations past their date and close rounds past theirs."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = Invitation.objects.filter(status__in=OPEN_STATUSES, expires_at__lte=now).update(
            status=Status.EXPIRED
        )
        Round.objects.filter(closed_at__isnull=True, closes_at__lte=now).update(
            closed_at=F("closes_at")
        )
    return expired
