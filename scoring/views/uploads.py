"""Spreadsheet uploads (management): upload, check the first rows and every problem, confirm.

Only the session that uploaded a file knows its token; anyone else's token is a 404.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from scoring import imports, selectors
from scoring.forms import UploadForm
from scoring.imports import uploads
from scoring.roles import management_required

UPLOADS_SESSION_KEY = "kb_uploads"
PREVIEW_ROWS = 10


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
            token = uploads.upload_store(uploaded.chunks())
            pending = dict(request.session.get(UPLOADS_SESSION_KEY, {}))
            pending[token] = {"kind": form.cleaned_data["kind"], "name": Path(uploaded.name).name}
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
    """The first rows and every problem; confirming imports the file, all or nothing."""
    info = _upload_info(request, token)
    if "summary" in info:
        return redirect("scoring:upload-done", token=token)  # confirmed twice
    data = uploads.upload_read(token)
    if data is None:
        raise Http404
    kind = info["kind"]
    errors: list[imports.RowError] = []
    table = None
    check = None
    try:
        table = imports.table_read(data, info["name"])
        if request.method == "POST":
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
            uploads.upload_forget(token)
            pending = dict(request.session.get(UPLOADS_SESSION_KEY, {}))
            pending[token] = {**info, "summary": summary.__dict__}
            request.session[UPLOADS_SESSION_KEY] = pending
            return redirect("scoring:upload-done", token=token)
        check = uploads.upload_check(kind, table)
    except imports.ImportFailed as failure:
        errors = failure.errors
    except ValidationError as error:  # a service refusing what the checks let through
        errors = [imports.RowError(None, None, m) for m in error.messages]
    return render(
        request,
        "scoring/upload_preview.html",
        {
            "token": token,
            "info": info,
            "kind_label": _kind_label(kind),
            "table": table,
            "preview_rows": uploads.preview_rows(table, PREVIEW_ROWS) if table else [],
            "more_rows": max(0, len(table.rows) - PREVIEW_ROWS) if table else 0,
            "errors": errors,
            "check": check,
        },
    )


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
