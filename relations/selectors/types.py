"""Reads of relationship types: believed, wanted, and where they do not match."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from django.db.models import F, FilteredRelation, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from relations.models import RelationshipBelief, RelationshipType, RelationshipWish
from scoring.calculations import BANDS, quadrant
from scoring.models import Customer


def active_types() -> list[RelationshipType]:
    return list(RelationshipType.objects.filter(active=True).order_by("order", "pk"))


@dataclass(frozen=True)
class Wish:
    type: RelationshipType
    respondent: str
    answered_at: object


@dataclass(frozen=True)
class CustomerRelationship:
    """What we believe, what the customer's contact persons want, and whether that differs."""

    belief: RelationshipBelief | None
    wishes: list[Wish]  # each respondent's latest answer, newest first
    wanted: RelationshipType | None  # the newest answer
    mismatch: bool | None  # None while either side is unknown


def customer_relationship(customer: Customer) -> CustomerRelationship:
    """The customer's believed and wanted relationship types (two queries)."""
    belief = (
        RelationshipBelief.objects.filter(customer=customer)
        .select_related("type", "set_by")
        .first()
    )
    answers = (
        RelationshipWish.objects.filter(customer=customer)
        .select_related("type", "assessment")
        .order_by("-answered_at", "-pk")[:50]
    )
    wishes: list[Wish] = []
    seen: set[str] = set()
    for answer in answers:
        respondent = answer.assessment.respondent_name or answer.assessment.respondent_email
        key = answer.assessment.respondent_email.lower()
        if key in seen:
            continue
        seen.add(key)
        wishes.append(Wish(answer.type, respondent, answer.answered_at))
    wanted = wishes[0].type if wishes else None
    mismatch = None
    if belief is not None and wanted is not None:
        mismatch = belief.type_id != wanted.pk
    return CustomerRelationship(belief, wishes, wanted, mismatch)


def latest_wishes(customers: QuerySet[Customer]) -> dict[int, int]:
    """Per customer in ``customers`` with an answer, the type id of its newest answer."""
    ranked = (
        RelationshipWish.objects.filter(customer__in=customers.order_by().values("pk"))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("customer_id")],
                order_by=[F("answered_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank=1)
        .values_list("customer_id", "type_id")
    )
    return dict(ranked)


MATCH, MISMATCH = "match", "mismatch"
QUADRANT_ORDER = ("loyal", "entrapped", "free", "leaving", "")


@dataclass(frozen=True)
class MismatchTables:
    known: int  # customers with both a belief and an answer
    mismatches: int
    by_band: list[dict]  # band, known, mismatches
    by_quadrant: list[dict]  # quadrant, known, mismatches


def mismatch_tables(customers: QuerySet[Customer]) -> MismatchTables:
    """Believed against wanted relationship type over the customers in view, counted per band
    and per satisfaction × barriers quadrant (three queries)."""
    rows = list(
        customers.order_by()
        .annotate(current=FilteredRelation("snapshots", condition=Q(snapshots__is_current=True)))
        .filter(relationship_belief__isnull=False)
        .values_list(
            "pk",
            "relationship_belief__type_id",
            "current__band",
            "current__satisfaction",
            "current__alternatives",
            "current__investment",
        )
    )
    wanted = latest_wishes(customers)
    frame = pd.DataFrame(
        [row for row in rows if row[0] in wanted],
        columns=["customer_id", "believed", "band", "satisfaction", "alternatives", "investment"],
    )
    frame["wanted"] = frame["customer_id"].map(wanted)
    frame["mismatch"] = frame["believed"] != frame["wanted"]
    frame["band"] = frame["band"].fillna("").astype(object)
    for column in ("satisfaction", "alternatives", "investment"):
        frame[column] = frame[column].astype(float)
    frame["quadrant"] = quadrant(
        frame["satisfaction"], (frame["alternatives"] + frame["investment"]) / 2
    )

    def counted(column: str, order: tuple[str, ...]) -> list[dict]:
        known = frame.groupby(column).size()
        mismatches = frame[frame["mismatch"]].groupby(column).size()
        return [
            {
                "key": key,
                "known": int(known.get(key, 0)),
                "mismatches": int(mismatches.get(key, 0)),
            }
            for key in order
        ]

    return MismatchTables(
        known=len(frame),
        mismatches=int(frame["mismatch"].sum()),
        by_band=counted("band", (*BANDS, "")),
        by_quadrant=counted("quadrant", QUADRANT_ORDER),
    )
