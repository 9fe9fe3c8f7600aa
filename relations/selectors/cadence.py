"""Reads of the contact cadence: the last contacts, the "To contact" list, the customer page's
rhythms, the customer list's column and the coverage per account manager.

The lists read the stored ``CadenceStatus`` (three dates per customer, see its docstring), so
they filter and sort in the database and read only the page: their cost does not grow with the
number of customers or contacts. The dates themselves are computed from one aggregate query
over the contacts (``last_contacts``) when a contact is logged or a rhythm changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone, translation

from klantbinding.lib.db import chunked
from relations import calculations
from relations.conf import due_within_days
from relations.models import (
    CADENCE_KINDS,
    CadenceStatus,
    CadenceTarget,
    ContactKind,
    ContactMoment,
    CustomerSegment,
    Segment,
)
from scoring.models import Customer
from scoring.roles import is_management
from scoring.selectors import account_manager_choices

PAGE_SIZE = 50
KIND_ORDER = tuple(k.value for k in CADENCE_KINDS)


def last_contacts(customer_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Per customer and logged kind, the local day of the last contact that is a touch (every
    kind but the internal note): one aggregate query (per chunk of ids when ids are given).

    Columns customer_id, kind, last (day numbers of ``date.toordinal()``).
    """
    touches = ContactMoment.objects.exclude(kind=ContactKind.NOTE).order_by()
    chunks: list[Sequence[int] | None] = (
        [None] if customer_ids is None else list(chunked(list(customer_ids)))
    )
    rows: list[tuple[int, str, int]] = []
    zone = timezone.get_current_timezone()
    for chunk in chunks:
        subset = touches if chunk is None else touches.filter(customer_id__in=chunk)
        for customer_id, kind, last in subset.values_list("customer_id", "kind").annotate(
            last=Max("at")
        ):
            rows.append((customer_id, kind, last.astimezone(zone).date().toordinal()))
    return pd.DataFrame(rows, columns=["customer_id", "kind", "last"])


def cadence_targets() -> pd.DataFrame:
    """Every segment's rhythm: columns segment_id, kind, target, maximum."""
    rows = CadenceTarget.objects.values_list("segment_id", "kind", "target_days", "max_days")
    return pd.DataFrame(list(rows), columns=["segment_id", "kind", "target", "maximum"])


def segments_in_force(customer_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """The active customers with a segment: columns customer_id, segment_id."""
    assigned = CustomerSegment.objects.filter(customer__active=True, segment__isnull=False)
    if customer_ids is None:
        rows = list(assigned.values_list("customer_id", "segment_id"))
    else:
        rows = []
        for chunk in chunked(list(customer_ids)):
            rows.extend(
                assigned.filter(customer_id__in=chunk).values_list("customer_id", "segment_id")
            )
    return pd.DataFrame(rows, columns=["customer_id", "segment_id"])


# --------------------------------------------------------------------------------------------
# One customer: its rhythms on the customer page
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rhythm:
    """One contact rhythm of a customer as the customer page shows it."""

    kind: str
    label: str
    target_days: int
    max_days: int
    last_on: date | None
    due_on: date | None  # the target day (None: never contacted, so due now)
    state: str


@dataclass(frozen=True)
class CustomerCadence:
    segment: Segment | None
    rhythms: list[Rhythm]
    state: str | None  # the worst of the rhythms; None without a rhythm


def customer_cadence(customer: Customer, *, today: date | None = None) -> CustomerCadence:
    """The customer's rhythms with their last contact and state (three small queries)."""
    today = today or timezone.localdate()
    assignment = CustomerSegment.objects.filter(customer=customer).select_related("segment").first()
    segment = assignment.segment if assignment else None
    if segment is None or not customer.active:
        return CustomerCadence(segment, [], None)
    targets = list(CadenceTarget.objects.filter(segment=segment))
    lasts = calculations.rhythm_lasts(last_contacts([customer.pk]))
    last_by_kind = dict(zip(lasts["kind"], lasts["last"], strict=True))
    labels = dict(ContactKind.choices)
    window = due_within_days()
    rhythms = []
    for target in sorted(targets, key=lambda t: KIND_ORDER.index(t.kind)):
        ordinal = last_by_kind.get(target.kind)
        last_on = date.fromordinal(int(ordinal)) if ordinal else None
        days = (today - last_on).days if last_on else None
        rhythms.append(
            Rhythm(
                kind=target.kind,
                label=str(labels[target.kind]),
                target_days=target.target_days,
                max_days=target.max_days,
                last_on=last_on,
                due_on=last_on + timedelta(days=target.target_days) if last_on else None,
                state=calculations.cadence_state(days, target.target_days, target.max_days, window),
            )
        )
    return CustomerCadence(segment, rhythms, calculations.worst(r.state for r in rhythms))


# --------------------------------------------------------------------------------------------
# The "To contact" list
# --------------------------------------------------------------------------------------------

STATE_FILTERS = ("due", "overdue", "lost")


def _state_q(state: str, today: date) -> Q:
    """The stored dates' condition for one state on ``today``."""
    if state == calculations.LOST:
        return Q(lost_from__lte=today)
    if state == calculations.OVERDUE:
        return Q(overdue_from__lte=today, lost_from__gt=today)
    if state == calculations.DUE:
        return Q(due_from__lte=today, overdue_from__gt=today)
    return Q(due_from__gt=today)  # ok


def cadence_statuses_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet:
    """The stored rhythms of the active customers this user may see.

    For management the inactive customers are left out by a small NOT IN (few customers are
    inactive) rather than a join with every customer: counting all 10,000 rhythms costs a
    quarter of the join's time.
    """
    if is_management(user):
        inactive = Customer.objects.filter(active=False).values("pk")
        return CadenceStatus.objects.exclude(customer_id__in=inactive)
    if not user.is_authenticated:
        return CadenceStatus.objects.none()
    return CadenceStatus.objects.filter(customer__account_manager_id=user.pk, customer__active=True)


@dataclass(frozen=True)
class ToContactRow:
    customer_id: int
    name: str
    external_id: str
    sector: str
    account_manager: str
    segment: str
    state: str
    kind: str  # the most urgent rhythm's kind, as the user reads it
    kind_code: str
    last_on: date | None
    due_on: date | None  # that rhythm's target day; None when never contacted
    days_late: int | None  # days past the target day (negative: days left); None: never


@dataclass(frozen=True)
class ToContactPage:
    rows: list[ToContactRow]
    number: int  # the page, from 1
    has_previous: bool
    has_next: bool
    today: date
    segments: list[tuple[str, str]]  # the filter's choices: (id, name) in their order
    managers: list[tuple[str, str]]  # likewise for management; [] for an account manager

    @property
    def start(self) -> int:
        """The position of the page's first row in the whole list."""
        return (self.number - 1) * PAGE_SIZE + 1


def _page_number(requested: str | int) -> int:
    text = str(requested)
    if text.isascii() and text.isdigit() and len(text) < 10:
        return max(1, int(text))
    return 1


def to_contact_page(
    *,
    user: AbstractBaseUser | AnonymousUser,
    account_manager_id: int | None = None,
    segment_id: int | None = None,
    state: str = "",
    page: str | int = 1,
    today: date | None = None,
) -> ToContactPage:
    """The customers to contact, most overdue first (thriving before draining when equally
    late), one page of them, with the filters' choices: three queries (four for management)
    whatever the number of customers or contacts.

    The page is read from the index on the overdue day, joined with the customers only:
    segment and account manager names come from the filters' choices. It is not counted:
    counting every customer to contact cost as much as the rest of the page, so the list
    pages on with "next" as long as there are more (the dashboard has the numbers).
    """
    today = today or timezone.localdate()
    management = is_management(user)
    segments = list(Segment.objects.order_by("order", "pk").values_list("pk", "name_nl", "name_en"))
    language = _language()
    segment_names = {pk: (nl if language == "nl" else en) or en for pk, nl, en in segments}
    managers = account_manager_choices() if management else []
    manager_names = {int(pk): name for pk, name in managers}
    if not management and isinstance(user, User):  # a signed-in account manager
        manager_names[user.pk] = user.get_full_name() or user.get_username()
    # A filter value that is not one of the choices filters nothing (as the form shows it).
    if account_manager_id not in manager_names or not management:
        account_manager_id = None
    if segment_id not in segment_names:
        segment_id = None

    statuses = cadence_statuses_visible_to(user).filter(due_from__lte=today)
    if account_manager_id:
        statuses = statuses.filter(customer__account_manager_id=account_manager_id)
    if segment_id:
        statuses = statuses.filter(segment_id=segment_id)
    if state in STATE_FILTERS:
        statuses = statuses.filter(_state_q(state, today))
    ordered = statuses.order_by(
        "overdue_from", "priority", "customer__name", "customer_id"
    ).values_list(
        "customer_id",
        "customer__name",
        "customer__external_id",
        "customer__sector",
        "customer__account_manager_id",
        "segment_id",
        "due_from",
        "overdue_from",
        "lost_from",
        "kind",
        "last_on",
    )
    number = _page_number(page)
    start = (number - 1) * PAGE_SIZE
    fetched = list(ordered[start : start + PAGE_SIZE + 1])  # one more: is there a next page?
    if not fetched and number > 1:  # past the end: back to the first page
        number = 1
        fetched = list(ordered[: PAGE_SIZE + 1])
    labels = dict(ContactKind.choices)
    rows = []
    for (
        customer_id,
        name,
        external_id,
        sector,
        manager_id,
        row_segment,
        due_from,
        overdue_from,
        lost_from,
        kind,
        last_on,
    ) in fetched[:PAGE_SIZE]:
        never = overdue_from == calculations.NEVER
        due_on = None if never else overdue_from - timedelta(days=1)
        rows.append(
            ToContactRow(
                customer_id=customer_id,
                name=name,
                external_id=external_id,
                sector=sector,
                account_manager=manager_names.get(manager_id, ""),
                segment=segment_names.get(row_segment, ""),
                state=calculations.state_on(today, due_from, overdue_from, lost_from),
                kind=str(labels.get(kind, kind)),
                kind_code=kind,
                last_on=last_on,
                due_on=due_on,
                days_late=None if due_on is None else (today - due_on).days,
            )
        )
    return ToContactPage(
        rows=rows,
        number=number,
        has_previous=number > 1,
        has_next=len(fetched) > PAGE_SIZE,
        today=today,
        segments=[(str(pk), segment_names[pk]) for pk, _nl, _en in segments],
        managers=managers,
    )


def _language() -> str:
    return (translation.get_language() or "nl")[:2]


# --------------------------------------------------------------------------------------------
# The customer list's column, the dashboard's coverage
# --------------------------------------------------------------------------------------------


def cadence_states(customer_ids: Sequence[int], *, today: date | None = None) -> dict[int, tuple]:
    """Per listed customer with a rhythm: (state, kind, due day or None). One query."""
    today = today or timezone.localdate()
    rows = CadenceStatus.objects.filter(customer_id__in=list(customer_ids)).values_list(
        "customer_id", "due_from", "overdue_from", "lost_from", "kind"
    )
    result = {}
    for customer_id, due_from, overdue_from, lost_from, kind in rows:
        due_on = None if overdue_from == calculations.NEVER else overdue_from - timedelta(days=1)
        result[customer_id] = (
            calculations.state_on(today, due_from, overdue_from, lost_from),
            kind,
            due_on,
        )
    return result


def customers_in_state(
    customers: QuerySet[Customer], state: str, *, today: date | None = None
) -> QuerySet[Customer]:
    """The customers whose rhythm is in ``state`` today ("to_contact": due or worse)."""
    today = today or timezone.localdate()
    condition = Q(due_from__lte=today) if state == "to_contact" else _state_q(state, today)
    matching = CadenceStatus.objects.filter(condition).values("customer_id")
    return customers.filter(pk__in=matching)


@dataclass(frozen=True)
class CoverageRow:
    account_manager_id: int | None
    name: str
    customers: int  # with a rhythm
    within: int  # not past any target
    share: float | None


@dataclass(frozen=True)
class Coverage:
    rows: list[CoverageRow]
    customers: int
    within: int
    share: float | None


def coverage_per_manager(customers: QuerySet[Customer], *, today: date | None = None) -> Coverage:
    """Per account manager, the share of their customers (in view, with a rhythm) that are
    within target today (ok or due, not overdue nor lost touch). One query."""
    today = today or timezone.localdate()
    rows = (
        CadenceStatus.objects.filter(customer__in=customers.order_by().values("pk"))
        .values(
            "customer__account_manager_id",
            "customer__account_manager__first_name",
            "customer__account_manager__last_name",
            "customer__account_manager__username",
        )
        .annotate(total=Count("pk"), within=Count("pk", filter=Q(overdue_from__gt=today)))
        .order_by(
            "customer__account_manager__first_name",
            "customer__account_manager__last_name",
            "customer__account_manager__username",
        )
    )
    result = []
    for row in rows:
        name = (
            f"{row['customer__account_manager__first_name'] or ''} "
            f"{row['customer__account_manager__last_name'] or ''}"
        ).strip() or (row["customer__account_manager__username"] or "")
        total, within = row["total"], row["within"]
        result.append(
            CoverageRow(
                account_manager_id=row["customer__account_manager_id"],
                name=name,
                customers=total,
                within=within,
                share=100.0 * within / total if total else None,
            )
        )
    customers_total = sum(r.customers for r in result)
    within_total = sum(r.within for r in result)
    return Coverage(
        rows=result,
        customers=customers_total,
        within=within_total,
        share=100.0 * within_total / customers_total if customers_total else None,
    )


def overdue_for(user_id: int, *, today: date | None = None, limit: int | None = None) -> list:
    """An account manager's active customers past a target today, most overdue first."""
    today = today or timezone.localdate()
    rows = (
        CadenceStatus.objects.filter(
            customer__active=True, customer__account_manager_id=user_id, overdue_from__lte=today
        )
        .select_related("customer", "segment")
        .order_by("overdue_from", "priority", "customer__name", "customer_id")
    )
    return list(rows[:limit] if limit else rows)


def managers_with_overdue(*, today: date | None = None) -> list[int]:
    """The ids of the account managers who have at least one active customer past a target."""
    today = today or timezone.localdate()
    return sorted(
        CadenceStatus.objects.filter(
            customer__active=True,
            customer__account_manager__isnull=False,
            customer__account_manager__is_active=True,
            overdue_from__lte=today,
        )
        .order_by()
        .values_list("customer__account_manager_id", flat=True)
        .distinct()
    )
