"""The stored result of the rule: a customer's score snapshots, and every read of them.

Why it exists: pages, exports, the dashboard and the other apps show the stored result, never a
fresh run of the rule, and they must agree on what "the customer's current score" and "due for
re-scoring" are. So this one module holds the snapshot's details format (one encoder, one
decoder), its fingerprint, the storing of changed snapshots, the reads of the current snapshot
(or the one in force at a moment), and the one expression of "due".
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypedDict

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import (
    Exists,
    Expression,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from klantbinding.lib import db
from scoring import calculations
from scoring.models import (
    DETAIL_BLOCKS,
    Assessment,
    Customer,
    Element,
    RespondentKind,
    ScoreSnapshot,
    ScoringModel,
)
from scoring.signals import snapshots_stored

# What a refresh writes of a snapshot, in the order rows_insert takes them.
SNAPSHOT_COLUMNS = (
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
    "reweighted",
)


class SnapshotSummary(TypedDict):
    """What a page shows of a customer's current score (the matrix, before → after)."""

    binding_score: float | None
    satisfaction: float | None
    alternatives: float | None
    investment: float | None
    coverage: float
    provisional: bool
    band: str


SUMMARY_FIELDS = tuple(SnapshotSummary.__annotations__)


# --------------------------------------------------------------------------------------------
# The details format: four blocks of numbers, one field per element of the snapshot's model
# --------------------------------------------------------------------------------------------


def details_encode(result: calculations.PortfolioResult, customer_ids: np.ndarray) -> list[str]:
    """Per customer, the ScoreSnapshot.details line: element values, then the means of each
    kind, in the model's element order, rounded to 3 decimals, empty where unanswered."""
    codes = list(result.element_values.columns)
    blocks = [result.element_values.reindex(customer_ids).to_numpy(dtype=float)]
    blocks += [
        result.kind_means[kind].reindex(index=customer_ids, columns=codes).to_numpy(dtype=float)
        for kind in calculations.KINDS
    ]
    return _details_lines(np.hstack(blocks))


def _details_lines(matrix: np.ndarray) -> list[str]:
    """The details lines of rows of numbers (the blocks side by side); both paths of the rule
    write theirs through here, so one customer's line is the portfolio's."""
    text = np.round(matrix, 3).astype(str)  # "3.667", "6.0": one vectorised conversion
    text[np.isnan(matrix)] = ""
    return [",".join(row) for row in text.tolist()]


def _customer_blocks(result: calculations.CustomerResult) -> list[float]:
    """One customer's element values, then its means per kind: a row of ``details_encode``'s
    blocks (and the tail of a fingerprint's numbers)."""
    return [*result.element_values, *(m for kind in result.kind_means for m in kind)]


def details_decode(details: str, width: int) -> dict[str, list[float | None]]:
    """One snapshot's details as one list per block, ``width`` (its model's elements) long."""
    fields = details.split(",") if details else []
    return {
        block: [
            float(fields[i]) if i < len(fields) and fields[i] else None
            for i in range(b * width, (b + 1) * width)
        ]
        for b, block in enumerate(DETAIL_BLOCKS)
    }


def details_frames(
    index: pd.Index,
    models: pd.Series,
    details: list[str | None],
    codes: list[str],
    codes_by_model: dict[int, list[str]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Many snapshots' details at once: the element values and per-kind means, by code.

    ``details`` holds the details line of each customer (``models`` its snapshot's model):
    the blocks in the order of each snapshot's own model. They are matched to ``codes`` (the
    active model's) by code, as the rule matches elements. The lines of all customers are read
    as one CSV text by pandas' C parser: ``details_decode`` per customer costs several times
    more on 10,000 customers.
    """
    width = len(codes)
    blocks = len(DETAIL_BLOCKS)
    model_of = models.to_numpy(dtype=float)
    position = {code: i for i, code in enumerate(codes)}
    values = None
    for model in np.unique(model_of[~np.isnan(model_of)]):
        model_codes = codes_by_model.get(int(model), [])
        if not model_codes:
            continue
        rows = np.flatnonzero(model_of == model)
        fields = blocks * len(model_codes)
        empty = "," * (fields - 1)
        lines = details if len(rows) == len(details) else [details[r] for r in rows]
        parsed = db.read_numbers(
            "\n".join([line or empty for line in lines]), list(range(fields))
        ).to_numpy()
        if model_codes == codes and len(rows) == len(index):
            values = parsed  # every customer on the active model: the blocks as they are
            break
        if values is None:
            values = np.full((len(index), blocks * width), np.nan)
        source = [i for i, code in enumerate(model_codes) if code in position]
        source_columns = [b * len(model_codes) + i for b in range(blocks) for i in source]
        target_columns = [
            b * width + position[model_codes[i]] for b in range(blocks) for i in source
        ]
        values[np.ix_(rows, np.asarray(target_columns, dtype=np.intp))] = parsed[:, source_columns]
    if values is None:
        values = np.full((len(index), blocks * width), np.nan)

    def block(kind: str) -> slice:
        start = DETAIL_BLOCKS.index(kind) * width
        return slice(start, start + width)

    element_values = pd.DataFrame(values[:, block("elements")], index=index, columns=codes)
    element_values.columns.name = "code"
    kind_means = pd.DataFrame(
        np.hstack([values[:, block(kind)] for kind in calculations.KINDS]),
        index=index,
        columns=pd.MultiIndex.from_product([calculations.KINDS, codes], names=["kind", "code"]),
    )
    return element_values, kind_means


# --------------------------------------------------------------------------------------------
# Fingerprints and storing what changed
# --------------------------------------------------------------------------------------------


def fingerprints(
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
    return _hashes(numbers, scores["band"].tolist(), scoring_model)


def _hashes(numbers: np.ndarray, bands: list[str], scoring_model: ScoringModel) -> list[str]:
    """The fingerprints of rows of numbers (scores, coverage, respondents, last assessed,
    element values, kind means) and their bands; both paths of the rule hash through here."""
    numbers = np.round(numbers, 9) + 0.0  # + 0.0 turns -0.0 into 0.0
    numbers[np.isnan(numbers)] = -1.0  # every real value is ≥ 0
    salt = f"{scoring_model.pk}|".encode()
    return [
        hashlib.blake2b(salt + row.tobytes() + band.encode(), digest_size=16).hexdigest()
        for row, band in zip(numbers, bands, strict=True)
    ]


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def customer_snapshots(
    results: Mapping[int, calculations.CustomerResult],
    *,
    scoring_model: ScoringModel,
    now: datetime,
    last_assessed: Mapping[int, datetime],
    current: Mapping[int, Current],
) -> list[dict[str, Any]]:
    """``changed_snapshots`` for results of the one-customer rule: the same rows, the same
    fingerprints and details lines as the portfolio's for the same results."""
    ids = sorted(results)
    if not ids:
        return []
    numbers = np.array(
        [
            [
                _number(results[i].binding_score),
                *(_number(getattr(results[i], f)) for f in calculations.FACTORS),
                results[i].coverage,
                float(results[i].respondents),
                last_assessed[i].timestamp() if i in last_assessed else np.nan,
                *_customer_blocks(results[i]),
            ]
            for i in ids
        ],
        dtype=float,
    )
    prints = _hashes(numbers, [results[i].band for i in ids], scoring_model)
    changed = [
        position
        for position, customer_id in enumerate(ids)
        if _changed(
            customer_id,
            prints[position],
            has_score=results[customer_id].binding_score is not None,
            last_assessed=last_assessed,
            current=current,
        )
    ]
    width = len(_customer_blocks(results[ids[0]]))
    details = _details_lines(
        np.array([_customer_blocks(results[ids[p]]) for p in changed], dtype=float).reshape(
            len(changed), width
        )
    )
    rows = []
    for position, detail in zip(changed, details, strict=True):
        customer_id = ids[position]
        result = results[customer_id]
        previous = current.get(customer_id)
        rows.append(
            {
                "customer_id": customer_id,
                "scoring_model_id": scoring_model.pk,
                "computed_at": now,
                "is_current": True,
                "binding_score": result.binding_score,
                "satisfaction": result.satisfaction,
                "alternatives": result.alternatives,
                "investment": result.investment,
                "coverage": float(result.coverage),
                "provisional": bool(result.provisional),
                "band": result.band,
                "respondents": int(result.respondents),
                "last_assessed_at": last_assessed.get(customer_id),
                "previous_score": previous[1] if previous else None,
                "details": detail,
                "fingerprint": prints[position],
                "reweighted": bool(previous and getattr(previous, "reweighting", False)),
            }
        )
    return rows


def _changed(
    customer_id: int,
    fingerprint: str,
    *,
    has_score: bool,
    last_assessed: Mapping[int, datetime],
    current: Mapping[int, Current],
) -> bool:
    """Whether a customer's new result needs a snapshot: it differs from the current one, or
    it is the first result of a customer that was assessed or has a score."""
    previous = current.get(customer_id)
    if previous is None:
        return customer_id in last_assessed or has_score
    return previous[0] != fingerprint


class Current(NamedTuple):
    """A customer's current snapshot as a refresh compares with it: its fingerprint, the score
    a new snapshot stores as its previous one (like with like), and what a user notices of it."""

    fingerprint: str
    previous: float | None
    binding_score: float | None = None
    band: str = ""
    coverage: float = 0.0
    provisional: bool = True
    reweighting: bool = False  # a new snapshot would re-score it with another model (a publish)


def current_fingerprints(
    customer_ids: Sequence[int] | None = None,
    *,
    scoring_model: ScoringModel | None = None,
    publishing: bool = False,
) -> dict[int, Current]:
    """Per customer with a current snapshot: its fingerprint and score (``Current``).

    With ``scoring_model`` (the model the refresh stores with), a current snapshot of another
    model gets as its ``previous`` what ``previous_scores`` says: like with like.
    """
    rows = current_values(
        "customer_id",
        "fingerprint",
        "binding_score",
        "band",
        "coverage",
        "provisional",
        "scoring_model_id",
        customer_ids=customer_ids,
    )
    other = (
        [row[0] for row in rows if row[6] != scoring_model.pk] if scoring_model is not None else []
    )
    again = (
        previous_scores(other, scoring_model=scoring_model, publishing=publishing)
        if other and scoring_model is not None
        else {}
    )
    found = {}
    for customer, fingerprint, score, band, coverage, provisional, _model in rows:
        stale = customer in again
        found[customer] = Current(
            fingerprint,
            again[customer] if stale else score,
            score,
            band,
            float(coverage),
            bool(provisional),
            stale and publishing,
        )
    return found


# --------------------------------------------------------------------------------------------
# Like with like: stored results scored again with the active model
# --------------------------------------------------------------------------------------------


def model_codes(model_ids: set[int] | None = None) -> dict[int, list[str]]:
    """Each scoring model's element codes in element order (the order of its details)."""
    queryset = Element.objects.order_by("scoring_model_id", "order", "pk")
    if model_ids is not None:
        queryset = queryset.filter(scoring_model_id__in=model_ids)
    codes: dict[int, list[str]] = {model_id: [] for model_id in model_ids or ()}
    for model_id, code in queryset.values_list("scoring_model_id", "code"):
        codes.setdefault(model_id, []).append(code)
    return codes


def rescored(
    models: Sequence[int | None],
    details: Sequence[str | None],
    *,
    codes: list[str],
    weights: np.ndarray,
    codes_by_model: dict[int, list[str]],
) -> np.ndarray:
    """The binding scores of stored results (each with its snapshot's model and details line)
    scored with other elements and weights: the stored element values *v_e* matched to
    ``codes`` by code (elements ``codes`` lack are left out, elements it adds count as
    unanswered), then steps 4 and 6 of the rule. NaN where nothing is answered."""
    if not len(details):
        return np.array([], dtype=float)
    index = pd.RangeIndex(len(details))
    values, _means = details_frames(
        index,
        pd.Series([np.nan if m is None else m for m in models], index=index, dtype=float),
        list(details),
        codes,
        codes_by_model,
    )
    return calculations.values_score(values.to_numpy(dtype=float), weights)[0]


def active_weights(scoring_model: ScoringModel) -> tuple[list[str], np.ndarray]:
    """The codes and weights of a model's elements, in element order."""
    rows = list(
        Element.objects.filter(scoring_model=scoring_model)
        .order_by("order", "pk")
        .values_list("code", "weight")
    )
    return [code for code, _w in rows], np.array([float(w) for _c, w in rows], dtype=float)


def snapshot_details(snapshot_ids: Sequence[int]) -> tuple[list[int], list[str]]:
    """The model and details line of each of these snapshots, in the order given."""
    found: dict[int, tuple[int, str]] = {}
    for chunk in db.chunked(sorted(set(snapshot_ids))):
        rows = ScoreSnapshot.objects.filter(pk__in=chunk).values_list(
            "pk", "scoring_model_id", "details"
        )
        found.update({pk: (model, details) for pk, model, details in rows})
    return [found[i][0] for i in snapshot_ids], [found[i][1] for i in snapshot_ids]


def previous_scores(
    customer_ids: Sequence[int], *, scoring_model: ScoringModel, publishing: bool
) -> dict[int, float | None]:
    """Per customer whose current snapshot has another model: the previous score a new
    snapshot with ``scoring_model`` stores, so that its change compares like with like.

    A submit or refresh (``publishing`` false) moves from the current snapshot: its answers
    re-scored with ``scoring_model``. A publish is no movement of its own: the new snapshot
    carries the customer's last movement over, so its previous score is the state before the
    last snapshot that was not itself a publish's, re-scored. The list's "change since the
    previous score" (and its sort index on the stored column) then stays what it was, in the
    new model's points.
    """
    stored = (
        ScoreSnapshot.objects.filter(customer_id__in=customer_ids)
        .order_by("customer_id", "-computed_at", "-pk")
        .values_list("customer_id", "scoring_model_id", "reweighted", "details")
    )
    history: dict[int, list[tuple[int, bool, str]]] = {}
    for chunk in db.chunked(sorted(customer_ids)):
        for customer, model, reweighted, details in stored.filter(customer_id__in=chunk):
            history.setdefault(customer, []).append((model, reweighted, details))
    chosen: dict[int, tuple[int, str]] = {}
    for customer, rows in history.items():
        position = 0  # the current snapshot
        if publishing:
            while position < len(rows) and rows[position][1]:
                position += 1  # a publish's snapshot: its movement is the one before it
            position += 1
        if position < len(rows):
            chosen[customer] = (rows[position][0], rows[position][2])
    codes, weights = active_weights(scoring_model)
    customers = list(chosen)
    scores = rescored(
        [chosen[c][0] for c in customers],
        [chosen[c][1] for c in customers],
        codes=codes,
        weights=weights,
        codes_by_model=model_codes({model for model, _d in chosen.values()}),
    )
    again: dict[int, float | None] = dict.fromkeys(customer_ids)
    again.update(
        {c: _clean_float(float(score)) for c, score in zip(customers, scores, strict=True)}
    )
    return again


def _clean_float(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def changed_snapshots(
    result: calculations.PortfolioResult,
    *,
    scoring_model: ScoringModel,
    now: datetime,
    last_assessed: Mapping[int, datetime],
    current: Mapping[int, Current],
) -> list[dict[str, Any]]:
    """Rows (SNAPSHOT_COLUMNS) of new current snapshots for the customers whose result
    differs from ``current``, which maps customer ids to the fingerprint and score of their
    current snapshot."""
    ids = result.scores.index.to_numpy()
    prints = fingerprints(result, ids, scoring_model=scoring_model, last_assessed=last_assessed)
    binding = result.scores["binding_score"].to_numpy(dtype=float)
    changed = [
        position
        for position, (customer_id, fingerprint) in enumerate(
            zip(ids.tolist(), prints, strict=True)
        )
        if _changed(
            customer_id,
            fingerprint,
            has_score=not math.isnan(binding[position]),
            last_assessed=last_assessed,
            current=current,
        )
    ]

    changed_ids = ids[changed]
    rows = result.scores.iloc[changed]
    details = details_encode(result, changed_ids)
    new_rows: list[dict[str, Any]] = []
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
                "fingerprint": prints[position],
                "reweighted": bool(previous and getattr(previous, "reweighting", False)),
            }
        )
    return new_rows


def snapshots_store(rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert snapshot rows and make them current, in the caller's transaction.

    Written in bulk (``rows_insert``): the ORM's bulk insert spends seconds quoting 10,000
    details texts.
    """
    customer_ids = sorted({r["customer_id"] for r in rows if r["is_current"]})
    if customer_ids:  # alerts evaluate the new snapshots once they are committed
        stored_at = max(r["computed_at"] for r in rows)
        transaction.on_commit(
            lambda: snapshots_stored.send(
                sender=ScoreSnapshot, customer_ids=customer_ids, computed_at=stored_at
            )
        )
    for chunk in db.chunked(customer_ids):
        ScoreSnapshot.objects.filter(customer_id__in=chunk, is_current=True).update(
            is_current=False
        )
    db.rows_insert(
        ScoreSnapshot._meta.db_table,
        SNAPSHOT_COLUMNS,
        [tuple(row[column] for column in SNAPSHOT_COLUMNS) for row in rows],
    )


# --------------------------------------------------------------------------------------------
# The current snapshot, and the one in force at a moment
# --------------------------------------------------------------------------------------------


def current_snapshot(customer: Customer) -> ScoreSnapshot | None:
    """The customer's current snapshot with its scoring model, None before the first score."""
    return (
        ScoreSnapshot.objects.filter(customer=customer, is_current=True)
        .select_related("scoring_model")
        .first()
    )


@dataclass(frozen=True)
class ExpiredScore:
    """The last known score of a customer whose assessments all fell out of the validity
    window: shown as such, never as "no score"."""

    snapshot: ScoreSnapshot  # the last stored result with a score
    expired_since: datetime  # when the last assessment left the validity window


def expired_score(customer: Customer, current: ScoreSnapshot | None) -> ExpiredScore | None:
    """The customer's last known score when the current result has none because every
    assessment expired; None while there is a score, or when there never was one."""
    if current is None or current.binding_score is not None or current.last_assessed_at is None:
        return None
    last = (
        ScoreSnapshot.objects.filter(customer=customer, binding_score__isnull=False)
        .select_related("scoring_model")
        .order_by("-computed_at", "-pk")
        .first()
    )
    if last is None:
        return None
    validity = timedelta(days=settings.KLANTBINDING["VALIDITY_DAYS"])
    return ExpiredScore(snapshot=last, expired_since=current.last_assessed_at + validity)


def current_summary(customer: Customer | int) -> SnapshotSummary | None:
    """What a page shows of the customer's current score, None before the first score."""
    row = ScoreSnapshot.objects.filter(customer=customer, is_current=True).values(*SUMMARY_FIELDS)
    return row.first()


def current_snapshots(customers: QuerySet[Customer]) -> dict[int, ScoreSnapshot]:
    """The current snapshot of each of these customers that has one, by customer id."""
    snapshots = ScoreSnapshot.objects.filter(is_current=True, customer__in=customers)
    return {s.customer_id: s for s in snapshots}


def current_values(
    *fields: str, customer_ids: Sequence[int] | None = None
) -> list[tuple[Any, ...]]:
    """These fields of every current snapshot (of these customers), as tuples."""
    queryset = ScoreSnapshot.objects.filter(is_current=True)
    if customer_ids is None:
        return list(queryset.values_list(*fields))
    rows: list[tuple[Any, ...]] = []
    for chunk in db.chunked(customer_ids):
        rows.extend(queryset.filter(customer_id__in=chunk).values_list(*fields))
    return rows


def current_relation() -> FilteredRelation:
    """The customer's current snapshot, to join in a customers query (a new object each time:
    Django alters it in use)."""
    return FilteredRelation("snapshots", condition=Q(snapshots__is_current=True))


def snapshot_join_sql(
    snapshot: str, customer: str, *, moment: datetime | None = None
) -> tuple[str, list[Any]]:
    """The join condition, for a written-out statement, of the snapshot in force at ``moment``
    (None: the current one, one index lookup per customer) for the customer column
    ``customer``, with ``snapshot`` the alias of the snapshots table."""
    if moment is None:
        return f"{snapshot}.customer_id = {customer} AND {snapshot}.is_current", []
    s = ScoreSnapshot._meta.db_table
    return (
        f"{snapshot}.id = (SELECT s2.id FROM {s} s2 WHERE s2.customer_id = {customer} "
        f"AND s2.computed_at <= %s ORDER BY s2.computed_at DESC, s2.id DESC LIMIT 1)"
    ), [db.db_time(moment)]


def customers_in_band(
    customers: QuerySet[Customer], band: str, *, moment: datetime | None = None
) -> QuerySet[Customer]:
    """``customers`` whose band at ``moment`` (None: now) is ``band`` ("": without a score)."""
    if moment is None:
        snapshots = ScoreSnapshot.objects.filter(is_current=True)
        if band:
            return customers.filter(pk__in=snapshots.filter(band=band).values("customer_id"))
        return customers.exclude(pk__in=snapshots.exclude(band="").values("customer_id"))
    latest = (
        ScoreSnapshot.objects.filter(customer=OuterRef("pk"), computed_at__lte=moment)
        .order_by("-computed_at", "-pk")
        .values("band")[:1]
    )
    return customers.annotate(band_then=Coalesce(Subquery(latest), Value(""))).filter(
        band_then=band
    )


# --------------------------------------------------------------------------------------------
# Due for re-scoring
# --------------------------------------------------------------------------------------------


def rescoring_due(*, now: datetime, until: datetime | None = None) -> Expression:
    """The condition, on a customers query, that the customer is due for re-scoring at
    ``now``: no staff assessment within settings.KLANTBINDING["STAFF_CADENCE_DAYS"] (and
    none after ``until``, for a moment in the past). The list, its filter and sort, and the
    dashboard all use this one expression (``rescoring_due_sql`` in written-out SQL)."""
    cadence = timedelta(days=settings.KLANTBINDING["STAFF_CADENCE_DAYS"])
    recent = Assessment.objects.filter(
        customer=OuterRef("pk"),
        respondent_kind=RespondentKind.STAFF,
        assessed_at__gte=now - cadence,
    )
    if until is not None:
        recent = recent.filter(assessed_at__lte=until)
    return ~Exists(recent)


def rescoring_due_sql(*, now: datetime, until: datetime | None = None) -> tuple[str, list[Any]]:
    """``rescoring_due`` as SQL for a written-out statement over the customers table (which
    that statement must not give an alias)."""
    return db.expression_sql(Customer, rescoring_due(now=now, until=until))
