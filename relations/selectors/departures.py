"""Reads of departures: who may see which reasons, the list, and the "why they leave" view.

No anchoring: until a user has recorded the belief of their own perspective (the customer's
account manager, or management) on a departure, they see none of its other sets of reasons,
not the stated ones and not the other belief.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from relations import calculations
from relations.models import Departure, DepartureReason, ExitSurvey, Perspective, ReasonSet
from scoring.models import Element, ScoreSnapshot, details_lists
from scoring.roles import is_management
from scoring.selectors import scoring_model_active


def departures_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Departure]:
    """Every departure for management; those of their own customers for an account manager."""
    departures = Departure.objects.select_related("customer", "segment", "account_manager")
    if is_management(user):
        return departures
    if not user.is_authenticated:
        return departures.none()
    return departures.filter(customer__account_manager_id=user.pk)


def perspective_of(user: AbstractBaseUser | AnonymousUser, departure: Departure) -> str | None:
    """The belief this user records on the departure: management's, or the customer's account
    manager's; None for anyone else."""
    if is_management(user):
        return Perspective.MANAGEMENT
    if user.is_authenticated and departure.customer.account_manager_id == user.pk:
        return Perspective.ACCOUNT_MANAGER
    return None


def visible_departure(user: AbstractBaseUser | AnonymousUser, pk: int) -> Departure:
    departure = departures_visible_to(user).filter(pk=pk).first()
    if departure is None:
        raise Http404
    return departure


def reason_names() -> dict[str, DepartureReason]:
    return {r.code: r for r in DepartureReason.objects.order_by("order", "pk")}


@dataclass(frozen=True)
class ShownSet:
    perspective: str
    label: str
    reasons: list[str]  # names
    note: str
    source: str
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class DepartureView:
    departure: Departure
    perspective: str | None  # the user's own
    own_recorded: bool
    sets: list[ShownSet]  # what the user may see, in the order stated, AM, management
    recorded: set[str]  # which perspectives are recorded (shown or not)
    exit_surveys: list[ExitSurvey] = field(default_factory=list)


def departure_view(user: AbstractBaseUser | AnonymousUser, departure: Departure) -> DepartureView:
    """The departure with the sets of reasons this user may see (two or three queries)."""
    perspective = perspective_of(user, departure)
    sets = {
        s.perspective: s
        for s in ReasonSet.objects.filter(departure=departure).select_related("recorded_by")
    }
    own_recorded = perspective is not None and perspective in sets
    names = reason_names()
    shown = []
    if own_recorded:
        labels = dict(Perspective.choices)
        for key in (Perspective.STATED, Perspective.ACCOUNT_MANAGER, Perspective.MANAGEMENT):
            reason_set = sets.get(key)
            if reason_set is None:
                continue
            who = ""
            if reason_set.recorded_by:
                who = reason_set.recorded_by.get_full_name() or reason_set.recorded_by.username
            shown.append(
                ShownSet(
                    perspective=key,
                    label=str(labels[key]),
                    reasons=[names[c].name if c in names else c for c in reason_set.reasons],
                    note=reason_set.note,
                    source=reason_set.get_source_display(),
                    recorded_by=who,
                    recorded_at=reason_set.recorded_at,
                )
            )
    surveys = []
    if is_management(user):
        surveys = list(ExitSurvey.objects.filter(departure=departure).order_by("-created_at"))
    return DepartureView(departure, perspective, own_recorded, shown, set(sets), surveys)


@dataclass(frozen=True)
class DepartureRow:
    departure: Departure
    recorded: set[str]
    needs_my_belief: bool


def departure_list(user: AbstractBaseUser | AnonymousUser) -> list[DepartureRow]:
    """The departures this user may see, newest first, with which sets are recorded."""
    departures = departures_visible_to(user).annotate(
        **{
            f"has_{p}": Exists(ReasonSet.objects.filter(departure=OuterRef("pk"), perspective=p))
            for p in Perspective.values
        }
    )
    rows = []
    for departure in departures.order_by("-left_on", "-pk")[:500]:
        recorded = {p for p in Perspective.values if getattr(departure, f"has_{p}")}
        mine = perspective_of(user, departure)
        rows.append(DepartureRow(departure, recorded, mine is not None and mine not in recorded))
    return rows


# --------------------------------------------------------------------------------------------
# Why they leave
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhyFilters:
    start: date | None = None
    end: date | None = None
    segment_id: int | None = None
    account_manager_id: int | None = None
    believed: str = Perspective.MANAGEMENT  # whose belief the matrix compares with


@dataclass(frozen=True)
class ReasonEvidence:
    """A stated reason next to the scores its element had before the customer left."""

    reason: str
    element: str  # the element's name, "" when the reason maps to none
    staff: float | None
    customer: float | None
    expert: float | None


@dataclass(frozen=True)
class DepartedCustomer:
    departure: Departure
    stated: list[str]
    account_manager: list[str]
    management: list[str]
    evidence: list[ReasonEvidence]
    scored_at: datetime | None


@dataclass(frozen=True)
class WhyTheyLeave:
    departures: int  # in the filters, with stated reasons and management's belief
    waiting: int  # in the filters, with stated reasons but no management belief yet
    codes: list[str]
    names: dict[str, str]
    matrix: list[dict]  # per stated reason: its name and counts per believed reason
    agreement: dict[str, float | None]  # per believing perspective
    gaps: list[dict]
    customers: list[DepartedCustomer]


def why_they_leave(filters: WhyFilters) -> WhyTheyLeave:
    """Stated against believed reasons over the departures in the filters.

    Only departures whose management belief is recorded are shown, so management reads no
    stated reason before giving its own. A fixed number of queries.
    """
    departures = Departure.objects.select_related("customer", "segment")
    if filters.start:
        departures = departures.filter(left_on__gte=filters.start)
    if filters.end:
        departures = departures.filter(left_on__lte=filters.end)
    if filters.segment_id:
        departures = departures.filter(segment_id=filters.segment_id)
    if filters.account_manager_id:
        departures = departures.filter(account_manager_id=filters.account_manager_id)
    listed = list(departures.order_by("-left_on", "-pk"))
    sets: dict[int, dict[str, list[str]]] = {}
    for departure_id, perspective, reasons in ReasonSet.objects.filter(
        departure__in=[d.pk for d in listed]
    ).values_list("departure_id", "perspective", "reasons"):
        sets.setdefault(departure_id, {})[perspective] = list(reasons)
    with_stated = [d for d in listed if Perspective.STATED in sets.get(d.pk, {})]
    shown = [d for d in with_stated if Perspective.MANAGEMENT in sets[d.pk]]
    reasons = reason_names()
    codes = list(reasons)
    for d in shown:  # reasons no longer in the list still count
        for reason_list in sets[d.pk].values():
            codes.extend(c for c in reason_list if c not in codes)
    names = {c: (reasons[c].name if c in reasons else c) for c in codes}

    def pairs(perspective: str) -> list[tuple[list[str], list[str]]]:
        return [
            (sets[d.pk][Perspective.STATED], sets[d.pk][perspective])
            for d in shown
            if perspective in sets[d.pk]
        ]

    believed = filters.believed
    if believed not in (Perspective.MANAGEMENT, Perspective.ACCOUNT_MANAGER):
        believed = Perspective.MANAGEMENT
    compared = pairs(believed)
    matrix = calculations.reason_matrix(compared, codes)
    used = [c for c in codes if matrix.loc[c].sum() or matrix[c].sum()]
    gaps = calculations.reason_gaps(compared, codes)
    customers = _departed_customers(shown, sets, reasons, names)
    return WhyTheyLeave(
        departures=len(shown),
        waiting=len(with_stated) - len(shown),
        codes=used,
        names=names,
        matrix=[
            {"code": c, "name": names[c], "cells": [int(matrix.loc[c, b]) for b in used]}
            for c in used
        ],
        agreement={
            p: calculations.agreement_share(pairs(p))
            for p in (Perspective.ACCOUNT_MANAGER, Perspective.MANAGEMENT)
        },
        gaps=[
            {
                "code": code,
                "name": names[code],
                "stated": row.stated,
                "believed": row.believed,
                "gap": row.gap,
            }
            for code, row in gaps.iterrows()
            if row.stated or row.believed
        ],
        customers=customers,
    )


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _departed_customers(
    departures: Sequence[Departure],
    sets: dict[int, dict[str, list[str]]],
    reasons: dict[str, DepartureReason],
    names: dict[str, str],
) -> list[DepartedCustomer]:
    """Per departure, the reasons of the three perspectives and, per stated reason with an
    element, that element's mean per respondent kind in the customer's last stored score
    before it left. Three queries for all of them."""
    if not departures:
        return []
    snapshots: dict[int, list[ScoreSnapshot]] = {}
    for stored in ScoreSnapshot.objects.filter(
        customer_id__in={d.customer_id for d in departures}
    ).order_by("customer_id", "computed_at", "pk"):
        snapshots.setdefault(stored.customer_id, []).append(stored)
    codes_of: dict[int, list[str]] = {}
    for model_id, code in (
        Element.objects.filter(
            scoring_model_id__in={s.scoring_model_id for rows in snapshots.values() for s in rows}
        )
        .order_by("scoring_model_id", "order", "pk")
        .values_list("scoring_model_id", "code")
    ):
        codes_of.setdefault(model_id, []).append(code)
    element_names = {e.code: e.name for e in scoring_model_active().elements.all()}
    result = []
    for departure in departures:
        cutoff = _end_of(departure.left_on)
        # The newest stored score that holds no assessment made after the customer left
        # (computed when it was, or later by a refresh or a new scoring model).
        before = [
            s
            for s in snapshots.get(departure.customer_id, [])
            if s.last_assessed_at is not None and s.last_assessed_at < cutoff
        ]
        snapshot = before[-1] if before else None
        means: dict[str, dict[str, float | None]] = {}
        if snapshot is not None:
            codes = codes_of.get(snapshot.scoring_model_id, [])
            blocks = details_lists(snapshot.details, len(codes))
            means = {
                kind: dict(zip(codes, blocks[kind], strict=True))
                for kind in ("staff", "customer", "expert")
            }
        stated = sets[departure.pk].get(Perspective.STATED, [])
        evidence = []
        for code in stated:
            reason = reasons.get(code)
            element = reason.element_code if reason else ""
            evidence.append(
                ReasonEvidence(
                    reason=names.get(code, code),
                    element=element_names.get(element, element) if element else "",
                    staff=means.get("staff", {}).get(element) if element else None,
                    customer=means.get("customer", {}).get(element) if element else None,
                    expert=means.get("expert", {}).get(element) if element else None,
                )
            )
        result.append(
            DepartedCustomer(
                departure=departure,
                stated=[names.get(c, c) for c in stated],
                account_manager=[
                    names.get(c, c) for c in sets[departure.pk].get(Perspective.ACCOUNT_MANAGER, [])
                ],
                management=[
                    names.get(c, c) for c in sets[departure.pk].get(Perspective.MANAGEMENT, [])
                ],
                evidence=evidence,
                scored_at=snapshot.computed_at if snapshot else None,
            )
        )
    return result
