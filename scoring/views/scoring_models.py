"""The model editor (management): the versions, editing a draft, publishing it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from scoring import selectors, services
from scoring.forms import ElementFormSet, ScoringModelForm
from scoring.models import ScoringJob, ScoringModel
from scoring.roles import management_required


@management_required
def model_list(request: HttpRequest) -> HttpResponse:
    """Every version of the scoring model: the active one, earlier ones and drafts."""
    return render(
        request,
        "scoring/model_list.html",
        {
            "models": selectors.scoring_models_listed(),
            "job": selectors.scoring_job_unfinished(),
            "draft": selectors.scoring_model_draft(),
        },
    )


@management_required
@require_POST
def model_draft_create(request: HttpRequest) -> HttpResponse:
    existing = selectors.scoring_model_draft()
    if existing is not None:
        messages.info(
            request,
            _(
                "Draft version %(version)s is still being prepared: continue it, or discard it "
                "before starting another."
            )
            % {"version": existing.version},
        )
        return redirect("scoring:model-edit", pk=existing.pk)
    draft = services.scoring_model_draft_create()
    messages.success(
        request,
        _("Draft version %(version)s is a copy of the active model: change it, then publish.")
        % {"version": draft.version},
    )
    return redirect("scoring:model-edit", pk=draft.pk)


@management_required
def model_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a draft's elements (weights, names, guidance, questions; add and retire)."""
    scoring_model = get_object_or_404(ScoringModel, pk=pk)
    elements = selectors.model_elements(scoring_model)
    if not scoring_model.is_draft:
        return render(
            request,
            "scoring/model_detail.html",
            {"scoring_model": scoring_model, "elements": elements},
        )
    if request.method == "POST":
        form = ScoringModelForm(request.POST, instance=scoring_model, prefix="model")
        formset = ElementFormSet(
            request.POST, instance=scoring_model, queryset=elements, prefix="elements"
        )
        if form.is_valid() and formset.is_valid():
            services.scoring_model_draft_save(form=form, formset=formset)
            if "preview" in request.POST:
                return redirect("scoring:model-publish", pk=scoring_model.pk)
            messages.success(request, _("The draft is saved."))
            return redirect("scoring:model-edit", pk=scoring_model.pk)
        messages.error(request, _("The draft was not saved: correct the marked fields."))
    else:
        form = ScoringModelForm(instance=scoring_model, prefix="model")
        formset = ElementFormSet(instance=scoring_model, queryset=elements, prefix="elements")
    return render(
        request,
        "scoring/model_edit.html",
        {"scoring_model": scoring_model, "form": form, "formset": formset},
    )


@management_required
def model_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Before publishing, what would change (kept until the draft or the data change);
    publishing starts a background job that recomputes every score."""
    draft = get_object_or_404(ScoringModel, pk=pk)
    if not draft.is_draft:
        messages.info(
            request, _("Version %(version)s is already published.") % {"version": draft.version}
        )
        return redirect("scoring:model-list")
    if request.method == "POST":
        try:
            job = services.scoring_job_start(
                kind=ScoringJob.Kind.PUBLISH,
                scoring_model=draft,
                user=request.user,  # type: ignore[arg-type]
            )
        except services.ScoringJobBusyError as error:
            messages.error(request, error.messages[0])
            return redirect("scoring:job-detail", pk=error.job.pk)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("scoring:model-edit", pk=draft.pk)
        return redirect("scoring:job-detail", pk=job.pk)
    publish = selectors.publish_preview(draft=draft)
    return render(
        request,
        "scoring/model_publish.html",
        {
            "draft": draft,
            "active": publish.active,
            "preview": publish.preview,
            "changes": publish.changes,
        },
    )


@management_required
@require_POST
def model_discard(request: HttpRequest, pk: int) -> HttpResponse:
    draft = get_object_or_404(ScoringModel, pk=pk, published_at__isnull=True)
    version = services.scoring_model_draft_discard(draft=draft)
    messages.success(request, _("Draft version %(version)s is discarded.") % {"version": version})
    return redirect("scoring:model-list")


@management_required
@require_POST
def scores_recompute(request: HttpRequest) -> HttpResponse:
    """Recompute every customer's score with the active model, in the background."""
    try:
        job = services.scoring_job_start(
            kind=ScoringJob.Kind.RECOMPUTE,
            user=request.user,  # type: ignore[arg-type]
        )
    except services.ScoringJobBusyError as error:
        messages.error(request, error.messages[0])
        job = error.job
    return redirect("scoring:job-detail", pk=job.pk)


@management_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A background job's progress; the page polls ``job_status`` (or, without JavaScript,
    reloads itself) until the job is done, then says so."""
    job = get_object_or_404(ScoringJob.objects.select_related("scoring_model"), pk=pk)
    return render(request, "scoring/job_detail.html", {"status": selectors.scoring_job_status(job)})


@management_required
def job_status(request: HttpRequest, pk: int) -> JsonResponse:
    """The job's progress as a small JSON object, for the progress bar."""
    job = get_object_or_404(ScoringJob.objects.select_related("scoring_model"), pk=pk)
    response = JsonResponse(selectors.scoring_job_status(job).as_json())
    response["Cache-Control"] = "no-store"
    return response
