"""Reads about assessments: the matrix page, one assessment with its own score, before →
after a submit, a respondent's previous values and the customer timeline's entries."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from klantbinding.lib import db
from scoring import snapshots
from scoring.extensions import TimelineEntry
from scoring.models import (
    Assessment,
    Customer,
    Element,
    ElementScore,
    Factor,
    RespondentKind,
    ScoringModel,
)
from scoring.selectors.customers import customers_visible_to
from scoring.selectors.scores import ScoreResult, assessment_scores
from scoring.selectors.scoring_models import asked_elements, scoring_model_active


def assessments_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Assessment]:
    """The assessments of the customers this user may see, with customer, user and model."""
    return Assessment.objects.select_related("customer", "user", "scoring_model").filter(
        customer__in=customers_visible_to(user)
    )


def previous_assessment(
    *, customer: Customer, respondent_kind: str, respondent_email: str
) -> tuple[datetime | None, dict[str, int | None]]:
    """When this respondent last assessed the customer, and the values by element code.
    One query, written out: the matrix asks on every visit, and the ORM's building of this
    join and subquery cost twice the query."""
    e, s, a = Element._meta.db_table, ElementScore._meta.db_table, Assessment._meta.db_table
    sql = (
        f"SELECT e.code, s.value, a.assessed_at FROM {s} s "
        f"JOIN {a} a ON a.id = s.assessment_id JOIN {e} e ON e.id = s.element_id "
        f"WHERE s.assessment_id = (SELECT latest.id FROM {a} latest "
        f"WHERE latest.customer_id = %s AND latest.respondent_kind = %s "
        f"AND latest.respondent_email = %s ORDER BY latest.assessed_at DESC, latest.id DESC "
        f"LIMIT 1)"
    )
    rows = db.fetch_all(sql, [customer.pk, respondent_kind, respondent_email.strip().lower()])
    values = {code: value for code, value, _at in rows}
    return (db.aware(rows[0][2]) if rows else None), values


@dataclass(frozen=True)
class MatrixPage:
    """What the scoring matrix shows a staff member for one customer."""

    scoring_model: ScoringModel
    elements: list[Element]  # asked of staff, in matrix order
    previous_at: datetime | None  # this staff member's previous assessment, if any …
    previous_values: dict[str, int | None]  # … and its values by element code
    snapshot: snapshots.SnapshotSummary | None  # the customer's current score


def matrix_submitted(
    *, customer: Customer, user: AbstractBaseUser | AnonymousUser, key: str
) -> Assessment | None:
    """The assessment this user filed for this customer with the matrix form ``key``, if the
    form was submitted. The matrix page's address carries its form's key, so going Back to a
    submitted matrix finds its assessment (anything that is not a key finds nothing)."""
    try:
        submission_key = uuid.UUID(key)
    except ValueError:
        return None
    if user.pk is None:
        return None
    return (
        Assessment.objects.filter(customer=customer, user_id=user.pk, submission_key=submission_key)
        .only("pk")
        .first()
    )


def matrix_page(*, customer: Customer, respondent_email: str) -> MatrixPage:
    """The active model's staff elements, the respondent's previous values (none without an
    e-mail address) and the customer's current score."""
    scoring_model = scoring_model_active()
    previous_at, previous_values = (
        previous_assessment(
            customer=customer,
            respondent_kind=RespondentKind.STAFF,
            respondent_email=respondent_email,
        )
        if respondent_email
        else (None, {})
    )
    return MatrixPage(
        scoring_model=scoring_model,
        elements=asked_elements(scoring_model, RespondentKind.STAFF),
        previous_at=previous_at,
        previous_values=previous_values,
        snapshot=snapshots.current_summary(customer),
    )


class ScoreGroup(TypedDict):
    factor: str
    scores: list[ElementScore]


@dataclass(frozen=True)
class AssessmentPage:
    """One submitted assessment: who and when, its values grouped by factor, its own score."""

    assessment: Assessment
    customer: Customer
    result: ScoreResult | None
    groups: list[ScoreGroup]


def assessment_page(assessment: Assessment, *, own_score: bool = True) -> AssessmentPage:
    """The assessment's values and comments by factor, and the score it gives on its own
    (None with ``own_score`` False: a page that does not show it)."""
    scores = list(
        assessment.scores.select_related("element").order_by("element__order", "element__pk")
    )
    groups: list[ScoreGroup] = [
        {"factor": str(label), "scores": [s for s in scores if s.element.factor == value]}
        for value, label in Factor.choices
    ]
    return AssessmentPage(
        assessment=assessment,
        customer=assessment.customer,
        result=assessment_scores([assessment]).get(assessment.pk) if own_score else None,
        groups=[g for g in groups if g["scores"]],
    )


class OutcomeRow(TypedDict):
    label: str
    before: float | None
    after: float | None
    percent: bool


@dataclass(frozen=True)
class AssessmentOutcome:
    """After a submit: the customer's score before → after, next to what was submitted."""

    page: AssessmentPage
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    known_before: bool  # False when this session did not submit it (before is unknown)
    rows: list[OutcomeRow]
    change: float | None


def assessment_outcome(
    assessment: Assessment, *, submitted: Mapping[str, Any] | None
) -> AssessmentOutcome:
    """The result page of a submit: ``submitted`` holds the before and after this session
    kept when it submitted, as the submit computed and stored them; without it, the
    customer's current score (its stored snapshot) is the after. The rule does not run: the
    page shows no score of the assessment on its own."""
    before: Mapping[str, Any] = (submitted["before"] if submitted else None) or {}
    after: Mapping[str, Any] = (
        submitted["after"] if submitted else snapshots.current_summary(assessment.customer_id)
    ) or {}
    labels = [("binding_score", _("Binding score")), *Factor.choices]
    rows: list[OutcomeRow] = [
        {
            "label": str(label),
            "before": before.get(key),
            "after": after.get(key),
            "percent": False,
        }
        for key, label in labels
    ]
    rows.append(
        {
            "label": _("Coverage"),
            "before": before.get("coverage"),
            "after": after.get("coverage"),
            "percent": True,
        }
    )
    change = None
    if before.get("binding_score") is not None and after.get("binding_score") is not None:
        change = after["binding_score"] - before["binding_score"]
    return AssessmentOutcome(
        page=assessment_page(assessment, own_score=False),
        before=before,
        after=after,
        known_before=submitted is not None,
        rows=rows,
        change=change,
    )


def assessment_timeline(
    request: HttpRequest, customer: Customer, limit: int
) -> list[TimelineEntry]:
    """The customer's newest assessments as timeline entries (survey answers named as such)."""
    rows = (
        Assessment.objects.filter(customer=customer)
        .select_related("user")
        .order_by("-assessed_at", "-pk")[:limit]
    )
    entries = []
    for assessment in rows:
        kind = assessment.get_respondent_kind_display()
        if assessment.source == Assessment.Source.SURVEY:
            title = _("Survey answered (%(kind)s)") % {"kind": kind}
        else:
            title = _("Assessment (%(kind)s)") % {"kind": kind}
        who = (
            (assessment.user.get_full_name() or assessment.user.username)
            if assessment.user
            else (assessment.respondent_name or assessment.respondent_email)
        )
        entries.append(
            TimelineEntry(
                at=assessment.assessed_at,
                kind="assessment",
                title=title,
                detail=who,
                url=reverse("scoring:assessment-detail", args=[assessment.pk]),
                icon="▦",
            )
        )
    return entries
