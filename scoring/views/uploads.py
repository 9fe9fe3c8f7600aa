"""Spreadsheet uploads (management): upload, check the first rows and every problem, confirm.

Only the session that uploaded a file knows its token; anyone else's token is a 404.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from scoring import imports, selectors, services
from scoring.forms import UploadForm
from scoring.imports import uploads
from scoring.roles import management_required

UPLOADS_SESSION_KEY = "kb_uploads"


def _upload_info(request: HttpRequest, token: str) -> dict[str, Any]:
    """The session's upload with this token; 404 for anyone else's."""
    info = request.session.get(UPLOADS_SESSION_KEY, {}).get(token)
    if not uploads.UPLOAD_TOKEN.match(token) or info is None:
        raise Http404
    return info


def _kind_label(kind: str) -> str:
    return str(dict(UploadForm.base_fields["kind"].choices)[kind])  # type: ignore[attr-defined]


@management_required
def upload(request: HttpRequest) -> HttpResponse:
    """Upload a customers or assessments spreadsheet; it is checked before anything is written."""
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            uploaded = form.cleaned_data["file"]
            name = Path(uploaded.name).name
            kind = form.cleaned_data["kind"]
            token = uploads.upload_prepare(kind, name, uploaded.read())
            pending = dict(request.session.get(UPLOADS_SESSION_KEY, {}))
            pending[token] = {"kind": kind, "name": name}
            request.session[UPLOADS_SESSION_KEY] = dict(list(pending.items())[-10:])
            return redirect("scoring:upload-preview", token=token)
    else:
        form = UploadForm()
    return render(
        request,
        "scoring/upload.html",
        {
            "form": form,
            "customer_columns": imports.CUSTOMER_COLUMNS,
            "contact_columns": imports.CONTACT_COLUMNS,
            "assessment_columns": [
                *imports.ASSESSMENT_COLUMNS,
                *imports.ASSESSMENT_OPTIONAL_COLUMNS,
            ],
            "element_codes": [
                e.code for e in selectors.model_elements(selectors.scoring_model_active())
            ],
        },
    )


@management_required
def upload_preview(request: HttpRequest, token: str) -> HttpResponse:
    """The first rows and every problem, as checked on upload; confirming imports the file,
    all or nothing (its rows are checked again against the database as it is then)."""
    info = _upload_info(request, token)
    if "summary" in info:
        return redirect("scoring:upload-done", token=token)  # confirmed twice
    if "job" in info:
        return redirect("scoring:job-detail", pk=info["job"])  # confirmed twice, in background
    preview = uploads.upload_preview(token)
    if preview is None:
        raise Http404
    kind = info["kind"]
    errors = preview["errors"]
    error_count = preview["error_count"]
    if request.method == "POST" and not errors:
        table = uploads.upload_table(token)
        if table is None:
            raise Http404
        if services.import_in_background(table):
            return _import_in_background(request, token, info, table)
        try:
            if kind == UploadForm.CUSTOMERS:
                summary = imports.customers_import(
                    table=table,
                    imported_by=request.user,  # type: ignore[arg-type]
                )
            else:
                summary = imports.assessments_import(
                    table=table,
                    imported_by=request.user,  # type: ignore[arg-type]
                )
        except imports.ImportFailed as failure:
            errors, error_count = uploads.errors_listed(failure.errors), failure.count
        except ValidationError as error:  # a service refusing what the checks let through
            errors = [{"row": None, "column": None, "message": m} for m in error.messages]
            error_count = len(errors)
        else:
            uploads.upload_forget(token)
            pending = dict(request.session.get(UPLOADS_SESSION_KEY, {}))
            pending[token] = {**info, "summary": summary.__dict__}
            request.session[UPLOADS_SESSION_KEY] = pending
            return redirect("scoring:upload-done", token=token)
    return render(
        request,
        "scoring/upload_preview.html",
        {
            "token": token,
            "info": info,
            "kind_label": _kind_label(kind),
            "header": preview["header"],
            "preview_rows": preview["rows"],
            "more_rows": preview["more_rows"],
            "errors": errors,
            "error_count": error_count,
            "unlisted_errors": error_count - len(errors),
            "check": None if errors else preview["check"],
        },
    )


def _import_in_background(
    request: HttpRequest, token: str, info: dict[str, Any], table: imports.Table
) -> HttpResponse:
    """Hand a large file to a worker and show the job's progress page; while another job
    runs, say so and keep the checked file for a later confirm."""
    try:
        job = services.import_job_start(
            kind=info["kind"],
            table=table,
            file_name=info["name"],
            user=request.user,  # type: ignore[arg-type]
        )
    except services.ScoringJobBusyError as error:
        messages.error(request, error.messages[0])
        return redirect("scoring:upload-preview", token=token)
    uploads.upload_forget(token)
    pending = dict(request.session.get(UPLOADS_SESSION_KEY, {}))
    pending[token] = {**info, "job": job.pk}
    request.session[UPLOADS_SESSION_KEY] = pending
    return redirect("scoring:job-detail", pk=job.pk)


@management_required
def upload_done(request: HttpRequest, token: str) -> HttpResponse:
    info = _upload_info(request, token)
    if "summary" not in info:
        return redirect("scoring:upload-preview", token=token)
    return render(
        request,
        "scoring/upload_done.html",
        {
            "info": info,
            "summary": info["summary"],
            "kind_label": _kind_label(info["kind"]),
            "list_url": reverse("scoring:customer-list"),
        },
    )
