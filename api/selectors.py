"""Reads of the API: the pages' owner-filtered selectors, shaped for JSON. A customer is
always looked up through ``customers_visible_to`` (another manager's customer is a 404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from scoring import calculations, movement, selectors
from scoring.models import Customer, Element, ScoreSnapshot


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


def snapshot_at(customer: Customer, day: date | None) -> ScoreSnapshot | None:
    """The snapshot in force at the end of ``day`` (None: the current one)."""
    snapshots = ScoreSnapshot.objects.filter(customer=customer).select_related("scoring_model")
    if day is None:
        return snapshots.filter(is_current=True).first()
    return snapshots.filter(computed_at__lt=_day_end(day)).order_by("-computed_at", "-pk").first()


def snapshot_before(snapshot: ScoreSnapshot) -> ScoreSnapshot | None:
    """The customer's snapshot stored just before this one."""
    earlier = ScoreSnapshot.objects.filter(customer_id=snapshot.customer_id).exclude(pk=snapshot.pk)
    return (
        earlier.filter(computed_at__lte=snapshot.computed_at)
        .exclude(computed_at=snapshot.computed_at, pk__gt=snapshot.pk)
        .select_related("scoring_model")
        .order_by("-computed_at", "-pk")
        .first()
    )


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
    expert − staff (``calculations.perception_gap`` for one customer)."""
    elements = list(
        Element.objects.filter(scoring_model_id=snapshot.scoring_model_id).order_by("order", "pk")
    )
    codes = [e.code for e in elements]
    if not codes:
        return []
    means = {kind: snapshot.element_values(codes, kind) for kind in calculations.KINDS}
    frame = pd.DataFrame(
        [[means[kind][code] for kind in calculations.KINDS for code in codes]],
        columns=pd.MultiIndex.from_product([calculations.KINDS, codes], names=["kind", "code"]),
        dtype=float,
    )
    table = calculations.perception_gap(frame, codes)
    names = {e.code: e.name for e in elements}

    def number(value: object) -> float | None:
        number = float(value)  # type: ignore[arg-type]
        return None if np.isnan(number) else round(number, 3)

    return [
        {
            "element": str(code),
            "name": names[str(code)],
            "staff": number(row["staff"]),
            "customer": number(row["customer"]),
            "expert": number(row["expert"]),
            "customer_gap": number(row["customer_gap"]),
            "expert_gap": number(row["expert_gap"]),
        }
        for code, row in table.iterrows()
    ]


def customer_score(customer: Customer, *, day: date | None = None) -> CustomerScore | None:
    """The customer's score at the end of ``day`` (None: now), with the previous score and the
    per-element lines of why it moved (``scoring.movement``); None before the first score."""
    snapshot = snapshot_at(customer, day)
    if snapshot is None:
        return None
    previous = snapshot_before(snapshot)
    moved = movement.movements([(previous, snapshot)])[0] if previous is not None else None
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
