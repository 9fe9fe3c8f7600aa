"""The effect report (management) and its export to CSV and XLSX."""

from __future__ import annotations

import io

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from actions import charts, exports, selectors, services
from scoring.charts import figure_json, template_json
from scoring.views import management_required


def _figures(page: selectors.ReportPage) -> list[dict]:
    """One forest plot per unit: elements (0–6) and, when there are any, the whole binding."""
    figures = []
    for unit, title in (
        ("scale", _("Elements, 0–6 scale")),
        ("points", _("Whole binding, score points")),
    ):
        rows = [(view.title, row) for view, row in page.forest if row.unit == unit]
        if rows:
            figure = charts.forest_figure(rows, unit=unit)
            figures.append({"unit": unit, "title": title, "json": figure_json(figure)})
    return figures


@management_required
def effect_report(request: HttpRequest) -> HttpResponse:
    """Both estimators for every campaign and every action type × element, on one page."""
    page = services.effect_report_current()
    if page is None:  # the first report is being computed in the background
        return render(request, "actions/report_pending.html")
    # The split benchmarks/bench_actions.py reports.
    request.report_timings = page.timings  # type: ignore[attr-defined]
    return render(
        request,
        "actions/report.html",
        {"page": page, "figures": _figures(page), "plotly_template": template_json()},
    )


@management_required
def effect_report_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404
    page = services.effect_report_current() or selectors.report_page()
    rows = selectors.report_export_rows(page)
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        text = io.StringIO()
        exports.write_csv(rows, exports.REPORT_COLUMNS, text)
        response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        data = io.BytesIO()
        exports.write_xlsx(rows, exports.REPORT_COLUMNS, data, sheet="effects")
        response = HttpResponse(
            data.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="effect-report-{stamp}.{fmt}"'
    return response
