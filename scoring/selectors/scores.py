"""Reads that run the rule without storing: the frames it runs on, the matrix's live preview
and each assessment's own score.

The frames are read with one raw query each, so a whole portfolio costs a fixed number of
queries whatever its size. One customer (the preview, a submit) or a page of assessments goes
through the one-customer rule (``calculations.compute_customer``) on rows read with one query:
no frames, no pandas.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone

from klantbinding.lib import db
from scoring import calculations
from scoring.conf import rule_params
from scoring.models import (
    Assessment,
    Customer,
    Element,
    ElementScore,
    RespondentKind,
    ScoringModel,
)
from scoring.selectors.scoring_models import (
    rule_elements,
    scoring_model_active,
)
from scoring.snapshots import SnapshotSummary


class ScoreResult(SnapshotSummary):
    """One result of the rule as plain Python (None where there is no score): what a snapshot
    would store, and how many respondents counted."""

    respondents: int


def assessment_frames(
    *, start: datetime, end: datetime, customer_ids: Sequence[int] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assessments with start ≤ assessed_at ≤ end, and their answered element scores.

    Returns the ``assessments`` and ``scores`` frames of ``scoring.calculations``. Element
    codes come from each score's own model version: the rule matches them by code.
    """
    a_table = Assessment._meta.db_table
    s_table = ElementScore._meta.db_table
    e_table = Element._meta.db_table
    header_rows = db.fetch_for_ids(
        f"SELECT id, customer_id, respondent_kind, LOWER(respondent_email), "
        f"{db.epoch_sql('assessed_at')} FROM {a_table} "
        f"WHERE assessed_at >= %s AND assessed_at <= %s",
        [start, end],
        customer_ids,
        "customer_id",
    )
    assessments = pd.DataFrame(
        header_rows, columns=["id", "customer_id", "kind", "respondent", "assessed_at"]
    )
    assessments["assessed_at"] = db.epoch_to_utc(assessments["assessed_at"])
    assessments = assessments.astype({"id": "int64", "customer_id": "int64"})

    score_rows = db.fetch_for_ids(
        f"SELECT s.assessment_id, s.element_id, s.value FROM {s_table} s "
        f"JOIN {a_table} a ON a.id = s.assessment_id "
        f"WHERE a.assessed_at >= %s AND a.assessed_at <= %s AND s.value IS NOT NULL",
        [start, end],
        customer_ids,
        "a.customer_id",
    )
    element_ids, element_codes = zip(
        *db.fetch_all(f"SELECT id, code FROM {e_table} ORDER BY id"), strict=True
    )
    # All three columns are numbers: one 2-D array is much cheaper than a frame of tuples.
    table = np.array(score_rows, dtype=float).reshape(-1, 3)
    categories = sorted(set(element_codes))
    code_of_id = np.full(max(element_ids) + 1, -1, dtype=np.int64)
    code_of_id[list(element_ids)] = [categories.index(c) for c in element_codes]
    scores = pd.DataFrame(
        {
            "assessment_id": table[:, 0].astype(np.int64),
            "code": pd.Categorical.from_codes(
                code_of_id[table[:, 1].astype(np.int64)], categories=categories
            ),
            "value": table[:, 2],
        }
    )
    return assessments, scores


def last_assessed_at(
    *, end: datetime, customer_ids: Sequence[int] | None = None
) -> dict[int, datetime]:
    """Each customer's most recent assessment at or before ``end``, of any kind."""
    queryset = Assessment.objects.filter(assessed_at__lte=end)
    result: dict[int, datetime] = {}
    if customer_ids is None:
        chunks: Iterable[Sequence[int] | None] = [None]
    else:
        chunks = db.chunked(customer_ids)
    for chunk in chunks:
        subset = queryset if chunk is None else queryset.filter(customer_id__in=chunk)
        result.update(
            subset.values_list("customer_id").annotate(last=Max("assessed_at")).order_by()
        )
    return result


def score_result(result: calculations.CustomerResult) -> ScoreResult:
    """A result of the one-customer rule as the pages and the session keep it."""
    return {
        "binding_score": result.binding_score,
        "satisfaction": result.satisfaction,
        "alternatives": result.alternatives,
        "investment": result.investment,
        "coverage": result.coverage,
        "provisional": result.provisional,
        "band": result.band,
        "respondents": result.respondents,
    }


CustomerRows = tuple[list[calculations.AssessmentRow], list[calculations.ScoreRow]]


def customer_rule_rows(
    customer_ids: Sequence[int], *, start: datetime, end: datetime
) -> dict[int, CustomerRows]:
    """Per customer, its assessments with start ≤ assessed_at ≤ end and their answered element
    scores, as ``calculations.compute_customer`` takes them; one query (per chunk of ids).

    An assessment without answers is kept: as its respondent's latest it still counts.
    Element codes come from each score's own model version, as in ``assessment_frames``.
    """
    a_table = Assessment._meta.db_table
    s_table = ElementScore._meta.db_table
    e_table = Element._meta.db_table
    rows = db.fetch_for_ids(
        f"SELECT a.id, a.customer_id, a.respondent_kind, LOWER(a.respondent_email), "
        f"a.assessed_at, e.code, s.value FROM {a_table} a "
        f"LEFT JOIN {s_table} s ON s.assessment_id = a.id AND s.value IS NOT NULL "
        f"LEFT JOIN {e_table} e ON e.id = s.element_id "
        f"WHERE a.assessed_at >= %s AND a.assessed_at <= %s",
        [start, end],
        customer_ids,
        "a.customer_id",
    )
    result: dict[int, CustomerRows] = {}
    seen: set[int] = set()
    for assessment_id, customer_id, kind, respondent, at, code, value in rows:
        assessments, scores = result.setdefault(customer_id, ([], []))
        if assessment_id not in seen:
            seen.add(assessment_id)
            moment = db.aware(at)
            assert moment is not None  # assessed_at is NOT NULL
            assessments.append((assessment_id, kind, respondent, moment))
        if code is not None:
            scores.append((assessment_id, code, float(value)))
    return result


def customer_results(
    customer_ids: Sequence[int], *, now: datetime, scoring_model: ScoringModel | None = None
) -> dict[int, calculations.CustomerResult]:
    """The rule for each of a few customers, one at a time without frames (a submit's refresh)."""
    params = rule_params()
    elements = rule_elements(scoring_model or scoring_model_active())
    rows = customer_rule_rows(customer_ids, start=params.window_start(now), end=now)
    return {
        customer_id: calculations.compute_customer(
            *rows.get(customer_id, ([], [])), elements, now=now, params=params
        )
        for customer_id in customer_ids
    }


def matrix_preview(
    *,
    customer: Customer,
    respondent_email: str,
    values: Mapping[str, int | None],
    now: datetime | None = None,
    scoring_model: ScoringModel | None = None,
) -> ScoreResult:
    """The customer's result as if this staff member submitted ``values`` now; writes nothing.

    The stored assessments plus the unsaved one go through the rule as a submit would, so the
    preview equals the score the customer gets after submitting the same values. A caller that
    already holds the active model passes it (``scoring_model``): the preview is the request a
    matrix sends most, and the lookup was a seventh of its queries.
    """
    now = now or timezone.now()
    params = rule_params()
    elements = rule_elements(scoring_model or scoring_model_active())
    assessments, scores = customer_rule_rows(
        [customer.pk], start=params.window_start(now), end=now
    ).get(customer.pk, ([], []))
    pending_id = max((row[0] for row in assessments), default=0) + 1
    assessments.append(
        (pending_id, RespondentKind.STAFF.value, respondent_email.strip().lower(), now)
    )
    scores.extend((pending_id, code, float(v)) for code, v in values.items() if v is not None)
    return score_result(
        calculations.compute_customer(assessments, scores, elements, now=now, params=params)
    )


OWN_SCORE_SECONDS = 30 * 24 * 3600


def _own_score_keys(assessments: Sequence[Assessment], model: ScoringModel) -> dict[int, str]:
    """The cache key of each assessment's own result: the assessment (its id and the moment
    it was stored, so a database rebuilt with the same ids never reads another's), the model
    (a published model's elements never change; a draft is never cached) and the rule's
    settings."""
    rule = hashlib.blake2b(repr(rule_params()).encode(), digest_size=8).hexdigest()
    return {
        a.pk: f"kb:own-score:{model.pk}:{rule}:{a.pk}:{a.submitted_at.timestamp():.6f}"
        for a in assessments
    }


def assessment_scores(
    assessments: Sequence[Assessment],
    *,
    now: datetime | None = None,
    scoring_model: ScoringModel | None = None,
) -> dict[int, ScoreResult]:
    """Each assessment's own result: the rule over that one assessment, with the active model
    (``scoring_model`` when the caller holds it already).

    Computed once per assessment and model: an assessment and its scores never change
    (append-only, scoring migration 0007) and a published model's elements neither, so each
    result is kept in the cache under the assessment, the model and the rule's settings, and a
    page of history reads them in one round trip instead of a query and the rule per page
    view. The missing ones: one query for all of them, then the one-customer rule per
    assessment (each assessment is its own "customer", dated now; its date does not change
    the result).
    """
    if not assessments:
        return {}
    model = scoring_model or scoring_model_active()
    keys = _own_score_keys(assessments, model) if model.published_at else {}
    found: dict[int, ScoreResult] = {}
    if keys:
        cached = cache.get_many(list(keys.values()))
        found = {pk: cached[key] for pk, key in keys.items() if key in cached}
    missing = [a for a in assessments if a.pk not in found]
    if not missing:
        return found
    values: dict[int, dict[str, int | None]] = defaultdict(dict)
    rows = ElementScore.objects.filter(
        assessment_id__in=[a.pk for a in missing], value__isnull=False
    ).values_list("assessment_id", "element__code", "value")
    for assessment_id, code, value in rows:
        values[assessment_id][code] = value
    elements = rule_elements(model)
    computed = {
        a.pk: own_score(a.respondent_kind, values[a.pk], now=now, elements=elements)
        for a in missing
    }
    if keys:
        cache.set_many({keys[pk]: result for pk, result in computed.items()}, OWN_SCORE_SECONDS)
    return {a.pk: found[a.pk] if a.pk in found else computed[a.pk] for a in assessments}


def own_score(
    respondent_kind: str,
    values: Mapping[str, int | None],
    *,
    now: datetime | None = None,
    elements: calculations.RuleElements | None = None,
) -> ScoreResult:
    """The result of one assessment's ``values`` (by element code) on their own, with the
    active model: what the assessment page shows next to the values."""
    now = now or timezone.now()
    elements = elements or rule_elements(scoring_model_active())
    scores = [(0, code, float(v)) for code, v in values.items() if v is not None]
    return score_result(
        calculations.compute_customer(
            [(0, respondent_kind, "", now)], scores, elements, now=now, params=rule_params()
        )
    )
