"""Reads of the API: the pages' owner-filtered selectors, shaped for JSON. A customer is
always looked up through ``customers_visible_to`` (another manager's customer is a 404)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from scoring import calculations, movement, selectors, snapshots
from scoring.models import Customer, Element, ScoreSnapshot, localised


def customer_visible(user: AbstractBaseUser | AnonymousUser, external_id: str) -> Customer:
    """The customer with this external id if the user may see it; Http404 otherwise (not even
    its existence leaks)."""
    customer = (
        selectors.customers_visible_to(user)
        .select_related("account_manager")
        .filter(external_id=external_id)
        .first()
    )
    if customer is None:
        raise Http404(_("No customer of yours has this external id."))
    return customer


def current_snapshots_of(customer_ids: list[int]) -> dict[int, ScoreSnapshot]:
    """The current snapshot of each of these customers (one query)."""
    rows = ScoreSnapshot.objects.filter(is_current=True, customer_id__in=customer_ids).only(
        "customer_id",
        "binding_score",
        "band",
        "provisional",
        "coverage",
        "computed_at",
        "previous_score",
    )
    return {s.customer_id: s for s in rows}


def _day_end(day: date) -> datetime:
    """The first moment after ``day`` in the app's time zone."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def snapshot_pair(
    customers: QuerySet[Customer], day: date | None
) -> tuple[ScoreSnapshot | None, ScoreSnapshot | None]:
    """The snapshot in force at the end of ``day`` (None: the current one) and the one stored
    just before it, of the one customer in ``customers``, in one query (with the customer)."""
    snapshots = ScoreSnapshot.objects.filter(customer__in=customers).select_related(
        "scoring_model", "customer"
    )
    if day is None:
        ordered = snapshots.order_by("-is_current", "-computed_at", "-pk")
    else:
        ordered = snapshots.filter(computed_at__lt=_day_end(day)).order_by("-computed_at", "-pk")
    found = list(ordered[:2])
    if not found or (day is None and not found[0].is_current):
        return None, None
    return found[0], found[1] if len(found) > 1 else None


@dataclass(frozen=True)
class CustomerScore:
    """A customer's score at a moment, its previous one and why it moved, and the
    perception gap per element, as the API returns it."""

    customer: Customer
    snapshot: ScoreSnapshot
    previous: ScoreSnapshot | None
    movement: movement.ScoreMovement | None
    gaps: list[dict[str, Any]]


def _gaps(snapshot: ScoreSnapshot) -> list[dict[str, Any]]:
    """Per element of the snapshot's model: each kind's mean, customer − staff and
    expert − staff, in the order of ``calculations.perception_gap`` (the largest negative
    customer gap first). That function's DataFrames cost 50 ms for one customer, as much as
    the rest of the request; a test holds the two equal."""
    elements = list(
        Element.objects.filter(scoring_model_id=snapshot.scoring_model_id)
        .order_by("order", "pk")
        .values_list("code", "name_nl", "name_en")
    )
    if not elements:
        return []
    decoded = snapshots.details_decode(snapshot.details, len(elements))

    def gap(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else round(a - b, 3)

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 3)

    rows = []
    for i, (code, name_nl, name_en) in enumerate(elements):
        staff, customer, expert = (decoded[kind][i] for kind in calculations.KINDS)
        rows.append(
            {
                "element": code,
                "name": localised(name_nl, name_en),
                "staff": rounded(staff),
                "customer": rounded(customer),
                "expert": rounded(expert),
                "customer_gap": gap(customer, staff),
                "expert_gap": gap(expert, staff),
            }
        )
    # Most negative customer gap first, elements without one last, ties in element order.
    return sorted(rows, key=lambda r: (r["customer_gap"] is None, r["customer_gap"] or 0.0))


def customer_score(
    user: AbstractBaseUser | AnonymousUser, external_id: str, *, day: date | None = None
) -> CustomerScore | None:
    """The score of the user's customer with this external id at the end of ``day`` (None:
    now), with the previous score and the per-element lines of why it moved
    (``scoring.movement``); None before its first score, Http404 for a customer the user
    does not see. The customer is read with its snapshots (a score read is a hot path)."""
    customers = selectors.customers_visible_to(user).filter(external_id=external_id)
    snapshot, previous = snapshot_pair(customers, day)
    if snapshot is None:
        customer_visible(user, external_id)  # a 404 when it is not the user's to see
        return None
    customer = snapshot.customer
    moved = (
        movement.movements([(previous, snapshot)], with_assessments=False)[0]
        if previous is not None
        else None
    )
    return CustomerScore(
        customer=customer,
        snapshot=snapshot,
        previous=previous,
        movement=moved,
        gaps=_gaps(snapshot),
    )


def score_history(customer: Customer) -> QuerySet[ScoreSnapshot]:
    """Every stored score of the customer, newest first."""
    return (
        ScoreSnapshot.objects.filter(customer=customer)
        .select_related("scoring_model")
        .order_by("-computed_at", "-pk")
    )


# The customer list's rows as JSON, built from ``values()`` rows that join the current score:
# the shape of serializers.CustomerSerializer (a test holds them equal). The serializer, with
# a second query for the scores, made a 100-row page cost 4x a trivial request (about 60 %
# of it building model instances and calling a field object per value); this is about 2x.
CUSTOMER_VALUES = (
    "id",
    "external_id",
    "name",
    "account_manager__email",
    "account_manager__username",
    "sector",
    "annual_revenue",
    "margin_pct",
    "revenue_potential",
    "payment_behaviour",
    "active",
    "created_at",
    "updated_at",
    "current__binding_score",
    "current__band",
    "current__provisional",
    "current__coverage",
    "current__computed_at",
    "current__previous_score",
)


def customers_with_score(customers: QuerySet[Customer]) -> QuerySet[Any]:
    """``customers`` as ``values(*CUSTOMER_VALUES)`` rows, their current score joined."""
    return customers.annotate(current=snapshots.current_relation()).values(*CUSTOMER_VALUES)


def customer_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``customers_with_score`` rows as the API returns customers."""
    zone = timezone.get_current_timezone()

    def moment(value: datetime | None) -> str | None:  # as DRF writes it, in the app's zone
        if value is None:
            return None
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    result = []
    for row in rows:
        score = None
        if row["current__computed_at"] is not None:
            value, previous = row["current__binding_score"], row["current__previous_score"]
            score = {
                "score": value,
                "band": row["current__band"],
                "provisional": row["current__provisional"],
                "coverage": row["current__coverage"],
                "computed_at": moment(row["current__computed_at"]),
                "previous_score": previous,
                "change": None if value is None or previous is None else value - previous,
            }
        revenue, margin, potential = (
            row["annual_revenue"],
            row["margin_pct"],
            row["revenue_potential"],
        )
        result.append(
            {
                "external_id": row["external_id"],
                "name": row["name"],
                "account_manager_email": (
                    row["account_manager__email"] or row["account_manager__username"]
                ),
                "sector": row["sector"],
                "annual_revenue": None if revenue is None else str(revenue),
                "margin_pct": None if margin is None else str(margin),
                "revenue_potential": None if potential is None else str(potential),
                "payment_behaviour": row["payment_behaviour"],
                "active": row["active"],
                "created_at": moment(row["created_at"]),
                "updated_at": moment(row["updated_at"]),
                "score": score,
            }
        )
    return result
