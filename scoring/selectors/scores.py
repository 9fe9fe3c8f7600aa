"""Reads that run the rule without storing: the frames it runs on, the matrix's live preview
and each assessment's own score.

The frames are read with one raw query each, so a whole portfolio costs a fixed number of
queries whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import Max
from django.utils import timezone

from klantbinding.lib import db
from scoring import calculations
from scoring.conf import rule_params
from scoring.models import Assessment, Customer, Element, ElementScore, RespondentKind
from scoring.selectors.scoring_models import elements_frame, scoring_model_active
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


def _result_of(result: calculations.PortfolioResult, key: int) -> ScoreResult:
    """One row of a rule result as plain Python: None where there is no score."""
    row = result.scores.loc[key]

    def number(value: Any) -> float | None:
        return None if pd.isna(value) else float(value)

    return {
        "binding_score": number(row["binding_score"]),
        "satisfaction": number(row["satisfaction"]),
        "alternatives": number(row["alternatives"]),
        "investment": number(row["investment"]),
        "coverage": float(row["coverage"]),
        "provisional": bool(row["provisional"]),
        "band": str(row["band"] or ""),
        "respondents": int(row["respondents"]),
    }


def matrix_preview(
    *,
    customer: Customer,
    respondent_email: str,
    values: Mapping[str, int | None],
    now: datetime | None = None,
) -> ScoreResult:
    """The customer's result as if this staff member submitted ``values`` now; writes nothing.

    The stored assessments plus the unsaved one go through the rule as a submit would, so the
    preview equals the score the customer gets after submitting the same values.
    """
    now = now or timezone.now()
    params = rule_params()
    elements = elements_frame(scoring_model_active())
    assessments, scores = assessment_frames(
        start=params.window_start(now), end=now, customer_ids=[customer.pk]
    )
    pending_id = int(assessments["id"].max()) + 1 if len(assessments) else 1
    pending = pd.DataFrame(
        {
            "id": [pending_id],
            "customer_id": [customer.pk],
            "kind": [RespondentKind.STAFF.value],
            "respondent": [respondent_email.strip().lower()],
            "assessed_at": pd.to_datetime([now], utc=True),
        }
    )
    answered = pd.DataFrame(
        [(pending_id, code, float(v)) for code, v in values.items() if v is not None],
        columns=["assessment_id", "code", "value"],
    )
    result = calculations.compute_portfolio(
        pd.concat([assessments, pending], ignore_index=True),
        pd.concat([scores.astype({"code": str}), answered], ignore_index=True),
        elements,
        now=now,
        params=params,
        customer_ids=[customer.pk],
    )
    return _result_of(result, customer.pk)


def assessment_scores(
    assessments: Sequence[Assessment], *, now: datetime | None = None
) -> dict[int, ScoreResult]:
    """Each assessment's own result: the rule over that one assessment, with the active model.

    One query and one pass of the rule for all of them: each assessment is its own "customer".
    """
    if not assessments:
        return {}
    now = now or timezone.now()
    ids = [a.pk for a in assessments]
    frame = pd.DataFrame(
        {
            "id": ids,
            "customer_id": ids,
            "kind": [a.respondent_kind for a in assessments],
            "respondent": [""] * len(ids),
            "assessed_at": pd.to_datetime([now] * len(ids), utc=True),
        }
    )
    rows = ElementScore.objects.filter(assessment_id__in=ids, value__isnull=False).values_list(
        "assessment_id", "element__code", "value"
    )
    scores = pd.DataFrame(list(rows), columns=["assessment_id", "code", "value"])
    scores["value"] = scores["value"].astype(float)
    result = calculations.compute_portfolio(
        frame,
        scores,
        elements_frame(scoring_model_active()),
        now=now,
        params=rule_params(),
        customer_ids=ids,
    )
    return {pk: _result_of(result, pk) for pk in ids}
