"""Every assessment's numbers as one stored line of text: the effect report's narrow read.

Why: the effect report needs every assessment of about two years with all its element scores:
at 10,000 customers ~107,000 assessments and ~1.1 million score rows. Read as rows (the
general ``scoring.selectors.assessment_frames``), PostgreSQL took ~1.5 s to send them and
Python ~2.4 s more to turn 1.1 million tuples into arrays (benchmarks/bench_actions.py).
Assessments and their scores are append-only (database triggers refuse UPDATE and DELETE),
so an assessment's numbers never change once it is written: they are packed once, into one
``AssessmentLine`` per assessment, and read back as one text (``db.lines_sql``) that pandas'
C parser turns into arrays (``db.read_numbers``): ~107,000 short lines instead of 1.1 million
rows.

A line holds: id, customer id, kind (its position in ``KINDS``), respondent (a 63-bit hash
of the lower-cased e-mail: the engine only needs equal e-mails to give equal numbers),
assessed_at (epoch seconds with microseconds), scoring model id, then the answered values in
the order of that model's elements by id (empty for "don't know"). A model's elements are
fixed when the model is made (a draft copies its elements; an element with scores is
protected), so a position keeps its element.

Lines are written by the read that finds assessments without one (``lines_fill``), whatever
wrote the assessments (the matrix, surveys, imports, bulk COPY; each writes an assessment and
its scores in one transaction, so a committed assessment has all its scores), in a savepoint:
when a concurrent read wrote some of them first, this read falls back to the row-by-row
read, and a later one fills the rest. ``assessment_frames`` returns the frames of
``scoring.selectors.assessment_frames`` (the respondent as a number instead of the e-mail);
tests/actions/test_assessment_lines.py checks the report from both on a random portfolio.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from django.db import IntegrityError, transaction

from actions.models import AssessmentLine
from klantbinding.lib import db
from scoring.calculations import KINDS
from scoring.models import Assessment, Element, ElementScore
from scoring.selectors import assessment_frames as assessment_frames_by_rows

HEADER = ("id", "customer_id", "kind", "respondent", "epoch", "model_id")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def respondent_number(email: str) -> int:
    """A respondent's lower-cased e-mail as a 63-bit number (equal e-mails, equal numbers)."""
    return int.from_bytes(hashlib.sha256(email.encode()).digest()[:8], "big") >> 1


def _epoch_text(moment: datetime) -> str:
    """Seconds since 1970 with the microseconds, exactly (``db.epoch_to_utc`` reads it)."""
    delta = moment - _EPOCH
    seconds = delta.days * 86_400 + delta.seconds
    return f"{seconds}.{delta.microseconds:06d}"


def _range_counts(start: datetime, end: datetime) -> tuple[int, int]:
    """(assessments, lines) with start ≤ assessed_at ≤ end."""
    a_table = Assessment._meta.db_table
    l_table = AssessmentLine._meta.db_table
    row = db.fetch_all(
        f"SELECT (SELECT COUNT(*) FROM {a_table} WHERE assessed_at >= %s AND assessed_at <= %s), "
        f"(SELECT COUNT(*) FROM {l_table} WHERE assessed_at >= %s AND assessed_at <= %s)",
        [start, end, start, end],
    )[0]
    return int(row[0]), int(row[1])


def _model_elements() -> dict[int, list[int]]:
    """Each scoring model's element ids, in the order of the values in a line."""
    elements: dict[int, list[int]] = {}
    for element_id, model_id in Element.objects.order_by("pk").values_list(
        "pk", "scoring_model_id"
    ):
        elements.setdefault(model_id, []).append(element_id)
    return elements


def lines_make(*, start: datetime, end: datetime) -> list[tuple[int, datetime, str]]:
    """(assessment id, assessed_at, line) of the assessments in [start, end] without a line,
    from their rows (two statements, whatever their number)."""
    a_table = Assessment._meta.db_table
    s_table = ElementScore._meta.db_table
    l_table = AssessmentLine._meta.db_table
    missing = (
        f"a.assessed_at >= %s AND a.assessed_at <= %s "
        f"AND NOT EXISTS (SELECT 1 FROM {l_table} l WHERE l.assessment_id = a.id)"
    )
    headers = db.fetch_all(
        f"SELECT a.id, a.customer_id, a.respondent_kind, LOWER(a.respondent_email), "
        f"a.assessed_at, a.scoring_model_id FROM {a_table} a WHERE {missing}",
        [start, end],
    )
    values: dict[int, dict[int, int]] = {}
    for assessment_id, element_id, value in db.fetch_all(
        f"SELECT s.assessment_id, s.element_id, s.value FROM {s_table} s "
        f"JOIN {a_table} a ON a.id = s.assessment_id WHERE s.value IS NOT NULL AND {missing}",
        [start, end],
    ):
        values.setdefault(assessment_id, {})[element_id] = value
    order = _model_elements()
    kinds = {kind: position for position, kind in enumerate(KINDS)}
    rows = []
    for assessment_id, customer_id, kind, email, assessed_at, model_id in headers:
        moment = db.aware(assessed_at)
        assert moment is not None
        answered = values.get(assessment_id, {})
        numbers = ",".join(
            str(answered[e]) if e in answered else "" for e in order.get(model_id, [])
        )
        head = (
            f"{assessment_id},{customer_id},{kinds.get(kind, -1)},"
            f"{respondent_number(email)},{_epoch_text(moment)},{model_id}"
        )
        rows.append((assessment_id, moment, f"{head},{numbers}" if numbers else head))
    return rows


def lines_fill(*, start: datetime, end: datetime) -> int | None:
    """Write the lines of the assessments in [start, end] that have none; the number written,
    or None when a concurrent read wrote some of them first."""
    assessments, lines = _range_counts(start, end)
    if assessments == lines:
        return 0
    rows = lines_make(start=start, end=end)
    try:
        with transaction.atomic():
            db.rows_insert(
                AssessmentLine._meta.db_table, ("assessment_id", "assessed_at", "line"), rows
            )
    except IntegrityError:
        return None
    return len(rows)


def assessment_frames(*, start: datetime, end: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``assessments`` and ``scores`` frames of ``scoring.calculations`` for
    start ≤ assessed_at ≤ end, from the stored lines (written first where missing)."""
    if lines_fill(start=start, end=end) is None:
        return assessment_frames_by_rows(start=start, end=end)
    l_table = AssessmentLine._meta.db_table
    text = db.fetch_all(
        f"SELECT {db.lines_sql('line')} FROM {l_table} "
        f"WHERE assessed_at >= %s AND assessed_at <= %s",
        [start, end],
    )[0][0]
    order = _model_elements()
    width = max((len(ids) for ids in order.values()), default=0)
    names = [*HEADER, *(f"v{i}" for i in range(width))]
    types: dict[str, object] = dict.fromkeys(names, float)
    types.update(dict.fromkeys(("id", "customer_id", "kind", "respondent", "model_id"), "int64"))
    # In id order: the text comes in no particular order, and the engine's sums follow the
    # order of the rows (a report computed twice from the same data is the same to the bit).
    frame = db.read_numbers(text or "", names, types)
    frame = frame.iloc[np.argsort(frame["id"].to_numpy(), kind="stable")].reset_index(drop=True)

    kind_names = np.array([*KINDS, ""], dtype=object)
    kind = frame["kind"].to_numpy()
    assessments = pd.DataFrame(
        {
            "id": frame["id"].to_numpy(dtype=np.int64),
            "customer_id": frame["customer_id"].to_numpy(dtype=np.int64),
            "kind": kind_names[np.where((kind >= 0) & (kind < len(KINDS)), kind, len(KINDS))],
            "respondent": frame["respondent"].to_numpy(dtype=np.int64),
            "assessed_at": db.epoch_to_utc(frame["epoch"].to_numpy()),
        }
    )

    # The values, long: one row per answered (assessment, element), its code by model.
    codes = dict(Element.objects.values_list("pk", "code"))
    categories = sorted(set(codes.values()))
    code_index = {code: position for position, code in enumerate(categories)}
    models = sorted(order)
    layout = np.full((len(models), max(width, 1)), -1, dtype=np.int64)
    for row, model_id in enumerate(models):
        for column, element_id in enumerate(order[model_id]):
            layout[row, column] = code_index[codes[element_id]]
    values = frame[list(names[len(HEADER) :])].to_numpy(dtype=float).reshape(len(frame), width)
    answered_row, position = np.nonzero(~np.isnan(values))
    model_row = np.searchsorted(models, frame["model_id"].to_numpy())[answered_row]
    scores = pd.DataFrame(
        {
            "assessment_id": assessments["id"].to_numpy()[answered_row],
            "code": pd.Categorical.from_codes(layout[model_row, position], categories=categories),
            "value": values[answered_row, position],
        }
    )
    return assessments, scores
