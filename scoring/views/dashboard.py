"""The management dashboard: the page, its drill-downs and the export.

Management sees every customer; an account manager sees the same dashboard over their own
customers. The filters live in the URL, so a view can be shared.

The page's figures and tables come from the cache (Django's: the local memory in development,
Redis in production) under a key that changes with the data (``dashboard_cache_key``): the
first request after a snapshot, a customer or the scoring model changed builds them, the rest
are served from the cache. Other apps' panels are cached the same way, each under a key that
also follows the tables it reads (``cached_dashboard_panels_html``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pandas as pd
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from scoring import charts, exports, selectors
from scoring.extensions import cached_dashboard_panels_html
from scoring.forms import DashboardFilterForm
from scoring.models import active_language, band_label
from scoring.roles import is_account_manager, is_management
from scoring.selectors.dashboard import NO_SCORE, QUADRANTS, DashboardFilters, DashboardPage

LIST_SIZE = 15  # entrapped customers and pearls listed on the dashboard itself
PAGE_SIZE = 100  # customers per drill-down page
CUSTOMER_URL_PLACEHOLDER = 2_147_483_647  # swapped for a customer id by dashboard.js


def _querystring(filters: DashboardFilters, **extra: object) -> str:
    """The URL parameters of these filters (and ``extra``), so a view can be shared."""
    params = {
        "account_manager": filters.account_manager_id or "",
        "sector": filters.sector,
        "band": filters.band,
        "date": filters.as_of.isoformat() if filters.as_of else "",
        "moves_from": filters.moves_from.isoformat() if filters.moves_from else "",
        "moves_to": filters.moves_to.isoformat() if filters.moves_to else "",
        **extra,
    }
    return urlencode({k: v for k, v in params.items() if v not in ("", None)})


def _filter_form(request: HttpRequest) -> DashboardFilterForm:
    """The filters from the URL, for management or an account manager (their own customers)."""
    if is_management(request.user):
        management = True
    elif is_account_manager(request.user):
        management = False
    else:
        raise PermissionDenied(_("The dashboard is for management and account managers."))
    return DashboardFilterForm(request.GET, user=request.user, management=management)


def _customer_url_template() -> str:
    """A customer page URL with a placeholder id, or "" while that page does not exist."""
    try:
        return reverse("scoring:customer-detail", kwargs={"pk": CUSTOMER_URL_PLACEHOLDER})
    except NoReverseMatch:
        return ""


def _records(frame: pd.DataFrame, limit: int | None = None) -> list[dict[str, Any]]:
    frame = frame if limit is None else frame.head(limit)
    records = frame.reset_index().to_dict("records")
    for record in records:
        for key, value in record.items():
            if isinstance(value, float) and value != value:  # NaN → None for the templates
                record[key] = None
    return records


def _with_urls(records: list[dict[str, Any]], customer_url: str) -> list[dict[str, Any]]:
    """Each customer record with the URL of its page ("" while that page does not exist)."""
    placeholder = str(CUSTOMER_URL_PLACEHOLDER)
    for record in records:
        record["url"] = customer_url.replace(placeholder, str(record["customer_id"]))
    return records


def _movement_rows(page: DashboardPage) -> tuple[list[Any], list[Any], dict[str, Any]]:
    """The from × to matrix as rows of linked cells, its column heads and the track summary."""
    filters, matrix, summary = page.filters, page.move_matrix, page.tracks
    heads = [{"band": b, "label": band_label(b)} for b in matrix.columns]
    rows = []
    for start in matrix.index:
        cells = []
        for end in matrix.columns:
            query = _querystring(
                filters, show="move", from_band=start or NO_SCORE, to_band=end or NO_SCORE
            )
            cells.append(
                {"count": int(matrix.loc[start, end]), "query": query, "diagonal": start == end}
            )
        rows.append({"band": start, "label": band_label(start), "cells": cells})
    tracks = {
        track: [
            {
                "direction": direction,
                "count": int(summary.loc[track, direction]),
                "query": _querystring(filters, show="track", track=track, direction=direction),
            }
            for direction in summary.columns
        ]
        for track in summary.index
    }
    return heads, rows, tracks


def _dashboard_body(page: DashboardPage) -> dict[str, Any]:
    """What the dashboard template shows of a page, as plain data that can be cached."""
    filters = page.filters
    heads, movement_rows, tracks = _movement_rows(page)
    customer_url = _customer_url_template()
    headline = page.headline
    return {
        "filters": filters,
        "query": _querystring(filters),
        "moment": page.moment,
        "is_now": page.is_now,
        "headline": headline,
        "band_rows": [
            {
                **row,
                "label": band_label(row["band"]),
                "query": _querystring(filters, show="band", which=row["band"] or NO_SCORE),
            }
            for row in headline["bands"]
        ],
        "figures": charts.dashboard_figures(page, active_language()),
        "moves_start": page.moves_start,
        "moves_end": page.moves_end,
        "movement_heads": heads,
        "movement_rows": movement_rows,
        "tracks": tracks,
        "quadrants": [
            {
                "name": name,
                "label": str(label),
                "count": page.quadrant_counts.get(name, 0),
                "query": _querystring(filters, show="quadrant", which=name),
            }
            for name, label in QUADRANTS.items()
        ],
        "entrapped": _with_urls(_records(page.entrapped, LIST_SIZE), customer_url),
        "entrapped_count": len(page.entrapped),
        "entrapped_query": _querystring(filters, show="quadrant", which="entrapped"),
        "gap": _records(page.gap),
        "wall": _records(page.wall),
        "pearls": _with_urls(_records(page.pearls, LIST_SIZE), customer_url),
        "pearls_count": len(page.pearls),
        "pearls_query": _querystring(filters, show="pearls"),
        "overdue_query": _querystring(filters, show="overdue"),
        "lowest_count": len(page.lowest),
        "customer_url": customer_url,
    }


def _cache_seconds() -> int:
    """How long a cached dashboard may serve at most: its key follows the data, this bounds
    what only the passing of time changes (who is due for re-scoring)."""
    return int(settings.KLANTBINDING.get("DASHBOARD_CACHE_SECONDS", 300))


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """The dashboard: headline figures, trend, movements, quadrants, gaps, wall, Pareto."""
    form = _filter_form(request)
    filters = form.filters()
    try:
        key = selectors.dashboard_cache_key(request.user, filters, active_language())
        body = cache.get(key)
        if body is None:
            body = _dashboard_body(selectors.dashboard_page(request.user, filters))
            cache.set(key, body, _cache_seconds())
    except selectors.NoActiveModelError:
        return render(
            request,
            "scoring/dashboard_unavailable.html",
            {"reason": _("There is no active scoring model yet.")},
            status=503,
        )
    in_view = selectors.dashboard_customers(request.user, filters)
    context = {
        **body,
        "form": form,
        "plotly_template": charts.template_json(),
        "panels": cached_dashboard_panels_html(request, in_view, key, _cache_seconds()),
        "selection_url": reverse("scoring:dashboard-customers"),  # base.html has customers_url
        "placeholder": CUSTOMER_URL_PLACEHOLDER,
    }
    return render(request, "scoring/dashboard.html", context)


@login_required
def dashboard_customers(request: HttpRequest) -> HttpResponse:
    """The customers behind one number of the dashboard, a page at a time."""
    form = _filter_form(request)
    filters = form.filters()
    selection = selectors.dashboard_selection(request.user, filters, request.GET)
    customers = selection.customers
    # Paginate positions, then turn only this page's rows into records.
    page = Paginator(range(len(customers)), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _records(customers.iloc[page.start_index() - 1 : page.end_index()]) if page else []
    return render(
        request,
        "scoring/dashboard_customers.html",
        {
            "form": form,
            "title": selection.title,
            "error": selection.error,
            "page": page,
            "rows": rows,
            "count": len(customers),
            "moves": selection.moves,
            "query": _querystring(filters, **selection.params),
            "dashboard_query": _querystring(filters),
        },
    )


@login_required
def dashboard_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The customers in view (or of one drill-down) with their scores, as CSV or XLSX."""
    if fmt not in exports.CONTENT_TYPES:
        raise Http404(_("Export as CSV or XLSX."))
    form = _filter_form(request)
    selection = selectors.dashboard_selection(request.user, form.filters(), request.GET)
    body = exports.export_bytes(exports.selection_rows(selection), fmt)
    response = HttpResponse(body, content_type=exports.CONTENT_TYPES[fmt])
    name = f"klantbinding-{timezone.localdate().isoformat()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
