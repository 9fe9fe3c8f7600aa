"""Actions to and from CSV or XLSX (management)."""

from __future__ import annotations

import io

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from actions import exports, imports, selectors
from actions.forms import BoardFilterForm, UploadForm
from actions.models import Action
from actions.views import signed_in
from scoring.imports import ImportFailed, table_read
from scoring.views import management_required


def _filtered(request: HttpRequest):
    filters = BoardFilterForm(request.GET or None).filters()
    actions = Action.objects.all()
    if filters.element is not None:
        actions = actions.filter(element_code=filters.element)
    if filters.owner_id:
        actions = actions.filter(owner_id=filters.owner_id)
    if filters.action_type_id:
        actions = actions.filter(action_type_id=filters.action_type_id)
    if filters.band:
        actions = actions.filter(
            customer__snapshots__is_current=True, customer__snapshots__band=filters.band
        )
    return actions


@management_required
def actions_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The board's actions (with its filters) as a file the import reads back."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    rows = exports.action_rows(_filtered(request))
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        text = io.StringIO()
        exports.write_csv(rows, exports.ACTION_COLUMNS, text)
        response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        data = io.BytesIO()
        exports.write_xlsx(rows, exports.ACTION_COLUMNS, data)
        response = HttpResponse(
            data.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="actions-{stamp}.{fmt}"'
    return response


@management_required
@require_http_methods(["GET", "POST"])
def actions_upload(request: HttpRequest) -> HttpResponse:
    """Upload a file of actions: all rows are created, or none and every problem is listed."""
    form = UploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            summary = imports.actions_import(
                table=table_read(upload.read(), upload.name), by=signed_in(request)
            )
        except ImportFailed as failure:
            problems = [str(error) for error in failure.errors]
        else:
            messages.success(request, _("%(count)d actions imported.") % {"count": summary.created})
            return redirect("actions:board")
    return render(
        request,
        "actions/upload.html",
        {
            "form": form,
            "problems": problems,
            "columns": imports.REQUIRED,
            "optional": [c for c in exports.ACTION_IMPORT_COLUMNS if c not in imports.REQUIRED],
            "types": selectors.action_types_active(),
        },
    )
