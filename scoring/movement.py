"""Why did it move: a customer's score change between two snapshots, split per element.

The maths is ``calculations.score_change_lines``; this module reads what it needs (the two
snapshots' element values, the active model's weights, the assessments around the two
moments) and names the lines for a page, an alert or the API.

Like with like (DESIGN.md §6): both ends are scored with the *active* scoring model. A
snapshot stores the element values *v_e* of the model it was computed with; when the older
snapshot was stored with another model version, its values are matched to the active model's
elements by code (elements the active model does not have are left out, elements it added
count as unanswered) and scored again with the active weights. So a movement across a model
publish shows only what the customer's answers did, not the re-weighting: its "before" is
what the older snapshot scores under today's model, which may differ from the score shown at
the time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.utils.translation import gettext as _

from scoring import calculations, selectors, snapshots
from scoring.conf import rule_params
from scoring.models import (
    Customer,
    Element,
    RespondentKind,
    ScoreSnapshot,
    ScoringModel,
    details_lists,
)

KIND_LABELS = dict(RespondentKind.choices)


@dataclass(frozen=True)
class AssessmentMove:
    """An assessment that came into or dropped out of the validity window between the two."""

    assessment_id: int
    kind: str
    kind_label: str
    at: datetime
    came_in: bool


@dataclass(frozen=True)
class MovementLine:
    """One element's contribution (``code`` "" for the rest line), in score points."""

    code: str
    name: str
    change: float  # exact
    shown: float  # rounded to one decimal; the shown lines add up to the shown change
    assessments: tuple[AssessmentMove, ...] = ()

    @property
    def is_rest(self) -> bool:
        return not self.code


@dataclass(frozen=True)
class ScoreMovement:
    """A customer's step from one snapshot to the next, scored like with like."""

    customer_id: int
    before_snapshot_id: int | None
    after_snapshot_id: int
    before_at: datetime | None
    after_at: datetime
    before: float | None
    after: float | None
    band_before: str
    band_after: str
    reweighted: bool  # the older snapshot was stored with another model version
    lines: tuple[MovementLine, ...]
    # The version whose publish wrote the newer snapshot (its answers re-scored, no opinion
    # of its own): the history shows it as the publish, None for a movement of the customer.
    published_version: int | None = None

    @property
    def shown_change(self) -> float | None:
        """After as shown minus before as shown (what the lines add up to)."""
        if self.before is None or self.after is None:
            return None
        return round(sum(line.shown for line in self.lines), 1)

    @property
    def top_element(self) -> str:
        """The element that moved the score most (down first), "" when none moved."""
        elements = [line for line in self.lines if not line.is_rest]
        if not elements:
            return ""
        falling = [line for line in elements if line.change < 0]
        return min(falling or elements, key=lambda line: -abs(line.change)).code


@dataclass(frozen=True)
class _ActiveModel:
    model_id: int
    codes: list[str]
    weights: np.ndarray
    names: dict[str, str]


def _active_model() -> _ActiveModel:
    model = selectors.scoring_model_active()
    elements = list(Element.objects.filter(scoring_model=model).order_by("order", "pk"))
    return _ActiveModel(
        model_id=model.pk,
        codes=[e.code for e in elements],
        weights=np.array([float(e.weight) for e in elements]),
        names={e.code: e.name for e in elements},
    )


def _values_for(
    snapshot: ScoreSnapshot, codes_of: dict[int, list[str]], active: _ActiveModel, kind: str
) -> list[float | None]:
    """The snapshot's values (or one kind's means) in the active model's element order."""
    own = codes_of.get(snapshot.scoring_model_id, [])
    stored = dict(zip(own, details_lists(snapshot.details, len(own))[kind], strict=True))
    return [stored.get(code) for code in active.codes]


def _score_of(
    snapshot: ScoreSnapshot, values: list[float | None], active: _ActiveModel
) -> float | None:
    """The stored score when the snapshot has the active model, else its values re-scored."""
    if snapshot.scoring_model_id == active.model_id:
        return snapshot.binding_score
    score = calculations.values_score(
        np.array([np.nan if v is None else v for v in values], dtype=float), active.weights
    )[0][0]
    return None if np.isnan(score) else float(score)


def movements(
    pairs: Sequence[tuple[ScoreSnapshot | None, ScoreSnapshot]], *, with_assessments: bool = True
) -> list[ScoreMovement]:
    """The movement of each (older, newer) pair of one or more customers' snapshots.

    A fixed number of queries whatever the number of pairs: the active model, the element
    codes of the snapshots' models and, ``with_assessments``, the assessments around them.
    """
    if not pairs:
        return []
    params = rule_params()
    active = _active_model()
    model_ids = {s.scoring_model_id for pair in pairs for s in pair if s is not None}
    codes_of = snapshots.model_codes(model_ids)
    versions = dict(ScoringModel.objects.filter(pk__in=model_ids).values_list("pk", "version"))
    frames = _assessment_frames(pairs, params) if with_assessments else None
    result = []
    for before, after in pairs:
        after_values = _values_for(after, codes_of, active, "elements")
        after_score = _score_of(after, after_values, active)
        if before is not None:
            before_values = _values_for(before, codes_of, active, "elements")
            before_score = _score_of(before, before_values, active)
        else:
            before_values, before_score = [None] * len(active.codes), None
        change = calculations.score_change_lines(
            active.codes,
            list(active.weights),
            before_values,
            after_values,
            before_score=before_score,
            after_score=after_score,
        )
        moves = (
            _assessment_moves(frames, before, after, params)
            if frames is not None and before is not None
            else {}
        )
        lines = []
        placed: set[int] = set()
        for line in change.lines:
            if line.code is None:
                continue
            here = tuple(m for m in moves.get(line.code, ()) if m.assessment_id not in placed)
            placed.update(m.assessment_id for m in here)
            lines.append(
                MovementLine(
                    code=line.code,
                    name=active.names.get(line.code, line.code),
                    change=line.change,
                    shown=line.shown / 10.0,
                    assessments=here,
                )
            )
        if change.lines:
            rest = change.lines[-1]
            others = {
                m.assessment_id: m
                for code_moves in moves.values()
                for m in code_moves
                if m.assessment_id not in placed
            }
            lines.append(
                MovementLine(
                    code="",
                    name=_("Coverage or respondents changed"),
                    change=rest.change,
                    shown=rest.shown / 10.0,
                    assessments=tuple(sorted(others.values(), key=lambda m: m.at)),
                )
            )
        thresholds = params.band_thresholds
        result.append(
            ScoreMovement(
                customer_id=after.customer_id,
                before_snapshot_id=before.pk if before is not None else None,
                after_snapshot_id=after.pk,
                before_at=before.computed_at if before is not None else None,
                after_at=after.computed_at,
                before=change.before,
                after=change.after,
                band_before=calculations.band_of(change.before, thresholds),
                band_after=calculations.band_of(change.after, thresholds),
                reweighted=before is not None and before.scoring_model_id != after.scoring_model_id,
                lines=tuple(lines),
                published_version=versions.get(after.scoring_model_id)
                if after.reweighted
                else None,
            )
        )
    return result


def _assessment_frames(
    pairs: Sequence[tuple[ScoreSnapshot | None, ScoreSnapshot]], params: calculations.RuleParams
) -> dict[int, selectors.CustomerRows]:
    """Per customer, the assessments (and their answered scores) that could count at any of
    the moments, as plain rows (``selectors.customer_rule_rows``, one query for all pairs):
    each pair's work is a few dozen rows, where pandas' fixed cost per call (filter, sort,
    de-duplicate) was most of the customer page's "why it moved"."""
    with_before = [(b, a) for b, a in pairs if b is not None]
    if not with_before:
        return {}
    start = min(b.computed_at for b, _a in with_before)
    end = max(a.computed_at for _b, a in with_before)
    customers = sorted({a.customer_id for _b, a in with_before})
    return selectors.customer_rule_rows(customers, start=params.window_start(start), end=end)


def _assessment_moves(
    frames: dict[int, selectors.CustomerRows],
    before: ScoreSnapshot,
    after: ScoreSnapshot,
    params: calculations.RuleParams,
) -> dict[str, tuple[AssessmentMove, ...]]:
    """Per element code, the assessments with a value for it that came into or dropped out of
    the validity window (as the latest of their respondent) between the two snapshots."""
    mine = frames.get(after.customer_id)
    if mine is None:
        return {}
    assessments, scores = mine
    ids_before = set(
        calculations.counted_assessments(assessments, now=before.computed_at, params=params)
    )
    ids_after = set(
        calculations.counted_assessments(assessments, now=after.computed_at, params=params)
    )
    changed = ids_after ^ ids_before
    if not changed:
        return {}
    rows = {row[0]: row for row in assessments if row[0] in changed}
    by_code: dict[str, list[AssessmentMove]] = {}
    for assessment_id, code, _value in scores:
        if assessment_id not in changed:
            continue
        _id, kind, _respondent, at = rows[assessment_id]
        by_code.setdefault(code, []).append(
            AssessmentMove(
                assessment_id=int(assessment_id),
                kind=kind,
                kind_label=str(KIND_LABELS.get(kind, kind)),
                at=at,
                came_in=assessment_id in ids_after,
            )
        )
    return {code: tuple(sorted(found, key=lambda m: m.at)) for code, found in by_code.items()}


def customer_movements(customer: Customer, *, limit: int = 10) -> list[ScoreMovement]:
    """The customer's newest ``limit`` score changes (snapshot to snapshot), newest first."""
    snapshots = list(
        ScoreSnapshot.objects.filter(customer=customer).order_by("-computed_at", "-pk")[: limit + 1]
    )
    pairs = [
        (snapshots[i + 1] if i + 1 < len(snapshots) else None, snapshots[i])
        for i in range(min(limit, len(snapshots)))
    ]
    # The oldest snapshot on the page has an older one only when the page is full.
    return movements(pairs)


def score_changes(customer: Customer) -> list[ScoreMovement]:
    """The customer page's history of score changes, each with why it moved."""
    return [m for m in customer_movements(customer) if m.before_snapshot_id is not None]
