"""The management dashboard (issue 5): the page, its drill-downs, the export, the customer charts.

Views stay thin: read the filters from the URL, call ``scoring.dashboard`` for the frames,
``scoring.charts`` for the figures, render. Management sees every customer; an account
manager sees the same dashboard over their own customers.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from urllib.parse import urlencode

import pandas as pd
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scoring import charts, exports, selectors
from scoring.calculations import BANDS, band_move_matrix, round_half_up, track_summary
from scoring.conf import rule_params
from scoring.extensions import dashboard_panels, panels_html
from scoring.models import Band, Element, ScoreSnapshot, details_lists
from scoring.roles import is_account_manager, is_management
from scoring.selectors import dashboard
from scoring.selectors.dashboard import DashboardData, DashboardFilters, Stopwatch

LIST_SIZE = 15  # entrapped customers and pearls listed on the dashboard itself
PAGE_SIZE = 100  # customers per drill-down page
CUSTOMER_URL_PLACEHOLDER = 2_147_483_647  # swapped for a customer id by dashboard.js


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d", attrs={"class": "form-control form-control-sm"})


class DashboardFilterForm(forms.Form):
    """The filters, read from the URL. An invalid field is reported and left out."""

    account_manager = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        label=gettext_lazy("Account manager"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    sector = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Sector"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    band = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Band"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    date = forms.DateField(required=False, label=gettext_lazy("Date"), widget=DateInput())
    moves_from = forms.DateField(
        required=False, label=gettext_lazy("Movements from"), widget=DateInput()
    )
    moves_to = forms.DateField(
        required=False, label=gettext_lazy("Movements to"), widget=DateInput()
    )

    def __init__(self, data: object, *, user: object, management: bool) -> None:
        super().__init__(data)
        if management:
            self.fields["account_manager"].choices = [
                ("", _("All account managers")),
                *selectors.account_manager_choices(),
            ]
        else:
            del self.fields["account_manager"]  # an account manager sees their own customers
        sectors = (
            selectors.customers_visible_to(user)
            .filter(active=True)
            .exclude(sector="")
            .order_by("sector")
            .values_list("sector", flat=True)
            .distinct()
        )
        self.fields["sector"].choices = [("", _("All sectors")), *((s, s) for s in sectors)]
        self.fields["band"].choices = [
            ("", _("All bands")),
            *((band, Band(band).label) for band in BANDS),
            (dashboard.NO_SCORE, _("no score")),
        ]

    def _not_future(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value and value > timezone.localdate():
            raise forms.ValidationError(
                _("%(date)s lies in the future.") % {"date": value.isoformat()}
            )
        return value

    def clean_date(self) -> date | None:
        return self._not_future("date")

    def clean_moves_from(self) -> date | None:
        return self._not_future("moves_from")

    def clean_moves_to(self) -> date | None:
        return self._not_future("moves_to")

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("moves_from"), cleaned.get("moves_to")
        if start and end and start > end:
            self.add_error("moves_from", _("The start of the movements lies after their end."))
            cleaned.pop("moves_from", None)
        return cleaned

    def filters(self) -> DashboardFilters:
        """The valid filters; fields with errors count as not set."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return DashboardFilters(
            account_manager_id=data.get("account_manager"),
            sector=data.get("sector") or "",
            band=data.get("band") or "",
            as_of=data.get("date"),
            moves_from=data.get("moves_from"),
            moves_to=data.get("moves_to"),
        )


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


def _allowed(request: HttpRequest) -> bool:
    """Management, or an account manager (who sees their own customers)."""
    if is_management(request.user):
        return True
    if is_account_manager(request.user):
        return False
    raise PermissionDenied(_("The dashboard is for management and account managers."))


def _customer_url_template() -> str:
    """A customer page URL with a placeholder id, or "" while that page does not exist."""
    try:
        return reverse("scoring:customer-detail", kwargs={"pk": CUSTOMER_URL_PLACEHOLDER})
    except NoReverseMatch:
        return ""


def _language() -> str:
    return (translation.get_language() or "nl")[:2]


# --------------------------------------------------------------------------------------------
# The dashboard
# --------------------------------------------------------------------------------------------


def _band_rows(headline: dict, filters: DashboardFilters) -> list[dict]:
    rows = []
    for row in headline["bands"]:
        which = row["band"] or dashboard.NO_SCORE
        rows.append(
            {
                **row,
                "label": charts.band_name(row["band"]),
                "share": 100.0 * row["revenue"] / headline["revenue"]
                if headline["revenue"]
                else None,
                "query": _querystring(filters, show="band", which=which),
            }
        )
    return rows


def _movement_rows(moves: pd.DataFrame, filters: DashboardFilters) -> tuple[list, list, dict]:
    """The from × to matrix as rows of linked cells, its column heads and the track summary."""
    matrix = band_move_matrix(moves)
    heads = [{"band": b, "label": charts.band_name(b)} for b in matrix.columns]
    rows = []
    for start in matrix.index:
        cells = []
        for end in matrix.columns:
            count = int(matrix.loc[start, end])
            query = _querystring(
                filters,
                show="move",
                from_band=start or dashboard.NO_SCORE,
                to_band=end or dashboard.NO_SCORE,
            )
            cells.append({"count": count, "query": query, "diagonal": start == end})
        rows.append({"band": start, "label": charts.band_name(start), "cells": cells})
    summary = track_summary(moves)
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


def _records(frame: pd.DataFrame, limit: int | None = None) -> list[dict]:
    frame = frame if limit is None else frame.head(limit)
    records = frame.reset_index().to_dict("records")
    for record in records:
        for key, value in record.items():
            if isinstance(value, float) and value != value:  # NaN → None for the templates
                record[key] = None
    return records


def _with_urls(records: list[dict], customer_url: str) -> list[dict]:
    """Each customer record with the URL of its page ("" while that page does not exist)."""
    placeholder = str(CUSTOMER_URL_PLACEHOLDER)
    for record in records:
        record["url"] = customer_url.replace(placeholder, str(record["customer_id"]))
    return records


def dashboard_context(request: HttpRequest, clock: Stopwatch | None = None) -> dict:
    """Everything the dashboard page shows, timed per kind of work when a clock is given."""
    clock = clock or Stopwatch()
    management = _allowed(request)
    form = DashboardFilterForm(request.GET, user=request.user, management=management)
    filters = form.filters()
    data = dashboard.dashboard_data(request.user, filters, clock=clock, listing=False)
    language = _language()
    with clock.measure("dataframes"):
        headline = dashboard.headline(data)
        trend = dashboard.trend(data)
        moves_start, moves_end = dashboard.moves_period(filters, data.moment)
        moves = dashboard.movements(data, moves_start, moves_end)
        heads, movement_rows, tracks = _movement_rows(moves, filters)
        quadrants = dashboard.satisfaction_barriers(data)
        quadrant_counts = quadrants["quadrant"].value_counts()
        entrapped = quadrants[quadrants["quadrant"] == "entrapped"].sort_values(
            "revenue", ascending=False, kind="stable"
        )
        gap = dashboard.perception(data, language)
        wall = dashboard.wall(data, language)
        pareto = dashboard.pareto_frame(data)
        pearls = dashboard.pearl_customers(data)
        lowest = dashboard.lowest_scoring(data)
    with clock.measure("figures"):
        figures = {
            "trend": charts.trend_figure(trend, rule_params().band_thresholds),
            "bands": charts.band_counts_figure(trend),
            "quadrants": charts.satisfaction_barriers_figure(quadrants),
            "gap": charts.perception_gap_figure(gap),
            "wall": charts.wall_figure(wall),
            "pareto": charts.pareto_figure(pareto),
            "heatmap": charts.heatmap_figure(lowest, data.elements, language),
        }
        figures_json = {name: charts.figure_json(figure) for name, figure in figures.items()}
        template_json = charts.template_json()
    customer_url = _customer_url_template()
    with clock.measure("panels"):
        panels = panels_html(dashboard_panels(request, _panel_customers(request, filters)), request)
    return {
        "form": form,
        "filters": filters,
        "query": _querystring(filters),
        "moment": data.moment,
        "is_now": filters.as_of is None or filters.as_of >= timezone.localdate(),
        "headline": headline,
        "band_rows": _band_rows(headline, filters),
        "figures": figures_json,
        "plotly_template": template_json,
        "moves_start": moves_start,
        "moves_end": moves_end,
        "movement_heads": heads,
        "movement_rows": movement_rows,
        "tracks": tracks,
        "quadrants": [
            {
                "name": name,
                "label": label,
                "count": int(quadrant_counts.get(name, 0)),
                "query": _querystring(filters, show="quadrant", which=name),
            }
            for name, label in QUADRANTS.items()
        ],
        "entrapped": _with_urls(_records(entrapped, LIST_SIZE), customer_url),
        "entrapped_count": len(entrapped),
        "entrapped_query": _querystring(filters, show="quadrant", which="entrapped"),
        "gap": _records(gap),
        "wall": _records(wall),
        "pearls": _with_urls(_records(pearls, LIST_SIZE), customer_url),
        "pearls_count": len(pearls),
        "pearls_query": _querystring(filters, show="pearls"),
        "overdue_query": _querystring(filters, show="overdue"),
        "lowest_count": len(lowest),
        "panels": panels,
        "customer_url": customer_url,
        "selection_url": reverse("scoring:dashboard-customers"),  # base.html has customers_url
        "placeholder": CUSTOMER_URL_PLACEHOLDER,
    }


QUADRANTS = {
    "loyal": gettext_lazy("loyal"),
    "entrapped": gettext_lazy("entrapped"),
    "free": gettext_lazy("free"),
    "leaving": gettext_lazy("leaving"),
}


def _panel_customers(request: HttpRequest, filters: DashboardFilters):
    """The customers in view as a queryset, for panels of other apps (surveys)."""
    customers = dashboard.customers_in_view(request.user, filters)
    if filters.band and dashboard.is_current(filters.as_of):
        customers = dashboard.customers_in_band(customers, filters.band, timezone.now(), True)
    return customers


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """The dashboard: headline figures, trend, movements, quadrants, gaps, wall, Pareto."""
    clock = Stopwatch()
    try:
        context = dashboard_context(request, clock)
    except selectors.NoActiveModelError:
        return render(
            request,
            "scoring/dashboard_unavailable.html",
            {"reason": _("There is no active scoring model yet.")},
            status=503,
        )
    with clock.measure("rendering"):
        response = render(request, "scoring/dashboard.html", context)
    request.dashboard_clock = clock  # the benchmark reads the split from here
    return response


# --------------------------------------------------------------------------------------------
# Drill-downs and export: the customers behind a number
# --------------------------------------------------------------------------------------------


class Selection:
    """Which customers of the view a drill-down shows: ``show`` and its arguments."""

    def __init__(self, params: object, filters: DashboardFilters) -> None:
        self.params = params
        self.filters = filters
        self.show = params.get("show") or "all"  # type: ignore[attr-defined]
        self.error = ""
        self.moves: pd.DataFrame | None = None

    def _get(self, name: str, allowed: tuple[str, ...]) -> str:
        value = self.params.get(name, "")  # type: ignore[attr-defined]
        if value not in allowed:
            raise ValueError(name)
        return value

    def apply(self, data: DashboardData) -> tuple[pd.DataFrame, str]:
        """The selected customers and a title; an invalid selection shows everyone in view."""
        customers = data.customers
        bands = (*BANDS, dashboard.NO_SCORE)
        try:
            if self.show == "all":
                return customers, _("All customers in view")
            if self.show == "band":
                which = self._get("which", bands)
                band = "" if which == dashboard.NO_SCORE else which
                return customers[customers["band"] == band], _("Band: %(band)s") % {
                    "band": charts.band_name(band)
                }
            if self.show in ("move", "track"):
                start, end = dashboard.moves_period(self.filters, data.moment)
                self.moves = dashboard.movements(data, start, end)
                period = {
                    "start": timezone.localtime(start).date().isoformat(),
                    "end": timezone.localtime(end).date().isoformat(),
                }
                if self.show == "move":
                    first = self._get("from_band", bands)
                    last = self._get("to_band", bands)
                    mask = (self.moves["from_band"] == ("" if first == "none" else first)) & (
                        self.moves["to_band"] == ("" if last == "none" else last)
                    )
                    title = _("From %(from)s to %(to)s, %(start)s → %(end)s") % {
                        "from": charts.band_name("" if first == "none" else first),
                        "to": charts.band_name("" if last == "none" else last),
                        **period,
                    }
                else:
                    track = self._get("track", ("churn", "loyalty"))
                    direction = self._get("direction", ("up", "same", "down"))
                    mask = (self.moves["track"] == track) & (self.moves["direction"] == direction)
                    title = _("%(track)s, %(direction)s, %(start)s → %(end)s") % {
                        "track": TRACKS[track],
                        "direction": DIRECTIONS[direction],
                        **period,
                    }
                return customers[mask.reindex(customers.index, fill_value=False)], title
            if self.show == "quadrant":
                which = self._get("which", tuple(QUADRANTS))
                frame = dashboard.satisfaction_barriers(data)
                selected = customers[frame["quadrant"] == which]
                return selected, _("Satisfaction × barriers: %(quadrant)s") % {
                    "quadrant": QUADRANTS[which]
                }
            if self.show == "pearls":
                pearls = dashboard.pearl_customers(data)
                return customers.loc[pearls.index], _("Pearls")
            if self.show == "overdue":
                return customers[customers["overdue"]], _("Overdue for re-scoring")
            raise ValueError("show")
        except ValueError:
            self.error = _("This selection is not valid; showing all customers in view instead.")
            return customers, _("All customers in view")


TRACKS = {
    "churn": gettext_lazy("Churn track (red → orange → yellow)"),
    "loyalty": gettext_lazy("Loyalty track (yellow → green)"),
}
DIRECTIONS = {
    "up": gettext_lazy("moved up"),
    "same": gettext_lazy("stayed"),
    "down": gettext_lazy("moved down"),
}


def _selected(request: HttpRequest) -> tuple[DashboardFilterForm, Selection, pd.DataFrame, str]:
    management = _allowed(request)
    form = DashboardFilterForm(request.GET, user=request.user, management=management)
    filters = form.filters()
    data = dashboard.dashboard_data(request.user, filters)
    selection = Selection(request.GET, filters)
    customers, title = selection.apply(data)
    if selection.moves is not None:
        customers = customers.join(selection.moves[["from_band", "to_band"]])
    customers = customers.sort_values(["revenue", "name"], ascending=[False, True], kind="stable")
    return form, selection, customers, title


def _selection_query(request: HttpRequest, selection: Selection) -> str:
    keys = ("show", "which", "from_band", "to_band", "track", "direction")
    extra = {k: request.GET.get(k, "") for k in keys if not selection.error}
    return _querystring(selection.filters, **extra)


@login_required
def dashboard_customers(request: HttpRequest) -> HttpResponse:
    """The customers behind one number of the dashboard, a page at a time."""
    form, selection, customers, title = _selected(request)
    # Paginate positions, then turn only this page's rows into records.
    page = Paginator(range(len(customers)), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _records(customers.iloc[page.start_index() - 1 : page.end_index()]) if page else []
    return render(
        request,
        "scoring/dashboard_customers.html",
        {
            "form": form,
            "title": title,
            "error": selection.error,
            "page": page,
            "rows": rows,
            "count": len(customers),
            "moves": selection.moves is not None,
            "query": _selection_query(request, selection),
            "dashboard_query": _querystring(selection.filters),
        },
    )


def export_rows(customers: pd.DataFrame) -> list[exports.ScoreRow]:
    """The export's rows (as ``scoring.exports`` writes them) for these customers."""

    def one_decimal(value: float) -> float | None:
        return None if value != value else float(round_half_up(value, 1))

    rows: list[exports.ScoreRow] = []
    for record in customers.reset_index().to_dict("records"):
        has_score = record["binding_score"] == record["binding_score"]
        last = record["last_assessed_at"]
        rows.append(
            {
                "customer": record["external_id"],
                "customer_name": record["name"],
                **{c: one_decimal(record[c]) for c in exports.SCORE_COLUMNS},
                "band": record["band"] if has_score else "",
                "coverage": int(round_half_up(record["coverage"], 0))
                if record["coverage"] == record["coverage"]
                else 0,
                "respondents": int(record["respondents"]),
                "last_assessed_at": timezone.localtime(last.to_pydatetime())
                if not pd.isna(last)
                else None,
            }
        )
    return rows


WRITERS: dict[str, tuple[Callable, str]] = {
    "csv": (exports.write_csv, "text/csv; charset=utf-8"),
    "xlsx": (
        exports.write_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
}


@login_required
def dashboard_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The customers in view (or of one drill-down) with their scores, as CSV or XLSX."""
    if fmt not in WRITERS:
        raise Http404(_("Export as CSV or XLSX."))
    _form, _selection, customers, _title = _selected(request)
    rows = export_rows(customers.sort_values(["name", "external_id"], kind="stable"))
    writer, content_type = WRITERS[fmt]
    if fmt == "csv":
        buffer: io.StringIO | io.BytesIO = io.StringIO()
        writer(rows, buffer)
        body: bytes = buffer.getvalue().encode("utf-8")
    else:
        buffer = io.BytesIO()
        writer(rows, buffer)
        body = buffer.getvalue()
    response = HttpResponse(body, content_type=content_type)
    name = f"klantbinding-{timezone.localdate().isoformat()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --------------------------------------------------------------------------------------------
# The customer page's charts (a panel registered in ScoringConfig.ready)
# --------------------------------------------------------------------------------------------


def customer_charts(request: HttpRequest, customer: object) -> dict | None:
    """Score and factor history and the element radar per respondent kind; None without data."""
    snapshots = list(
        ScoreSnapshot.objects.filter(customer=customer)
        .order_by("computed_at", "pk")
        .values(
            "computed_at",
            "binding_score",
            "satisfaction",
            "alternatives",
            "investment",
            "details",
            "scoring_model_id",
        )
    )
    if not snapshots:
        return None
    history = pd.DataFrame(snapshots)
    current = snapshots[-1]
    elements = list(
        Element.objects.filter(scoring_model_id=current["scoring_model_id"])
        .order_by("order", "pk")
        .values_list("name_nl", "name_en")
    )
    names = [(nl if _language() == "nl" else en) or en for nl, en in elements]
    lists = {
        kind: values
        for kind, values in details_lists(current["details"], len(elements)).items()
        if any(v is not None for v in values)
    }
    radar = None
    if "elements" in lists:
        radar = charts.figure_json(charts.element_radar_figure(lists, names))
    return {
        "history_figure": charts.figure_json(charts.score_history_figure(history)),
        "radar_figure": radar,
        "results": len(snapshots),
    }
