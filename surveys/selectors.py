"""Reads: who a round asks, what the sweeps pick up, and what the survey pages show.

Every selector that feeds a page runs a fixed number of queries whatever the number of
customers or invitations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest

from scoring.models import Contact, Customer, MarketExpert, RespondentKind
from scoring.roles import is_management
from scoring.selectors import customers_visible_to
from surveys.models import OPEN_STATUSES, Campaign, Invitation, Round
from surveys.tokens import token_hash, token_well_formed

ANSWERED = Invitation.Status.ANSWERED


def campaign_customers(campaign: Campaign) -> QuerySet[Customer]:
    """The active customers a campaign asks about."""
    customers = Customer.objects.filter(active=True)
    if campaign.scope == Campaign.Scope.SECTOR:
        return customers.filter(sector=campaign.sector)
    if campaign.scope == Campaign.Scope.ACCOUNT_MANAGER:
        return customers.filter(account_manager_id=campaign.account_manager_id)
    if campaign.scope == Campaign.Scope.SELECTED:
        return customers.filter(pk__in=campaign.customers.values("pk"))
    return customers


@dataclass(frozen=True)
class Recipient:
    customer_id: int
    kind: str
    email: str
    name: str
    language: str
    user_id: int | None = None
    contact_id: int | None = None
    expert_id: int | None = None


def round_recipients(campaign: Campaign) -> list[Recipient]:
    """One recipient per (customer, e-mail) for the campaign's kinds; opted-out people left out.

    Staff: the customer's account manager. Customers: its contact persons. Experts: those
    linked to the customer or covering its sector. Four queries whatever the portfolio size.
    """
    scope = campaign_customers(campaign)
    customers = list(scope.values_list("id", "sector", "account_manager_id"))
    recipients: list[Recipient] = []
    seen: set[tuple[int, str]] = set()

    def add(recipient: Recipient) -> None:
        key = (recipient.customer_id, recipient.email)
        if recipient.email and key not in seen:
            seen.add(key)
            recipients.append(recipient)

    if campaign.ask_staff:
        manager_ids = {m for _, _, m in customers if m is not None}
        users = {
            pk: (email.strip().lower(), f"{first} {last}".strip() or username)
            for pk, email, first, last, username in get_user_model()
            .objects.filter(pk__in=manager_ids, is_active=True)
            .exclude(email="")
            .values_list("pk", "email", "first_name", "last_name", "username")
        }
        language = settings.LANGUAGE_CODE[:2]
        for customer_id, _, manager_id in customers:
            if manager_id in users:
                email, name = users[manager_id]
                add(
                    Recipient(
                        customer_id, RespondentKind.STAFF, email, name, language, user_id=manager_id
                    )
                )
    if campaign.ask_customers:
        contacts = (
            Contact.objects.filter(customer__in=scope, active=True, opted_out=False)
            .order_by("customer_id", "pk")
            .values_list("pk", "customer_id", "email", "name", "language")
        )
        for pk, customer_id, email, name, language in contacts:
            add(
                Recipient(
                    customer_id,
                    RespondentKind.CUSTOMER,
                    email.strip().lower(),
                    name,
                    language,
                    contact_id=pk,
                )
            )
    if campaign.ask_experts:
        experts = {
            e.pk: e
            for e in MarketExpert.objects.filter(active=True, opted_out=False).order_by("pk")
        }
        linked: dict[int, list[int]] = {}
        for expert_id, customer_id in MarketExpert.customers.through.objects.filter(
            marketexpert_id__in=list(experts), customer__in=scope
        ).values_list("marketexpert_id", "customer_id"):
            linked.setdefault(customer_id, []).append(expert_id)
        by_sector: dict[str, list[int]] = {}
        for expert in experts.values():
            for sector in expert.sectors or []:
                by_sector.setdefault(str(sector), []).append(expert.pk)
        for customer_id, sector, _ in customers:
            for expert_id in [*linked.get(customer_id, []), *by_sector.get(sector, [])]:
                expert = experts[expert_id]
                add(
                    Recipient(
                        customer_id,
                        RespondentKind.EXPERT,
                        expert.email.strip().lower(),
                        expert.name,
                        expert.language,
                        expert_id=expert_id,
                    )
                )
    return recipients


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a personal link's token belongs to (first e-mail or any reminder)."""
    if not token_well_formed(token):
        return None
    hashed = token_hash(token)
    related = ("round__campaign", "customer")
    invitation = Invitation.objects.select_related(*related).filter(token_hash=hashed).first()
    if invitation is None:
        invitation = (
            Invitation.objects.select_related(*related).filter(links__token_hash=hashed).first()
        )
    return invitation


def token_belongs_to(invitation: Invitation, token: str) -> bool:
    """Whether ``token`` is one of the links mailed for this invitation."""
    if not token_well_formed(token):
        return False
    hashed = token_hash(token)
    return invitation.token_hash == hashed or invitation.links.filter(token_hash=hashed).exists()


# --------------------------------------------------------------------------------------------
# What the sweeps pick up
# --------------------------------------------------------------------------------------------


def pending_due_ids(*, now: datetime, requeue_after: timedelta, limit: int) -> list[int]:
    """Pending invitations that should be sent now and are not already waiting in the queue."""
    return list(
        Invitation.objects.filter(
            status=Invitation.Status.PENDING, expires_at__gt=now, round__closed_at__isnull=True
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lte=now - requeue_after))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def reminder_due_ids(*, now: datetime, limit: int, among: list[int] | None = None) -> list[int]:
    """Sent, unanswered invitations whose campaign's reminder is due, under its maximum.

    One query per active campaign with an open round (a handful), whatever the invitations.
    """
    ids: list[int] = []
    campaigns = Campaign.objects.filter(
        rounds__closed_at__isnull=True, rounds__closes_at__gt=now, max_reminders__gt=0
    ).distinct()
    for campaign in campaigns:
        due_before = now - timedelta(days=campaign.reminder_after_days)
        invitations = Invitation.objects.all()
        if among is not None:
            invitations = invitations.filter(pk__in=among)
        ids.extend(
            invitations.filter(
                round__campaign=campaign,
                round__closed_at__isnull=True,
                status=Invitation.Status.SENT,
                expires_at__gt=now,
                reminders_sent__lt=campaign.max_reminders,
            )
            .filter(
                Q(last_reminded_at__isnull=True, sent_at__lte=due_before)
                | Q(last_reminded_at__lte=due_before)
            )
            .order_by("pk")
            .values_list("pk", flat=True)[: max(0, limit - len(ids))]
        )
    return ids


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------


@dataclass
class KindProgress:
    kind: str
    label: str
    invited: int = 0
    sent: int = 0
    answered: int = 0
    failed: int = 0
    pending: int = 0
    expired: int = 0
    opted_out: int = 0

    @property
    def response_rate(self) -> float | None:
        """Answered as a share of the invited, in percent (None when nobody was invited)."""
        return 100.0 * self.answered / self.invited if self.invited else None


@dataclass
class RoundProgress:
    kinds: list[KindProgress] = field(default_factory=list)

    @property
    def total(self) -> KindProgress:
        total = KindProgress(kind="", label="")
        for progress in self.kinds:
            for name in (
                "invited",
                "sent",
                "answered",
                "failed",
                "pending",
                "expired",
                "opted_out",
            ):
                setattr(total, name, getattr(total, name) + getattr(progress, name))
        return total


def _count_filters() -> dict[str, Count]:
    status = Invitation.Status
    return {
        "invited": Count("pk"),
        # "Sent" counts every e-mail that went out, whatever happened after.
        "sent": Count("pk", filter=Q(sent_at__isnull=False)),
        "answered": Count("pk", filter=Q(status=status.ANSWERED)),
        "failed": Count("pk", filter=Q(status=status.FAILED)),
        "pending": Count("pk", filter=Q(status__in=[status.PENDING, status.SENDING])),
        "expired": Count("pk", filter=Q(status=status.EXPIRED)),
        "opted_out": Count("pk", filter=Q(status=status.OPTED_OUT)),
    }


def _progress_from_rows(rows: Sequence[Mapping[str, Any]], kinds: list[str]) -> RoundProgress:
    by_kind = {row["respondent_kind"]: row for row in rows}
    progress = RoundProgress()
    for kind in kinds:
        row = by_kind.get(kind, {})
        progress.kinds.append(
            KindProgress(
                kind=kind,
                label=str(RespondentKind(kind).label),
                **{name: row.get(name, 0) for name in _count_filters()},
            )
        )
    return progress


def round_progress(round_: Round) -> RoundProgress:
    """Invited, sent, answered, failed … per respondent kind of the round. One query."""
    rows = list(
        Invitation.objects.filter(round=round_)
        .order_by()
        .values("respondent_kind")
        .annotate(**_count_filters())
    )
    kinds = round_.campaign.respondent_kinds
    kinds += [r["respondent_kind"] for r in rows if r["respondent_kind"] not in kinds]
    return _progress_from_rows(rows, kinds)


def rounds_progress(round_ids: list[int]) -> dict[int, RoundProgress]:
    """round_progress for many rounds in one query."""
    rows = list(
        Invitation.objects.filter(round_id__in=round_ids)
        .order_by()
        .values("round_id", "respondent_kind")
        .annotate(**_count_filters())
    )
    grouped: dict[int, list[Mapping[str, Any]]] = {rid: [] for rid in round_ids}
    for row in rows:
        grouped[row["round_id"]].append(row)
    result = {}
    for rid, group in grouped.items():
        present = {row["respondent_kind"] for row in group}
        result[rid] = _progress_from_rows(group, [k for k in RespondentKind.values if k in present])
    return result


@dataclass(frozen=True)
class CampaignOverview:
    """A campaign on the campaigns page, with its latest round and how that round stands."""

    campaign: Campaign
    latest_round: Round | None
    progress: RoundProgress | None


def campaigns_overview() -> list[CampaignOverview]:
    """All campaigns, each with its latest round and that round's progress (three queries)."""
    campaigns = list(
        Campaign.objects.select_related("account_manager").annotate(
            latest_round_id=Max("rounds__id"), round_count=Count("rounds")
        )
    )
    round_ids = [c.latest_round_id for c in campaigns if c.latest_round_id]
    rounds = Round.objects.in_bulk(round_ids)
    progress = rounds_progress(round_ids)
    return [
        CampaignOverview(
            campaign=campaign,
            latest_round=rounds.get(campaign.latest_round_id),
            progress=progress.get(campaign.latest_round_id),
        )
        for campaign in campaigns
    ]


@dataclass(frozen=True)
class RoundOverview:
    round: Round
    progress: RoundProgress


def campaign_rounds(campaign: Campaign) -> list[RoundOverview]:
    """The campaign's rounds, newest first, each with its progress (two queries)."""
    rounds = list(campaign.rounds.all())
    progress = rounds_progress([r.pk for r in rounds])
    return [RoundOverview(round=round_, progress=progress[round_.pk]) for round_ in rounds]


def round_failed(round_: Round) -> QuerySet[Invitation]:
    """The round's failed invitations with the reason, for management to resend."""
    return (
        Invitation.objects.filter(round=round_, status=Invitation.Status.FAILED)
        .select_related("customer")
        .order_by("customer__name", "email")
    )


def round_invitations(round_: Round, *, waiting: bool = False) -> QuerySet[Invitation]:
    """Everyone the round asked, with their status; with ``waiting`` only those who have not
    answered yet (and still can), for management to see who to chase."""
    invitations = (
        Invitation.objects.filter(round=round_)
        .select_related("customer")
        .order_by("customer__name", "email", "pk")
    )
    if waiting:
        invitations = invitations.filter(status__in=OPEN_STATUSES)
    return invitations


def invitations_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Invitation]:
    """Invitations about the customers this user may see (an account manager: their own)."""
    return (
        Invitation.objects.filter(customer__in=customers_visible_to(user))
        .select_related("customer", "round__campaign")
        .order_by("-round__opened_at", "customer__name", "respondent_kind", "email")
    )


def customer_invitations(customer: Customer, *, limit: int = 12) -> list[Invitation]:
    """The customer's most recent invitations (any round), newest round first."""
    return list(
        Invitation.objects.filter(customer=customer)
        .select_related("round__campaign")
        .order_by("-round__opened_at", "respondent_kind", "email")[:limit]
    )


def latest_round_rates(customers: QuerySet[Customer]) -> list[dict]:
    """Per respondent kind: the latest round that asked it and its response rate among
    ``customers``. Four queries whatever the number of customers or rounds."""
    latest = {}
    for kind in RespondentKind.values:  # three index lookups, cheaper than one grouped scan
        round_id = Invitation.objects.filter(respondent_kind=kind).aggregate(r=Max("round_id"))["r"]
        if round_id is not None:
            latest[kind] = round_id
    if not latest:
        return []
    rows = (
        Invitation.objects.filter(
            round_id__in=set(latest.values()), customer__in=customers.order_by().values("pk")
        )
        .order_by()
        .values("round_id", "respondent_kind")
        .annotate(
            invited=Count("pk"),
            answered=Count("pk", filter=Q(status=ANSWERED)),
            round_period=Max("round__period"),
            campaign=Max("round__campaign__name"),
        )
    )
    rates = []
    for row in rows:
        if latest.get(row["respondent_kind"]) != row["round_id"]:
            continue
        rates.append(
            {
                "kind": row["respondent_kind"],
                "label": str(RespondentKind(row["respondent_kind"]).label),
                "campaign": row["campaign"],
                "period": row["round_period"],
                "invited": row["invited"],
                "answered": row["answered"],
                "rate": 100.0 * row["answered"] / row["invited"] if row["invited"] else None,
            }
        )
    order = {kind: i for i, kind in enumerate(RespondentKind.values)}
    return sorted(rates, key=lambda r: order[r["kind"]])


def can_see_customer(request: HttpRequest, customer: Customer) -> bool:
    user = request.user
    if is_management(user):
        return True
    return bool(user.is_authenticated and customer.account_manager_id == user.pk)


def open_invitation_statuses() -> tuple[str, ...]:
    return tuple(OPEN_STATUSES)
