"""Writes: submitting assessments, refreshing stored scores, publishing a model version."""

from __future__ import annotations

import hashlib
import math
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klantbinding.lib import db
from scoring import calculations, selectors
from scoring.conf import rule_params
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
    ScoreSnapshot,
    ScoringModel,
)
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


def asked_elements(scoring_model: ScoringModel, kind: str) -> list[Element]:
    """The model's elements that are put to this respondent kind, in matrix order."""
    return [e for e in scoring_model.elements.order_by("order", "pk") if e.is_asked(kind)]


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

    def assessment(self) -> Assessment:
        """The unsaved assessment row."""
        return Assessment(
            customer=self.customer,
            scoring_model=self.scoring_model,
            respondent_kind=self.respondent_kind,
            respondent_email=self.respondent_email,
            respondent_name=self.respondent_name,
            user=self.user,
            assessed_at=self.assessed_at,
            comment=self.comment,
            nps=self.nps,
            source=self.source,
            submission_key=self.submission_key,
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
        elements = asked_elements(scoring_model, respondent_kind)
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
            clean_values[element.id] = None if value is None else int(value)  # type: ignore[arg-type]

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
        nps=None if nps is None else int(nps),  # type: ignore[arg-type]
        source=source,
        submission_key=submission_key,
    )


# --------------------------------------------------------------------------------------------
# Writes
# --------------------------------------------------------------------------------------------


def assessment_submit(**kwargs: object) -> Assessment:
    """Validate and store one assessment, all or nothing, then refresh the customer's score.

    Takes the keyword arguments of ``assessment_clean``. With a ``submission_key`` that was
    used before, the earlier assessment is returned and nothing new is written.
    """
    submission_key = kwargs.get("submission_key")
    if submission_key is not None:
        existing = Assessment.objects.filter(submission_key=submission_key).first()
        if existing is not None:
            return existing
    clean = assessment_clean(**kwargs)  # type: ignore[arg-type]
    try:
        with transaction.atomic():
            assessment = clean.assessment()
            assessment.save()
            element_scores_insert(clean.score_rows(assessment.pk))
            scores_refresh(customer_ids=[clean.customer.pk])
            assessment_submitted.send(sender=Assessment, assessment=assessment)
    except IntegrityError:
        # A concurrent submit with the same key won the race: return its assessment.
        if submission_key is not None:
            existing = Assessment.objects.filter(submission_key=submission_key).first()
            if existing is not None:
                return existing
        raise
    return assessment


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


@dataclass
class RefreshResult:
    customers: int
    changed: int
    computed_at: datetime
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step


class _Stopwatch:
    """Seconds spent per step, for the benchmark's split and for slow-refresh logs."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now


def _snapshot_details(result: calculations.PortfolioResult, customer_ids: np.ndarray) -> list[str]:
    """Per customer, the ScoreSnapshot.details line: element values, then the means of each
    kind, in the model's element order, rounded to 3 decimals, empty where unanswered."""
    codes = list(result.element_values.columns)
    blocks = [result.element_values.reindex(customer_ids).to_numpy(dtype=float)]
    blocks += [
        result.kind_means[kind].reindex(index=customer_ids, columns=codes).to_numpy(dtype=float)
        for kind in calculations.KINDS
    ]
    matrix = np.hstack(blocks)
    text = np.round(matrix, 3).astype(str)  # "3.667", "6.0": one vectorised conversion
    text[np.isnan(matrix)] = ""
    return [",".join(row) for row in text.tolist()]


def _clean_float(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _fingerprints(
    result: calculations.PortfolioResult,
    ids: np.ndarray,
    *,
    scoring_model: ScoringModel,
    last_assessed: Mapping[int, datetime],
) -> list[str]:
    """Per customer, a short hash of everything a snapshot stores, so unchanged results are
    not written again. Hashes the raw numbers, not the text, to stay cheap for 10,000 rows."""
    scores = result.scores.reindex(ids)
    last = np.array(
        [last_assessed[i].timestamp() if i in last_assessed else np.nan for i in ids.tolist()],
        dtype=float,
    )
    numbers = np.column_stack(
        [
            scores[["binding_score", *calculations.FACTORS, "coverage", "respondents"]].to_numpy(
                dtype=float
            ),
            last,
            result.element_values.reindex(ids).to_numpy(dtype=float),
            result.kind_means.reindex(ids).to_numpy(dtype=float),
        ]
    )
    numbers = np.round(numbers, 9) + 0.0  # + 0.0 turns -0.0 into 0.0
    numbers[np.isnan(numbers)] = -1.0  # every real value is ≥ 0
    salt = f"{scoring_model.pk}|".encode()
    bands = scores["band"].tolist()
    return [
        hashlib.blake2b(salt + row.tobytes() + band.encode(), digest_size=16).hexdigest()
        for row, band in zip(numbers, bands, strict=True)
    ]


def _changed_snapshots(
    result: calculations.PortfolioResult,
    *,
    scoring_model: ScoringModel,
    now: datetime,
    last_assessed: Mapping[int, datetime],
    current: Mapping[int, tuple[str, float | None]],
) -> list[dict]:
    """Rows of new current snapshots for the customers whose result differs from ``current``.

    ``current`` maps customer ids to the fingerprint and score of their current snapshot.
    """
    ids = result.scores.index.to_numpy()
    fingerprints = _fingerprints(
        result, ids, scoring_model=scoring_model, last_assessed=last_assessed
    )
    changed: list[int] = []
    for position, (customer_id, fingerprint) in enumerate(
        zip(ids.tolist(), fingerprints, strict=True)
    ):
        previous = current.get(customer_id)
        if previous is None:
            never_assessed = customer_id not in last_assessed
            if never_assessed and math.isnan(result.scores["binding_score"].iat[position]):
                continue  # nothing to store
        elif previous[0] == fingerprint:
            continue
        changed.append(position)

    changed_ids = ids[changed]
    rows = result.scores.iloc[changed]
    details = _snapshot_details(result, changed_ids)
    new_rows: list[dict] = []
    for row, detail, position in zip(rows.itertuples(), details, changed, strict=True):
        customer_id = int(row.Index)
        previous = current.get(customer_id)
        new_rows.append(
            {
                "customer_id": customer_id,
                "scoring_model_id": scoring_model.pk,
                "computed_at": now,
                "is_current": True,
                "binding_score": _clean_float(row.binding_score),
                "satisfaction": _clean_float(row.satisfaction),
                "alternatives": _clean_float(row.alternatives),
                "investment": _clean_float(row.investment),
                "coverage": float(row.coverage),
                "provisional": bool(row.provisional),
                "band": row.band,
                "respondents": int(row.respondents),
                "last_assessed_at": last_assessed.get(customer_id),
                "previous_score": previous[1] if previous else None,
                "details": detail,
                "fingerprint": fingerprints[position],
            }
        )
    return new_rows


_SNAPSHOT_COLUMNS = (
    "customer_id",
    "scoring_model_id",
    "computed_at",
    "is_current",
    "binding_score",
    "satisfaction",
    "alternatives",
    "investment",
    "coverage",
    "provisional",
    "band",
    "respondents",
    "last_assessed_at",
    "previous_score",
    "details",
    "fingerprint",
)


def _snapshots_store(rows: Sequence[dict]) -> None:
    """Insert snapshot rows and make them current, in the caller's transaction.

    Written in bulk (``rows_insert``): the ORM's bulk insert spends seconds quoting 10,000
    details texts.
    """
    customer_ids = sorted({r["customer_id"] for r in rows if r["is_current"]})
    for chunk in db.chunked(customer_ids):
        ScoreSnapshot.objects.filter(customer_id__in=chunk, is_current=True).update(
            is_current=False
        )
    db.rows_insert(
        ScoreSnapshot._meta.db_table,
        _SNAPSHOT_COLUMNS,
        [tuple(row[column] for column in _SNAPSHOT_COLUMNS) for row in rows],
    )


def scores_refresh(
    *, customer_ids: Sequence[int] | None = None, now: datetime | None = None
) -> RefreshResult:
    """Recompute the binding score of these customers (all without ids) and store what changed.

    One vectorised pass of the rule; a new snapshot is written only for customers whose result
    differs from their current one, and it becomes the current one.
    """
    now = now or timezone.now()
    clock = _Stopwatch()
    params = rule_params()
    scoring_model = selectors.scoring_model_active()
    elements = selectors.elements_frame(scoring_model)
    if customer_ids is None:
        universe = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
        scope: Sequence[int] | None = None
    else:
        universe = sorted(set(customer_ids))
        scope = universe
    assessments, scores = selectors.assessment_frames(
        start=params.window_start(now), end=now, customer_ids=scope
    )
    last_assessed = selectors.last_assessed_at(end=now, customer_ids=scope)
    current = selectors.current_fingerprints(scope)
    clock.lap("read")
    result = calculations.compute_portfolio(
        assessments, scores, elements, now=now, params=params, customer_ids=universe
    )
    clock.lap("rule")
    new_snapshots = _changed_snapshots(
        result, scoring_model=scoring_model, now=now, last_assessed=last_assessed, current=current
    )
    clock.lap("compare")
    with transaction.atomic():
        _snapshots_store(new_snapshots)
    clock.lap("store")
    return RefreshResult(
        customers=len(universe), changed=len(new_snapshots), computed_at=now, timings=clock.laps
    )


def scoring_model_draft_create(
    *, based_on: ScoringModel | None = None, name: str | None = None
) -> ScoringModel:
    """A new draft version, a copy of ``based_on`` (the active model by default)."""
    based_on = based_on or selectors.scoring_model_active()
    with transaction.atomic():
        last = ScoringModel.objects.select_for_update().order_by("-version").first()
        version = (last.version if last else 0) + 1
        draft = ScoringModel.objects.create(
            version=version, name=name or based_on.name, notes=based_on.notes
        )
        copies = []
        for element in based_on.elements.all():
            element.pk = None
            element.id = None
            element.scoring_model = draft
            copies.append(element)
        Element.objects.bulk_create(copies)
    return draft


def scoring_model_publish(
    *, scoring_model: ScoringModel, user: AbstractBaseUser | None = None
) -> RefreshResult:
    """Make a draft the active version and recompute every customer's score with it."""
    if not scoring_model.is_draft:
        raise ValidationError(
            _("Version %(version)s is already published.") % {"version": scoring_model.version}
        )
    elements = list(scoring_model.elements.all())
    if not elements:
        raise ValidationError(_("A scoring model needs at least one element."))
    if any(e.weight <= 0 for e in elements):
        raise ValidationError(_("Every element needs a weight above zero."))
    with transaction.atomic():
        ScoringModel.objects.filter(is_active=True).update(is_active=False)
        scoring_model.is_active = True
        scoring_model.published_at = timezone.now()
        scoring_model.published_by = user
        scoring_model.save(update_fields=["is_active", "published_at", "published_by"])
        return scores_refresh()


def scores_backfill(*, moments: Sequence[datetime]) -> int:
    """Write the score history at past moments (oldest first) from the stored assessments.

    Gives a freshly seeded or imported portfolio its history: the rule is applied as it stood
    at each moment, with the active model, and a snapshot is kept where the result changed.
    Moments must lie after every stored snapshot. Returns the number of snapshots written.
    """
    moments = sorted(moments)
    if not moments:
        return 0
    if ScoreSnapshot.objects.filter(computed_at__gte=moments[0]).exists():
        raise ValueError("backfill moments must lie after every stored snapshot")
    params = rule_params()
    scoring_model = selectors.scoring_model_active()
    elements = selectors.elements_frame(scoring_model)
    universe = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    assessments, scores = selectors.assessment_frames(
        start=params.window_start(moments[0]), end=moments[-1]
    )
    before = selectors.last_assessed_at(end=params.window_start(moments[0]))
    current = selectors.current_fingerprints()
    written: list[dict] = []
    latest_written: dict[int, dict] = {}
    for moment in moments:
        result = calculations.compute_portfolio(
            assessments, scores, elements, now=moment, params=params, customer_ids=universe
        )
        seen = assessments[assessments["assessed_at"] <= moment]
        last_assessed = dict(before)
        last_assessed.update(
            {
                int(k): v.to_pydatetime()
                for k, v in seen.groupby("customer_id")["assessed_at"].max().items()
            }
        )
        new = _changed_snapshots(
            result,
            scoring_model=scoring_model,
            now=moment,
            last_assessed=last_assessed,
            current=current,
        )
        for row in new:
            if row["customer_id"] in latest_written:
                latest_written[row["customer_id"]]["is_current"] = False
            latest_written[row["customer_id"]] = row
            current[row["customer_id"]] = (row["fingerprint"], row["binding_score"])
        written.extend(new)
    with transaction.atomic():
        _snapshots_store(written)
    return len(written)
