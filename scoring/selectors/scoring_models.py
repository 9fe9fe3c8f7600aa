"""Reads about scoring models: the active version, its elements, and what publishing a draft
would change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

import numpy as np
import pandas as pd
from django.db.models import Count, QuerySet
from django.utils import timezone

from scoring import calculations, snapshots
from scoring.conf import rule_params
from scoring.models import Customer, Element, ScoringModel


class NoActiveModelError(LookupError):
    """The database has no active scoring model (the data migration did not run)."""


def scoring_model_active() -> ScoringModel:
    """The scoring model that scores are computed with now."""
    model = ScoringModel.objects.filter(is_active=True).first()
    if model is None:
        raise NoActiveModelError("no active scoring model; run manage.py migrate")
    return model


def scoring_model_draft() -> ScoringModel | None:
    """The draft being prepared, if any: there is one at a time."""
    return ScoringModel.objects.filter(published_at__isnull=True).order_by("version").first()


def elements_frame(scoring_model: ScoringModel) -> pd.DataFrame:
    """The model's elements as the rule needs them: code, factor, weight (and order, names)."""
    rows = list(
        Element.objects.filter(scoring_model=scoring_model)
        .order_by("order", "pk")
        .values("code", "factor", "weight", "order", "name_nl", "name_en")
    )
    frame = pd.DataFrame(rows, columns=["code", "factor", "weight", "order", "name_nl", "name_en"])
    return frame.astype({"weight": float})


def model_elements(scoring_model: ScoringModel) -> QuerySet[Element]:
    """The model's elements in matrix order."""
    return scoring_model.elements.order_by("order", "pk")


# A published model's elements never change (new weights make a new version), so they are
# kept per process, keyed by the model and the moment it was published.
_published_elements: dict[tuple[int, datetime, str], list[Element]] = {}


def asked_elements(scoring_model: ScoringModel, kind: str) -> list[Element]:
    """The model's elements put to this respondent kind, in matrix order, each with its
    scoring model. A published model's are read once per process: the matrix and the survey
    pages ask on every visit."""
    if scoring_model.published_at is None:  # a draft still changes
        return [e for e in model_elements(scoring_model) if e.is_asked(kind)]
    key = (scoring_model.pk, scoring_model.published_at, kind)
    elements = _published_elements.get(key)
    if elements is None:
        elements = list(
            model_elements(scoring_model)
            .filter(**{f"asked_{kind}": True})
            .select_related("scoring_model")
        )
        _published_elements[key] = elements
    return list(elements)


def scoring_models_listed() -> QuerySet[ScoringModel]:
    """Every version with its number of elements and who published it, newest first."""
    return ScoringModel.objects.annotate(element_count=Count("elements")).select_related(
        "published_by"
    )


class BandTransition(TypedDict):
    before: str
    after: str
    count: int


class Mover(TypedDict):
    customer_id: int
    name: str
    before: float
    after: float
    change: float
    band_before: str
    band_after: str


class ModelPreview(TypedDict):
    """What publishing a draft would do to the stored scores."""

    customers: int
    band_changes: int
    score_changes: int
    transitions: list[BandTransition]
    movers: list[Mover]


def scoring_model_preview(
    *, draft: ScoringModel, now: datetime | None = None, movers: int = 10
) -> ModelPreview:
    """What publishing ``draft`` would change, without writing anything.

    One pass of the rule over every customer with the draft's elements, compared with the
    stored current scores that publishing replaces: how many customers change band (and
    between which bands), how many change score, and the biggest movers.
    """
    from scoring.selectors.scores import assessment_frames

    now = now or timezone.now()
    params = rule_params()
    universe = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    assessments, scores = assessment_frames(start=params.window_start(now), end=now)
    result = calculations.compute_portfolio(
        assessments, scores, elements_frame(draft), now=now, params=params, customer_ids=universe
    )
    stored = pd.DataFrame(
        snapshots.current_values("customer_id", "binding_score", "band"),
        columns=["customer_id", "before", "band_before"],
    ).set_index("customer_id")
    table = (
        result.scores[["binding_score", "band"]]
        .rename(columns={"binding_score": "after", "band": "band_after"})
        .join(stored)
    )
    table["band_before"] = table["band_before"].fillna("")
    table["before"] = table["before"].astype(float)
    shown_before = calculations.round_half_up(table["before"])
    shown_after = calculations.round_half_up(table["after"])
    table["change"] = table["after"] - table["before"]
    both_empty = np.isnan(shown_before) & np.isnan(shown_after)
    score_changed = (shown_before != shown_after) & ~both_empty
    band_changed = table[table["band_before"] != table["band_after"]]
    transitions = band_changed.groupby(["band_before", "band_after"]).size()
    top = table[table["change"].notna()]
    top = top.loc[top["change"].abs().sort_values(ascending=False, kind="stable").index[:movers]]
    top = top[top["change"].abs() >= 0.05]
    names = dict(Customer.objects.filter(pk__in=top.index.tolist()).values_list("pk", "name"))
    return {
        "customers": len(table),
        "band_changes": len(band_changed),
        "score_changes": int(score_changed.sum()),
        "transitions": [
            {"before": before, "after": after, "count": int(count)}
            for (before, after), count in transitions.sort_values(ascending=False).items()
        ],
        "movers": [
            {
                "customer_id": int(pk),
                "name": names.get(pk, ""),
                "before": float(row.before),
                "after": float(row.after),
                "change": float(row.change),
                "band_before": row.band_before,
                "band_after": row.band_after,
            }
            for pk, row in top.iterrows()
        ],
    }


class ElementChange(TypedDict, total=False):
    """One element the draft adds, changes (which fields; the weight before and after) or
    retires."""

    element: Element
    kind: str  # "added", "changed" or "retired"
    fields: list[str]
    weight: tuple[object, object] | None


def model_changes(active: ScoringModel, draft: ScoringModel) -> list[ElementChange]:
    """Element by element, what the draft changes compared with the active model."""
    fields = [f.name for f in Element._meta.fields if f.name not in ("id", "scoring_model")]
    before = {e.code: e for e in active.elements.all()}
    after = {e.code: e for e in model_elements(draft)}
    changes: list[ElementChange] = []
    for code, element in after.items():
        old = before.get(code)
        if old is None:
            changes.append({"element": element, "kind": "added", "fields": []})
            continue
        differs = [f for f in fields if getattr(old, f) != getattr(element, f)]
        weight = (old.weight, element.weight) if old.weight != element.weight else None
        # Each changed field named once (the Dutch and English names of a text share one
        # name), and the weight only as its before → after.
        changed = list(
            dict.fromkeys(
                str(Element._meta.get_field(f).verbose_name)  # type: ignore[union-attr]
                for f in differs
                if f != "weight"
            )
        )
        if differs:
            changes.append(
                {"element": element, "kind": "changed", "fields": changed, "weight": weight}
            )
    for code, element in before.items():
        if code not in after:
            changes.append({"element": element, "kind": "retired", "fields": []})
    return changes


@dataclass(frozen=True)
class PublishPreview:
    """The publish page: the active version, what publishing the draft does to the stored
    scores, and element by element what it changes."""

    active: ScoringModel
    preview: ModelPreview
    changes: list[ElementChange]


def publish_preview(*, draft: ScoringModel) -> PublishPreview:
    """Everything the publish page shows before the draft is published."""
    active = scoring_model_active()
    return PublishPreview(
        active=active,
        preview=scoring_model_preview(draft=draft),
        changes=model_changes(active, draft),
    )
