"""Reads about scoring models: the active version, its elements, and what publishing a draft
would change."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

import pandas as pd
from django.core.cache import cache
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from scoring import calculations, snapshots
from scoring.conf import rule_params
from scoring.models import Customer, Element, ScoringJob, ScoringModel


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


# Per process, like the asked elements below: a published model's elements never change.
_rule_elements: dict[tuple[int, datetime], calculations.RuleElements] = {}


def rule_elements(scoring_model: ScoringModel) -> calculations.RuleElements:
    """The model's elements as the one-customer rule takes them. A published model's are read
    once per process: the customer page, the live preview and the submit ask every time."""
    key = (scoring_model.pk, scoring_model.published_at) if scoring_model.published_at else None
    if key is not None and key in _rule_elements:
        return _rule_elements[key]
    rows = list(
        Element.objects.filter(scoring_model=scoring_model)
        .order_by("order", "pk")
        .values_list("code", "factor", "weight")
    )
    elements = calculations.RuleElements.of(
        [code for code, _f, _w in rows],
        [factor for _c, factor, _w in rows],
        [float(weight) for _c, _f, weight in rows],
    )
    if key is not None:
        _rule_elements[key] = elements
    return elements


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


def scoring_model_publishes() -> list[tuple[datetime, int]]:
    """When each scoring model after the first version was published (oldest first), with its
    version: the moments the trend charts and the history mark, where every stored score was
    re-weighted."""
    rows = list(
        ScoringModel.objects.filter(published_at__isnull=False)
        .exclude(version=ScoringModel.objects.order_by("version").values("version")[:1])
        .order_by("published_at", "pk")
        .values_list("published_at", "version")
    )
    return [(at, version) for at, version in rows if at is not None]


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
    coverage_changes: int  # adding or retiring an element changes everyone's coverage
    provisional_changes: int
    transitions: list[BandTransition]
    movers: list[Mover]


def scoring_model_preview(
    *, draft: ScoringModel, now: datetime | None = None, movers: int = 10
) -> ModelPreview:
    """What publishing ``draft`` would change, without writing anything.

    One pass of the rule over every customer with the draft's elements, compared with the
    stored current scores that publishing replaces: how many customers change band (and
    between which bands), score, coverage and the provisional mark, and the biggest movers.
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
        snapshots.current_values("customer_id", "binding_score", "band", "coverage", "provisional"),
        columns=["customer_id", "before", "band_before", "coverage_before", "provisional_before"],
    ).set_index("customer_id")
    table = (
        result.scores[["binding_score", "band", "coverage", "provisional"]]
        .rename(columns={"binding_score": "after", "band": "band_after"})
        .join(stored)
    )
    table["band_before"] = table["band_before"].fillna("")
    table["before"] = table["before"].astype(float)
    table["change"] = table["after"] - table["before"]
    # Compared as the publish's result counts (a customer without a snapshot: no score, 0 %).
    counts = calculations.result_changes(
        before={
            "binding_score": table["before"].tolist(),
            "band": table["band_before"].tolist(),
            "coverage": table["coverage_before"].astype(float).fillna(0.0).tolist(),
            "provisional": table["provisional_before"].fillna(True).astype(bool).tolist(),
        },
        after={
            "binding_score": table["after"].tolist(),
            "band": table["band_after"].tolist(),
            "coverage": table["coverage"].tolist(),
            "provisional": table["provisional"].tolist(),
        },
    )
    band_changed = table[table["band_before"] != table["band_after"]]
    transitions = band_changed.groupby(["band_before", "band_after"]).size()
    top = table[table["change"].notna()]
    top = top.loc[top["change"].abs().sort_values(ascending=False, kind="stable").index[:movers]]
    top = top[top["change"].abs() >= 0.05]
    names = dict(Customer.objects.filter(pk__in=top.index.tolist()).values_list("pk", "name"))
    return {
        "customers": len(table),
        "band_changes": counts["band_changes"],
        "score_changes": counts["score_changes"],
        "coverage_changes": counts["coverage_changes"],
        "provisional_changes": counts["provisional_changes"],
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


def publish_preview_key(draft: ScoringModel) -> str:
    """The cache key of a draft's preview: the draft's elements as they stand (every field),
    the stored data it is compared with (``dashboard_version``) and the day. Saving a change
    to the draft, a submit or a recompute changes it; another look at the page does not."""
    from scoring.selectors.dashboard import dashboard_version

    elements = list(Element.objects.filter(scoring_model=draft).order_by("pk").values_list())
    raw = "|".join(
        [
            str(draft.pk),
            str(draft.version),
            repr(elements),
            dashboard_version(),
            str(timezone.localdate()),
        ]
    )
    return "kb:publish-preview:" + hashlib.blake2b(raw.encode(), digest_size=20).hexdigest()


def publish_preview(*, draft: ScoringModel) -> PublishPreview:
    """Everything the publish page shows before the draft is published. The rule's pass over
    every customer is computed once per change of the draft or the data, then kept in the
    cache (Redis in production)."""
    active = scoring_model_active()
    key = publish_preview_key(draft)
    preview = cache.get(key)
    if preview is None:
        preview = scoring_model_preview(draft=draft)
        cache.set(key, preview, PREVIEW_CACHE_SECONDS)
    return PublishPreview(active=active, preview=preview, changes=model_changes(active, draft))


# A kept preview is dropped after a day at the latest (the key has the date in it too).
PREVIEW_CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class JobStatus:
    """Where a background job stands, for its page and its status endpoint."""

    job: ScoringJob
    percent: int
    message: str
    done: int | None = None  # an import's rows done in its current step (else the job's)
    total: int | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.job.pk,
            "kind": self.job.kind,
            "state": self.job.state,
            "done": self.job.done if self.done is None else self.done,
            "total": self.job.total if self.total is None else self.total,
            "changed": self.job.changed,
            "band_changes": self.job.band_changes,
            "score_changes": self.job.score_changes,
            "coverage_changes": self.job.coverage_changes,
            "provisional_changes": self.job.provisional_changes,
            "percent": self.percent,
            "finished": self.job.finished,
            "message": self.message,
        }


def import_progress_key(job_id: int) -> str:
    """Where an import's worker reports its progress (the cache)."""
    return f"kb:import-progress:{job_id}"


def import_job_progress(job_id: int) -> dict[str, int] | None:
    """A running import's progress as its worker last reported it: ``percent``, ``done`` and
    ``total`` rows of the current step, ``writing`` (0 while checking, 1 while writing).

    The import is one transaction, so its progress cannot be read from its (uncommitted)
    rows: the worker reports it through the cache (Redis in production; the development
    cache is per process, so there the page shows the state only)."""
    progress: dict[str, int] | None = cache.get(import_progress_key(job_id))
    return progress


def _import_summary_text(job: ScoringJob) -> str:
    """What a finished import wrote, in sentences with the right singular and plural."""
    summary = job.summary or {}
    customers = job.kind == ScoringJob.Kind.IMPORT_CUSTOMERS
    created = int(summary.get("created", 0))
    if customers:
        parts = [
            ngettext("%(count)d customer created", "%(count)d customers created", created),
            ngettext(
                "%(count)d customer updated",
                "%(count)d customers updated",
                int(summary.get("updated", 0)),
            ),
            ngettext(
                "%(count)d customer unchanged",
                "%(count)d customers unchanged",
                int(summary.get("skipped", 0)),
            ),
        ]
        counts = [created, int(summary.get("updated", 0)), int(summary.get("skipped", 0))]
    else:
        parts = [
            ngettext("%(count)d assessment added", "%(count)d assessments added", created),
            ngettext(
                "%(count)d assessment already imported (skipped)",
                "%(count)d assessments already imported (skipped)",
                int(summary.get("skipped", 0)),
            ),
        ]
        counts = [created, int(summary.get("skipped", 0))]
    said = "; ".join(p % {"count": c} for p, c in zip(parts, counts, strict=True))
    return _("Import done: %(summary)s.") % {"summary": said}


def _import_status(job: ScoringJob) -> JobStatus:
    """An import's progress (from its worker's report while it runs) and a sentence."""
    progress = import_job_progress(job.pk) if job.state == ScoringJob.State.RUNNING else None
    percent = job.percent
    if job.state == ScoringJob.State.DONE:
        message = _import_summary_text(job)
    elif job.state == ScoringJob.State.FAILED:
        message = job.error or _("The import stopped with an error; nothing was written.")
    elif progress is not None:
        percent = progress["percent"]
        numbers = {"done": progress["done"], "total": progress["total"]}
        if progress["writing"]:
            message = (
                ngettext(
                    "Writing: %(done)d of %(total)d row.",
                    "Writing: %(done)d of %(total)d rows.",
                    progress["total"],
                )
                % numbers
            )
        else:
            message = (
                ngettext(
                    "Checking: %(done)d of %(total)d row.",
                    "Checking: %(done)d of %(total)d rows.",
                    progress["total"],
                )
                % numbers
            )
    elif job.state == ScoringJob.State.RUNNING:
        message = ngettext("Importing %(total)d row…", "Importing %(total)d rows…", job.total) % {
            "total": job.total
        }
    else:
        message = _("Waiting for a worker to start the job.")
    return JobStatus(
        job=job,
        percent=percent,
        message=message,
        done=progress["done"] if progress else None,
        total=progress["total"] if progress else None,
    )


def scoring_job_status(job: ScoringJob) -> JobStatus:
    """The job's progress and a sentence about it in the user's language."""
    if job.is_import:
        return _import_status(job)
    state = ScoringJob.State
    numbers = {"done": job.done, "total": job.total, "changed": job.changed}
    if job.state == state.DONE:
        counts = {
            "customers": job.done,
            "bands": job.band_changes,
            "scores": job.score_changes,
            "coverages": job.coverage_changes,
            "provisionals": job.provisional_changes,
        }
        changes = (
            _(
                "%(bands)d changed band, %(scores)d got another score, %(coverages)d another "
                "coverage and %(provisionals)d changed provisional mark."
            )
            % counts
        )
        if job.kind == ScoringJob.Kind.PUBLISH and job.scoring_model is not None:
            message = (
                _(
                    "Version %(version)s is published. The scores of %(customers)d customers "
                    "were recomputed:"
                )
                % {"version": job.scoring_model.version, "customers": job.done}
                + " "
                + changes
            )
        else:
            message = (
                _("Done: the scores of %(customers)d customers were recomputed:")
                % {"customers": job.done}
                + " "
                + changes
            )
    elif job.state == state.FAILED:
        message = (
            _(
                "The job stopped with an error after %(done)d of %(total)d customers. It continues "
                "where it stopped when a worker starts again."
            )
            % numbers
        )
    elif job.state == state.PENDING:
        message = _("Waiting for a worker to start the job.")
    else:
        message = _("%(done)d of %(total)d customers recomputed so far.") % numbers
    return JobStatus(job=job, percent=job.percent, message=message)


def scoring_job_unfinished() -> ScoringJob | None:
    """The publish or recompute that is still waiting or running, if any."""
    return (
        ScoringJob.objects.filter(state__in=[ScoringJob.State.PENDING, ScoringJob.State.RUNNING])
        .order_by("pk")
        .first()
    )
