"""Writes of assessments: checking one, submitting one (the central write), and writing many
at once for imports and the demo."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from django.contrib.auth.models import AbstractBaseUser, User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klantbinding.lib import db
from scoring import selectors, snapshots
from scoring.models import (
    NPS_MAX,
    NPS_MIN,
    SCORE_MAX,
    SCORE_MIN,
    Assessment,
    Customer,
    Element,
    ElementScore,
    RespondentKind,
    ScoringModel,
)
from scoring.services.scores import scores_refresh
from scoring.signals import assessment_submitted

Progress = Callable[[int], None]
_KINDS = frozenset(RespondentKind.values)


# --------------------------------------------------------------------------------------------
# Validation shared by the matrix, the survey pages and the imports
# --------------------------------------------------------------------------------------------


def score_value_error(value: object) -> str | None:
    """Why ``value`` is not a score 0–6 or "don't know" (None), or None when it is fine."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _(
            "“%(value)s” is not a score: use a whole number from 0 to 6, or leave it empty."
        ) % {"value": value}
    if isinstance(value, float) and not value.is_integer():
        return _("%(value)s is not a whole number: use a whole number from 0 to 6.") % {
            "value": value
        }
    if not SCORE_MIN <= value <= SCORE_MAX:
        return _("%(value)s is outside the scale: use a whole number from 0 to 6.") % {
            "value": int(value) if float(value).is_integer() else value
        }
    return None


def nps_value_error(value: object) -> str | None:
    """Why ``value`` is not a recommendation score 0–10, or None when it is fine or empty."""
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not value.is_integer())
    ):
        return _("“%(value)s” is not a recommendation score: use a whole number from 0 to 10.") % {
            "value": value
        }
    if not NPS_MIN <= value <= NPS_MAX:
        return _("%(value)s is outside the scale: use a whole number from 0 to 10.") % {
            "value": int(value)
        }
    return None


@dataclass
class CleanAssessment:
    """A validated assessment, ready to be written."""

    customer: Customer
    scoring_model: ScoringModel
    respondent_kind: str
    respondent_email: str
    respondent_name: str
    user: AbstractBaseUser | None
    assessed_at: datetime
    values: dict[int, int | None]  # element id → value
    comments: dict[int, str] = field(default_factory=dict)
    comment: str = ""
    nps: int | None = None
    source: str = Assessment.Source.MATRIX
    submission_key: uuid.UUID | None = None
    imported_by: AbstractBaseUser | None = None

    def assessment(self) -> Assessment:
        """The unsaved assessment row."""
        return Assessment(
            customer=self.customer,
            scoring_model=self.scoring_model,
            respondent_kind=self.respondent_kind,
            respondent_email=self.respondent_email,
            respondent_name=self.respondent_name,
            user=cast("User | None", self.user),
            assessed_at=self.assessed_at,
            comment=self.comment,
            nps=self.nps,
            source=self.source,
            submission_key=self.submission_key,
            imported_by=cast("User | None", self.imported_by),
        )

    def score_rows(self, assessment_id: int) -> list[tuple[int, int, int | None, str]]:
        """The element scores as rows for element_scores_insert."""
        return [
            (assessment_id, element_id, value, self.comments.get(element_id, ""))
            for element_id, value in self.values.items()
        ]


def assessment_clean(
    *,
    customer: Customer,
    respondent_kind: str,
    respondent_email: str,
    values: Mapping[str, object],
    respondent_name: str = "",
    user: AbstractBaseUser | None = None,
    comments: Mapping[str, str] | None = None,
    comment: str = "",
    nps: object = None,
    assessed_at: datetime | None = None,
    scoring_model: ScoringModel | None = None,
    source: str = Assessment.Source.MATRIX,
    submission_key: uuid.UUID | None = None,
    elements: Sequence[Element] | None = None,
    now: datetime | None = None,
) -> CleanAssessment:
    """Check an assessment against its model version; raise ValidationError keyed by field.

    ``values`` maps element codes to 0–6 or None ("don't know"); an element of the model that
    is missing counts as "don't know". ``elements`` may pass the asked elements in, so a bulk
    import does not query them once per row.
    """
    errors: dict[str, list[str]] = {}
    now = now or timezone.now()
    scoring_model = scoring_model or selectors.scoring_model_active()
    if scoring_model.is_draft:
        raise ValidationError(_("This scoring model is a draft and cannot be scored yet."))
    if respondent_kind not in _KINDS:
        errors.setdefault("respondent_kind", []).append(
            _("“%(kind)s” is not a respondent kind: use staff, customer or expert.")
            % {"kind": respondent_kind}
        )
        raise ValidationError(errors)
    respondent_email = (respondent_email or "").strip().lower()
    try:
        validate_email(respondent_email)
    except ValidationError:
        errors.setdefault("respondent_email", []).append(
            _("“%(email)s” is not a valid e-mail address.") % {"email": respondent_email}
        )
    if (
        respondent_kind == RespondentKind.STAFF
        and user is None
        and source
        in (
            Assessment.Source.MATRIX,
            Assessment.Source.SURVEY,
        )
    ):
        errors.setdefault("user", []).append(_("A staff assessment needs the user who made it."))

    if elements is None:
        elements = selectors.asked_elements(scoring_model, respondent_kind)
    by_code = {e.code: e for e in elements}
    for code in values:
        if code not in by_code:
            errors.setdefault(code, []).append(
                _("“%(code)s” is not an element of this scoring model for this respondent.")
                % {"code": code}
            )
    clean_values: dict[int, int | None] = {}
    for code, element in by_code.items():
        value = values.get(code)
        problem = score_value_error(value)
        if problem:
            errors.setdefault(code, []).append(problem)
        else:
            clean_values[element.id] = None if value is None else int(value)  # type: ignore[call-overload]

    if nps is not None:
        if respondent_kind != RespondentKind.CUSTOMER:
            errors.setdefault("nps", []).append(
                _("Only customers answer the recommendation question.")
            )
        elif problem := nps_value_error(nps):
            errors.setdefault("nps", []).append(problem)

    if assessed_at is None:
        assessed_at = now
    elif timezone.is_naive(assessed_at):
        errors.setdefault("assessed_at", []).append(_("The date needs a time zone."))
    elif assessed_at > now + timedelta(minutes=5):
        errors.setdefault("assessed_at", []).append(
            _("%(date)s lies in the future.") % {"date": assessed_at.date().isoformat()}
        )

    if errors:
        raise ValidationError(errors)
    comments = comments or {}
    return CleanAssessment(
        customer=customer,
        scoring_model=scoring_model,
        respondent_kind=respondent_kind,
        respondent_email=respondent_email,
        respondent_name=(respondent_name or "").strip(),
        user=user,
        assessed_at=assessed_at,
        values=clean_values,
        comments={by_code[c].id: t.strip() for c, t in comments.items() if c in by_code and t},
        comment=(comment or "").strip(),
        nps=None if nps is None else int(nps),  # type: ignore[call-overload]
        source=source,
        submission_key=submission_key,
    )


# --------------------------------------------------------------------------------------------
# Writes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentSubmitted:
    """What a submit did: the assessment (the earlier one for a repeated submission key), the
    customer's score before and after, and whether the assessment is new."""

    assessment: Assessment
    before: snapshots.SnapshotSummary | None
    after: snapshots.SnapshotSummary | None
    created: bool


def _earlier(submission_key: uuid.UUID | None) -> AssessmentSubmitted | None:
    """The assessment stored before under this submission key, as a submit that wrote nothing."""
    if submission_key is None:
        return None
    existing = Assessment.objects.filter(submission_key=submission_key).first()
    if existing is None:
        return None
    return AssessmentSubmitted(assessment=existing, before=None, after=None, created=False)


def assessment_submit(
    *,
    customer: Customer,
    respondent_kind: str,
    respondent_email: str,
    values: Mapping[str, int | None],
    respondent_name: str = "",
    user: AbstractBaseUser | None = None,
    comments: Mapping[str, str] | None = None,
    comment: str = "",
    nps: int | None = None,
    assessed_at: datetime | None = None,
    scoring_model: ScoringModel | None = None,
    source: str = Assessment.Source.MATRIX,
    submission_key: uuid.UUID | None = None,
    elements: Sequence[Element] | None = None,
    now: datetime | None = None,
) -> AssessmentSubmitted:
    """Check and store one assessment, all or nothing, then refresh the customer's score.

    ``values`` maps element codes to 0–6 or None ("don't know"); see ``assessment_clean``
    for the checks (a ValidationError keyed by element code or field). With a
    ``submission_key`` that was used before, the earlier assessment comes back and nothing
    new is written (a double click, a resubmit after Back, a survey answered twice).
    """
    earlier = _earlier(submission_key)
    if earlier is not None:
        return earlier
    clean = assessment_clean(
        customer=customer,
        respondent_kind=respondent_kind,
        respondent_email=respondent_email,
        values=values,
        respondent_name=respondent_name,
        user=user,
        comments=comments,
        comment=comment,
        nps=nps,
        assessed_at=assessed_at,
        scoring_model=scoring_model,
        source=source,
        submission_key=submission_key,
        elements=elements,
        now=now,
    )
    try:
        with transaction.atomic():
            before = snapshots.current_summary(customer)
            assessment = clean.assessment()
            assessment.save()
            element_scores_insert(clean.score_rows(assessment.pk))
            scores_refresh(customer_ids=[customer.pk])
            assessment_submitted.send(sender=Assessment, assessment=assessment)
    except IntegrityError:
        # A concurrent submit with the same key won the race: return its assessment.
        earlier = _earlier(submission_key)
        if earlier is not None:
            return earlier
        raise
    return AssessmentSubmitted(
        assessment=assessment,
        before=before,
        after=snapshots.current_summary(customer),
        created=True,
    )


def element_scores_insert(rows: Sequence[tuple[int, int, int | None, str]]) -> None:
    """Insert (assessment id, element id, value, comment) rows in bulk.

    Raw on purpose: an import of 10,000 assessments has 120,000 scores, and the ORM spends
    most of the import building and quoting objects for them.
    """
    db.rows_insert(
        ElementScore._meta.db_table, ("assessment_id", "element_id", "value", "comment"), rows
    )


def assessments_bulk_create(
    cleaned: Sequence[CleanAssessment], *, progress: Progress | None = None, batch_size: int = 2000
) -> list[Assessment]:
    """Write many validated assessments in one transaction and refresh the affected scores."""
    created: list[Assessment] = []
    with transaction.atomic():
        for start in range(0, len(cleaned), batch_size):
            batch = cleaned[start : start + batch_size]
            assessments = Assessment.objects.bulk_create([c.assessment() for c in batch])
            if any(a.pk is None for a in assessments):  # backends that return no ids
                raise RuntimeError("the database did not return ids for the new assessments")
            element_scores_insert(
                [
                    row
                    for assessment, clean in zip(assessments, batch, strict=True)
                    for row in clean.score_rows(assessment.pk)
                ]
            )
            created.extend(assessments)
            if progress:
                progress(len(batch))
        scores_refresh(customer_ids=sorted({c.customer.pk for c in cleaned}))
    return created
