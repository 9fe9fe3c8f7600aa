"""The pages account managers and management work in: my customers, the customer page, the
scoring matrix with its live preview, the model editor and the spreadsheet uploads.

Views stay thin: look the object up with the ownership check, bind the form, call one service
or selector, render. Customers are always looked up through ``customers_visible_to``, so an
account manager who opens or posts to another manager's customer gets a 404.
"""

from __future__ import annotations

import html
import math
import re
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from scoring import calculations, imports, selectors, services
from scoring.conf import rule_params
from scoring.extensions import customer_panels, customer_timeline, panels_html
from scoring.forms import (
    DONT_KNOW,
    SCORE_CHOICES,
    ElementFormSet,
    MatrixForm,
    ScoringModelForm,
    UploadForm,
    preview_values,
)
from scoring.models import (
    Assessment,
    Band,
    Customer,
    Element,
    Factor,
    RespondentKind,
    ScoreSnapshot,
    ScoringModel,
)
from scoring.roles import is_management

PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 20
SNAPSHOT_FIELDS = (
    "binding_score",
    "satisfaction",
    "alternatives",
    "investment",
    "coverage",
    "provisional",
    "band",
)


def management_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in management only: others get a 403, anonymous users go to sign-in."""

    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not is_management(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _visible_customer(request: HttpRequest, pk: int) -> Customer:
    """The customer, if this user may see it; a 404 otherwise (not even its existence leaks)."""
    return get_object_or_404(
        selectors.customers_visible_to(request.user).select_related("account_manager"), pk=pk
    )


def _current_snapshot(customer: Customer) -> ScoreSnapshot | None:
    return (
        ScoreSnapshot.objects.filter(customer=customer, is_current=True)
        .select_related("scoring_model")
        .first()
    )


# --------------------------------------------------------------------------------------------
# My customers
# --------------------------------------------------------------------------------------------

# Every column of the list sorts.
SORTS = selectors.LIST_SORT_FIELDS
COLUMNS = [
    ("name", gettext_lazy("Customer")),
    ("manager", gettext_lazy("Account manager")),
    ("score", gettext_lazy("Binding score")),
    ("satisfaction", gettext_lazy("Satisfaction")),
    ("alternatives", gettext_lazy("Alternatives")),
    ("investment", gettext_lazy("Investment")),
    ("coverage", gettext_lazy("Coverage")),
    ("last", gettext_lazy("Last assessed")),
    ("change", gettext_lazy("Score change")),
    ("due", gettext_lazy("Due")),
]


# The list renders its rows here rather than in the template: 50 rows of ten cells through
# the template engine cost several times the whole rest of the page. The cells are the ones
# a template would make; scores are rounded half up as the score filter does, and every text
# that comes from the database is escaped.
_EMPTY = '<span class="text-muted">–</span>'
# The standard library's escape gives the same text as Django's, without its check for lazy
# translations on every call.
_escape = html.escape


class _RowText:
    """Numbers, dates, links and labels for the list's rows, in the active language."""

    def __init__(self) -> None:
        self.decimal = formats.get_format("DECIMAL_SEPARATOR")
        self.date_format = formats.get_format("SHORT_DATE_FORMAT")
        self.zone = timezone.get_current_timezone()
        # dateformat is slow for 50 rows; the usual day, month and year formats are simple.
        codes = {"d": "{d:02d}", "j": "{d}", "m": "{m:02d}", "n": "{m}", "Y": "{Y}", "y": "{y:02d}"}
        fmt = self.date_format
        simple = all(c in codes or not c.isalpha() for c in fmt) and "\\" not in fmt
        self._fast_date = (
            "".join(codes.get(c, c.replace("{", "{{").replace("}", "}}")) for c in fmt)
            if simple
            else None
        )
        self.provisional = escape(_("provisional"))
        self.inactive = escape(_("inactive"))
        self.due = escape(_("due"))
        self.due_title = escape(
            _("No staff assessment in the last %(cadence_days)s days")
            % {"cadence_days": settings.KLANTBINDING["STAFF_CADENCE_DAYS"]}
        )
        self.bands = {band.value: escape(band.label) for band in Band}
        sentinel = "987654321"
        self.detail = reverse("scoring:customer-detail", args=[sentinel]).split(sentinel)
        self.matrix = reverse("scoring:customer-matrix", args=[sentinel]).split(sentinel)

    def score(self, value: float | None) -> str:
        if value is None:
            return "–"
        rounded = math.floor(value * 10.0 + 0.5 + 1e-9) / 10.0  # calculations.round_half_up
        return f"{rounded:.1f}".replace(".", self.decimal)

    def signed(self, value: float | None) -> str:
        if value is None:
            return "–"
        shown = math.floor(abs(value) * 10.0 + 0.5 + 1e-9)
        sign = "±" if not shown else "+" if value > 0 else "−"
        return sign + self.score(abs(value))

    def date(self, moment: datetime | None) -> str:
        if moment is None:
            return _EMPTY
        day = moment.astimezone(self.zone).date()
        if self._fast_date is not None:
            return self._fast_date.format(d=day.day, m=day.month, Y=day.year, y=day.year % 100)
        return escape(dateformat.format(day, self.date_format))


def _customer_row(c: dict, t: _RowText, show_manager: bool) -> str:
    pk, provisional_score = c["pk"], c["provisional"]
    inactive = "" if c["active"] else f' <span class="badge text-bg-secondary">{t.inactive}</span>'
    cells = [
        f'<tr><td><a href="{t.detail[0]}{pk}{t.detail[1]}" class="fw-semibold">'
        f"{_escape(c['name'])}</a>{inactive}"
        f'<div class="small text-muted">{_escape(c["sector"])}</div></td>'
    ]
    if show_manager:
        full_name = (
            f"{c['account_manager__first_name'] or ''} {c['account_manager__last_name'] or ''}"
        )
        name = _escape(full_name.strip() or c["account_manager__username"] or "") or _EMPTY
        cells.append(f'<td class="text-nowrap">{name}</td>')
    star = "*" if provisional_score else ""
    provisional = " provisional" if provisional_score else ""
    badge = _EMPTY
    if c["binding_score"] is not None:
        band = c["band"]
        title = t.bands.get(band, "") + (f" · {t.provisional}" if provisional_score else "")
        badge = (
            f'<span class="badge badge-band score band-{_escape(band)}{provisional}" '
            f'title="{title}">{t.score(c["binding_score"])}{star}</span>'
        )
    cells.append(f'<td class="text-end">{badge}</td>')
    for factor in calculations.FACTORS:
        cells.append(f'<td class="text-end score d-none d-md-table-cell">{t.score(c[factor])}</td>')
    coverage = "–"
    if c["coverage"] is not None:
        hidden = f'<span class="visually-hidden"> {t.provisional}</span>*' if star else ""
        coverage = f"{math.floor(c['coverage'] + 0.5 + 1e-9)} %{hidden}"
    cells.append(f'<td class="text-end score text-nowrap{provisional}">{coverage}</td>')
    cells.append(f'<td class="text-end text-nowrap">{t.date(c["last_assessed_at"])}</td>')
    change = c["change"]
    tone = " text-success" if change and change > 0 else " text-danger" if change else ""
    cells.append(f'<td class="text-end score text-nowrap{tone}">{t.signed(change)}</td>')
    due = ""
    if c["rescoring_due"]:
        due = (
            f'<a href="{t.matrix[0]}{pk}{t.matrix[1]}" class="badge rounded-pill '
            f'text-bg-warning text-decoration-none due-marker" title="{t.due_title}">{t.due}</a>'
        )
    cells.append(f'<td class="text-end">{due}</td></tr>')
    return "".join(cells)


def _customer_rows(rows: list[dict], *, show_manager: bool) -> SafeString:
    """The table's rows as one piece of HTML (the template outputs it as it is)."""
    text = _RowText()
    # Every text from the database is escaped in _customer_row.
    return mark_safe("\n".join(_customer_row(row, text, show_manager) for row in rows))


def _customer_page(customers: QuerySet[Customer], sort: str, requested: str) -> Page:
    """The requested page of the sorted list (the first when the number is not one, the last
    when it is past the end), read in one query: the count comes with the rows."""
    # Beyond any list's end (a number too big for the database's OFFSET) shows the last page.
    number = 1
    if requested.isascii() and requested.isdigit():
        number = max(1, min(int(requested), 10**9)) if len(requested) <= 12 else 10**9
    key, descending = sort.lstrip("-"), sort.startswith("-")

    def rows_of(number: int) -> tuple[list[dict], int | None]:
        return selectors.customer_list_page(
            customers, key, descending=descending, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )

    rows, count = rows_of(number)
    if count is None:  # an empty list, or a page past its end
        count = customers.count()
        last = max(1, math.ceil(count / PAGE_SIZE))
        if count and number > last:
            number = last
            rows, _count = rows_of(number)
        number = min(number, last)
    return Page(rows, number, Paginator(range(count), PAGE_SIZE))


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    """The user's customers (management: all, by account manager) with their stored scores."""
    management = is_management(request.user)
    customers = selectors.customers_visible_to(request.user)
    search = request.GET.get("q", "").replace("\x00", "").strip()[:100]  # no NUL in a query
    if search:
        customers = customers.filter(
            Q(name__icontains=search)
            | Q(external_id__icontains=search)
            | Q(sector__icontains=search)
        )
    managers: list[tuple[str, str]] = []
    manager_filter = request.GET.get("manager", "")
    if management:
        managers = selectors.account_manager_choices()
        if manager_filter == "none":
            customers = customers.filter(account_manager__isnull=True)
        elif manager_filter.isascii() and manager_filter.isdigit() and len(manager_filter) < 12:
            customers = customers.filter(account_manager_id=int(manager_filter))
        else:
            manager_filter = ""
    due_only = request.GET.get("due") == "1"
    if due_only:
        customers = selectors.customers_due(customers)
    sort = request.GET.get("o", "name")
    if sort.lstrip("-") not in SORTS:
        sort = "name"
    page = _customer_page(customers, sort, request.GET.get("page", ""))
    paginator = page.paginator
    rows_html = _customer_rows(page.object_list, show_manager=management)
    query = {name: value for name, value in request.GET.items() if name != "page"}

    def link(**changes: object) -> str:
        return "?" + urlencode({**query, **changes})

    page_links = [
        (number, link(page=number) if number != paginator.ELLIPSIS else None)
        for number in paginator.get_elided_page_range(page.number)
    ]
    columns = [
        {
            "key": key,
            "label": label,
            "url": link(o=f"-{key}" if sort == key else key),
            "active": sort.lstrip("-") == key,
            "descending": sort.startswith("-"),
            "numeric": key not in ("name", "manager"),
            "wide_only": key in calculations.FACTORS,
        }
        for key, label in COLUMNS
        if key != "manager" or management
    ]
    return render(
        request,
        "scoring/customer_list.html",
        {
            "page": page,
            "rows": rows_html,
            "page_links": page_links,
            "previous_url": link(page=page.previous_page_number()) if page.has_previous() else "",
            "next_url": link(page=page.next_page_number()) if page.has_next() else "",
            "columns": columns,
            "sort": sort,
            "search": search,
            "managers": managers,
            "manager_filter": manager_filter,
            "due_only": due_only,
            "show_manager": management,
            "cadence_days": settings.KLANTBINDING["STAFF_CADENCE_DAYS"],
        },
    )


# --------------------------------------------------------------------------------------------
# The customer page
# --------------------------------------------------------------------------------------------


def _element_rows(snapshot: ScoreSnapshot | None, elements: list[Element]) -> list[dict]:
    """Per element: its value, the mean per respondent kind and the spread between the kinds."""
    codes = [e.code for e in elements]
    values = snapshot.element_values(codes) if snapshot else {}
    per_kind = {
        kind: snapshot.element_values(codes, kind) if snapshot else {}
        for kind in calculations.KINDS
    }
    rows = []
    for element in elements:
        means = [per_kind[k].get(element.code) for k in calculations.KINDS]
        present = [m for m in means if m is not None]
        rows.append(
            {
                "element": element,
                "value": values.get(element.code),
                "kinds": means,
                "spread": max(present) - min(present) if len(present) > 1 else None,
            }
        )
    return rows


def _walls(rows: list[dict], elements: list[Element], top: int = 3) -> list[dict]:
    """The elements where the wall rises most: weight × (6 − value), with the score points."""
    valued = {r["element"].code: r["value"] for r in rows if r["value"] is not None}
    if not valued:
        return []
    frame = pd.DataFrame([valued], columns=[e.code for e in elements], dtype=float)
    table = calculations.points_to_gain(
        frame,
        pd.DataFrame(
            {"code": [e.code for e in elements], "weight": [float(e.weight) for e in elements]}
        ),
    )
    by_code = {r["element"].code: r for r in rows}
    return [
        {**by_code[code], "gain": float(row.gain), "points": float(row.score_points)}
        for code, row in table.head(top).iterrows()
        if row.gain > 0
    ]


def _factors(result: ScoreSnapshot | dict | None) -> list[dict]:
    """The three factor scores with their band colour and a bar width."""
    thresholds = rule_params().band_thresholds
    factors = []
    for key, label in Factor.choices:
        value = (
            (result.get(key) if isinstance(result, dict) else getattr(result, key))
            if result
            else None
        )
        factors.append(
            {
                "key": key,
                "label": label,
                "value": value,
                "band": calculations.band_of(value, thresholds),
                "width": round(value) if value is not None else 0,
            }
        )
    return factors


@login_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Score, factors, the elements per respondent kind, where to raise the wall, history."""
    customer = _visible_customer(request, pk)
    snapshot = _current_snapshot(customer)
    model = snapshot.scoring_model if snapshot else selectors.scoring_model_active()
    elements = list(model.elements.order_by("order", "pk"))
    rows = _element_rows(snapshot, elements)
    groups = [
        {"factor": label, "rows": [r for r in rows if r["element"].factor == value]}
        for value, label in Factor.choices
    ]
    history = Paginator(
        customer.assessments.select_related("user").order_by("-assessed_at", "-pk"),
        HISTORY_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    scores = selectors.assessment_scores(list(history))
    panels = [html for _panel, html in panels_html(customer_panels(request, customer), request)]
    return render(
        request,
        "scoring/customer_detail.html",
        {
            "customer": customer,
            "snapshot": snapshot,
            "groups": [g for g in groups if g["rows"]],
            "factors": _factors(snapshot),
            "kinds": RespondentKind.choices,
            "walls": _walls(rows, elements),
            "history": history,
            "history_rows": [(a, scores.get(a.pk)) for a in history],
            "panels": panels,
            "timeline": customer_timeline(request, customer),
        },
    )


def _visible_assessment(request: HttpRequest, pk: int) -> Assessment:
    return get_object_or_404(
        Assessment.objects.select_related("customer", "user", "scoring_model"),
        pk=pk,
        customer__in=selectors.customers_visible_to(request.user),
    )


def _assessment_context(assessment: Assessment) -> dict:
    scores = list(
        assessment.scores.select_related("element").order_by("element__order", "element__pk")
    )
    groups = [
        {"factor": label, "scores": [s for s in scores if s.element.factor == value]}
        for value, label in Factor.choices
    ]
    return {
        "assessment": assessment,
        "customer": assessment.customer,
        "result": selectors.assessment_scores([assessment]).get(assessment.pk),
        "groups": [g for g in groups if g["scores"]],
    }


@login_required
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One submitted assessment: who, when, every value and comment, and its own score."""
    assessment = _visible_assessment(request, pk)
    return render(request, "scoring/assessment_detail.html", _assessment_context(assessment))


# --------------------------------------------------------------------------------------------
# The matrix
# --------------------------------------------------------------------------------------------

RESULTS_SESSION_KEY = "kb_matrix_results"


def _snapshot_summary(customer: Customer) -> dict | None:
    return (
        ScoreSnapshot.objects.filter(customer=customer, is_current=True)
        .values(*SNAPSHOT_FIELDS)
        .first()
    )


def _remember_result(request: HttpRequest, assessment: Assessment, before: dict | None) -> None:
    """Keep before → after for the result page (the last few submits of this session)."""
    results = dict(request.session.get(RESULTS_SESSION_KEY, {}))
    results[str(assessment.pk)] = {
        "before": before,
        "after": _snapshot_summary(assessment.customer),
    }
    request.session[RESULTS_SESSION_KEY] = dict(list(results.items())[-5:])


def _service_errors(form: MatrixForm, error: ValidationError) -> None:
    """Put the service's errors (keyed by element code or field) on the matching form field."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, messages_ in error.message_dict.items():
        field = f"value_{key}" if f"value_{key}" in form.fields else key
        for message in messages_:
            form.add_error(field if field in form.fields else None, message)


def _matrix_row_html(
    element: Element,
    *,
    chosen: str,
    comment: str,
    errors: list[str],
    previous: tuple[bool, int | None],
    labels: dict[str, str],
) -> SafeString:
    """One row of the matrix: name, question, guidance and comment on demand, the segmented
    control (native radios, so arrows move within the row) and this respondent's previous value.

    Built here rather than in the template: twelve rows of eight radios through the template
    engine cost more than the rest of the page. Every text is escaped.
    """
    code = escape(element.code)
    name = f"value_{code}"
    comment_name = f"comment_{code}"
    has_previous, previous_value = previous
    previous_text = labels["dont_know"] if previous_value is None else str(previous_value)
    data_previous = ""
    if has_previous:
        data_previous = (
            f' data-previous="{DONT_KNOW if previous_value is None else previous_value}"'
        )
    invalid = " matrix-row-invalid" if errors else ""
    described = f"question-{code}" + (f" error-{code}" if errors else "")
    flag = ' aria-invalid="true"' if errors else ""
    radios = []
    for choice in [*SCORE_CHOICES, DONT_KNOW]:
        checked = " checked" if chosen == choice else ""
        radios.append(
            f'<input type="radio" class="btn-check" name="{name}" id="{name}-{choice}" '
            f'value="{choice}" autocomplete="off"{checked}>'
        )
        if choice == DONT_KNOW:
            radios.append(
                f'<label class="btn btn-outline-secondary" for="{name}-{choice}" '
                f'title="{labels["dont_know"]}"><span aria-hidden="true">?</span>'
                f'<span class="visually-hidden">{labels["dont_know"]}</span></label>'
            )
        else:
            radios.append(
                f'<label class="btn btn-outline-primary score" for="{name}-{choice}">'
                f"{choice}</label>"
            )
    guidance = "".join(
        f'<dt class="col-1 score">{level}</dt>'
        f'<dd class="col-11 mb-1">{escape(element.guidance(level)) or "–"}</dd>'
        for level in (0, 3, 6)
    )
    previous_html = "&nbsp;"
    if has_previous:
        previous_html = f'{labels["previous"]}: <span class="fw-semibold">{previous_text}</span>'
    error_html = ""
    if errors:
        error_html = (
            f'<div class="invalid-feedback d-block" id="error-{code}">'
            + " ".join(escape(e) for e in errors)
            + "</div>"
        )
    comment_label = escape(labels["comment_on"] % {"element": element.name})
    open_comment = " show" if comment else ""
    return mark_safe(  # every text above is escaped
        f'<div class="list-group-item matrix-row{invalid}" data-code="{code}"{data_previous}>'
        '<div class="d-flex flex-wrap align-items-center gap-2">'
        '<div class="flex-grow-1 matrix-label">'
        f'<span class="fw-semibold" id="label-{code}">{escape(element.name)}</span>'
        f'<div class="small text-muted" id="question-{code}">'
        f"{escape(element.question(RespondentKind.STAFF))}</div>"
        '<div class="small">'
        '<button type="button" class="btn btn-link btn-sm p-0 me-3" data-bs-toggle="collapse" '
        f'data-bs-target="#guidance-{code}" aria-expanded="false" '
        f'aria-controls="guidance-{code}">{labels["guidance"]}</button>'
        '<button type="button" class="btn btn-link btn-sm p-0" data-bs-toggle="collapse" '
        f'data-bs-target="#comment-box-{code}" aria-expanded="{"true" if comment else "false"}" '
        f'aria-controls="comment-box-{code}">{labels["comment"]}</button>'
        "</div></div>"
        '<div class="matrix-control">'
        '<div class="btn-group matrix-choices" role="radiogroup" '
        f'aria-labelledby="label-{code}" aria-describedby="{described}"{flag}>'
        + "".join(radios)
        + "</div>"
        f'<div class="small text-muted mt-1 matrix-previous">{previous_html}</div>'
        "</div></div>"
        f'<div class="collapse" id="guidance-{code}">'
        f'<dl class="row small bg-light rounded p-2 mt-2 mb-0">{guidance}</dl></div>'
        f'<div class="collapse{open_comment}" id="comment-box-{code}">'
        f'<label for="{comment_name}" class="visually-hidden">{comment_label}</label>'
        f'<input type="text" class="form-control form-control-sm mt-2" name="{comment_name}" '
        f'id="{comment_name}" value="{escape(comment)}" maxlength="2000" '
        f'placeholder="{labels["placeholder"]}"></div>'
        f"{error_html}</div>"
    )


def _matrix_rows(
    form: MatrixForm, elements: list[Element], previous_values: dict[str, int | None]
) -> list[dict]:
    """The matrix's rows as HTML, grouped by factor."""
    data = form.data if form.is_bound else {}
    labels = {
        "dont_know": escape(_("don't know")),
        "previous": escape(_("your previous value")),
        "guidance": escape(_("What do 0, 3 and 6 mean?")),
        "comment": escape(_("Comment")),
        "placeholder": escape(_("Comment (optional)")),
        "comment_on": _("Comment on %(element)s"),
    }
    groups = []
    for value, label in Factor.choices:
        rows = [
            _matrix_row_html(
                element,
                chosen=str(data.get(f"value_{element.code}", "")),
                comment=str(data.get(f"comment_{element.code}", "")),
                errors=form.errors.get(f"value_{element.code}", [])
                + form.errors.get(f"comment_{element.code}", []),
                previous=(element.code in previous_values, previous_values.get(element.code)),
                labels=labels,
            )
            for element in elements
            if element.factor == value
        ]
        if rows:
            groups.append({"factor": label, "rows": rows})
    return groups


@login_required
def customer_matrix(request: HttpRequest, pk: int) -> HttpResponse:
    """The scoring matrix: one choice per element, a live preview, submit once."""
    customer = _visible_customer(request, pk)
    elements = selectors.elements_asked(RespondentKind.STAFF)
    model = elements[0].scoring_model if elements else selectors.scoring_model_active()
    email = (request.user.email or "").strip()
    no_email = _(
        "Your user account has no e-mail address, and an assessment is filed under it. "
        "Ask an administrator to add one, then score this customer."
    )
    previous_at, previous_values = (
        selectors.previous_assessment(
            customer=customer, respondent_kind=RespondentKind.STAFF, respondent_email=email
        )
        if email
        else (None, {})
    )
    if request.method == "POST":
        form = MatrixForm(request.POST, elements=elements)
        valid = form.is_valid()
        if not email:
            form.add_error(None, no_email)
        elif valid:
            key = form.cleaned_data["submission_key"]
            resubmitted = Assessment.objects.filter(submission_key=key).first()
            if resubmitted is None:
                before = _snapshot_summary(customer)
                try:
                    assessment = services.assessment_submit(
                        customer=customer,
                        respondent_kind=RespondentKind.STAFF,
                        respondent_email=email,
                        respondent_name=request.user.get_full_name(),
                        user=request.user,
                        values=form.values(),
                        comments=form.comments(),
                        comment=form.cleaned_data["comment"],
                        scoring_model=model,
                        elements=elements,
                        source=Assessment.Source.MATRIX,
                        submission_key=key,
                    )
                except ValidationError as error:
                    _service_errors(form, error)
                else:
                    if assessment.user_id == request.user.pk:
                        _remember_result(request, assessment, before)
                    resubmitted = assessment
            if resubmitted is not None:
                # A double click or a resubmit after Back lands on the first assessment.
                if (
                    resubmitted.customer_id == customer.pk
                    and resubmitted.user_id == request.user.pk
                ):
                    return redirect("scoring:assessment-result", pk=resubmitted.pk)
                form.add_error(None, _("This form was already used. Reload the matrix."))
    else:
        # The element fields only check a posted matrix; the page renders its rows itself.
        form = MatrixForm(elements=[], initial={"submission_key": uuid.uuid4()})
    return render(
        request,
        "scoring/matrix.html",
        {
            "customer": customer,
            "form": form,
            "scoring_model": model,
            "groups": _matrix_rows(form, elements, previous_values),
            "choices": SCORE_CHOICES,
            "dont_know": DONT_KNOW,
            "previous_at": previous_at,
            "snapshot": _snapshot_summary(customer),
            "no_email": None if email else no_email,
        },
    )


@login_required
@require_POST
def customer_matrix_preview(request: HttpRequest, pk: int) -> JsonResponse:
    """The score the customer would get if this user submitted the posted values now."""
    customer = _visible_customer(request, pk)
    elements = services.asked_elements(selectors.scoring_model_active(), RespondentKind.STAFF)
    values = preview_values(request.POST, elements)
    # Without an e-mail address the submit is refused; preview as a respondent of its own.
    email = (request.user.email or "").strip() or f"user-{request.user.pk}@users.invalid"
    result = selectors.matrix_preview(customer=customer, respondent_email=email, values=values)
    answered = sum(v is not None for v in values.values())
    context = {"result": result, "answered": answered, "total": len(elements)}
    html = render_to_string("scoring/_matrix_preview.html", context, request)
    compact = render_to_string("scoring/_matrix_preview.html", {**context, "compact": True})
    return JsonResponse({**result, "answered": answered, "html": html, "compact": compact})


@login_required
def assessment_result(request: HttpRequest, pk: int) -> HttpResponse:
    """After a submit: the customer's score before → after, and what was submitted."""
    assessment = _visible_assessment(request, pk)
    stored = request.session.get(RESULTS_SESSION_KEY, {}).get(str(assessment.pk))
    context = _assessment_context(assessment)
    before = (stored["before"] if stored else None) or {}
    after = (stored["after"] if stored else _snapshot_summary(assessment.customer)) or {}
    labels = [("binding_score", _("Binding score")), *Factor.choices]
    rows = [
        {"label": label, "before": before.get(key), "after": after.get(key), "percent": False}
        for key, label in labels
    ]
    rows.append(
        {
            "label": _("Coverage"),
            "before": before.get("coverage"),
            "after": after.get("coverage"),
            "percent": True,
        }
    )
    change = None
    if before.get("binding_score") is not None and after.get("binding_score") is not None:
        change = after["binding_score"] - before["binding_score"]
    context.update(
        {
            "before": before,
            "after": after,
            "known_before": stored is not None,
            "rows": rows,
            "change": change,
        }
    )
    return render(request, "scoring/assessment_result.html", context)


# --------------------------------------------------------------------------------------------
# The model editor
# --------------------------------------------------------------------------------------------


@management_required
def model_list(request: HttpRequest) -> HttpResponse:
    """Every version of the scoring model: the active one, earlier ones and drafts."""
    models = ScoringModel.objects.annotate(element_count=Count("elements")).select_related(
        "published_by"
    )
    return render(request, "scoring/model_list.html", {"models": models})


@management_required
@require_POST
def model_draft_create(request: HttpRequest) -> HttpResponse:
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
    if not scoring_model.is_draft:
        elements = scoring_model.elements.order_by("order", "pk")
        return render(
            request,
            "scoring/model_detail.html",
            {"scoring_model": scoring_model, "elements": elements},
        )
    queryset = scoring_model.elements.order_by("order", "pk")
    if request.method == "POST":
        form = ScoringModelForm(request.POST, instance=scoring_model, prefix="model")
        formset = ElementFormSet(
            request.POST, instance=scoring_model, queryset=queryset, prefix="elements"
        )
        if form.is_valid() and formset.is_valid():
            with transaction.atomic():
                form.save()
                formset.save()
            if "preview" in request.POST:
                return redirect("scoring:model-publish", pk=scoring_model.pk)
            messages.success(request, _("The draft is saved."))
            return redirect("scoring:model-edit", pk=scoring_model.pk)
        messages.error(request, _("The draft was not saved: correct the marked fields."))
    else:
        form = ScoringModelForm(instance=scoring_model, prefix="model")
        formset = ElementFormSet(instance=scoring_model, queryset=queryset, prefix="elements")
    return render(
        request,
        "scoring/model_edit.html",
        {"scoring_model": scoring_model, "form": form, "formset": formset},
    )


@management_required
def model_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Before publishing, what would change; publishing recomputes every score."""
    draft = get_object_or_404(ScoringModel, pk=pk)
    if not draft.is_draft:
        messages.info(
            request, _("Version %(version)s is already published.") % {"version": draft.version}
        )
        return redirect("scoring:model-list")
    if request.method == "POST":
        try:
            result = services.scoring_model_publish(scoring_model=draft, user=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("scoring:model-edit", pk=draft.pk)
        messages.success(
            request,
            _(
                "Version %(version)s is published. The scores of %(customers)d customers were "
                "recomputed; %(changed)d changed."
            )
            % {"version": draft.version, "customers": result.customers, "changed": result.changed},
        )
        return redirect("scoring:model-list")
    active = selectors.scoring_model_active()
    preview = selectors.scoring_model_preview(draft=draft)
    return render(
        request,
        "scoring/model_publish.html",
        {
            "draft": draft,
            "active": active,
            "preview": preview,
            "changes": _model_changes(active, draft),
        },
    )


def _model_changes(active: ScoringModel, draft: ScoringModel) -> list[dict]:
    """Element by element, what the draft changes compared with the active model."""
    fields = [f.name for f in Element._meta.fields if f.name not in ("id", "scoring_model")]
    before = {e.code: e for e in active.elements.all()}
    after = {e.code: e for e in draft.elements.order_by("order", "pk")}
    changes = []
    for code, element in after.items():
        old = before.get(code)
        if old is None:
            changes.append({"element": element, "kind": "added", "fields": []})
            continue
        changed = [
            str(Element._meta.get_field(f).verbose_name)
            for f in fields
            if getattr(old, f) != getattr(element, f)
        ]
        if changed:
            weight = (old.weight, element.weight) if old.weight != element.weight else None
            changes.append(
                {"element": element, "kind": "changed", "fields": changed, "weight": weight}
            )
    for code, element in before.items():
        if code not in after:
            changes.append({"element": element, "kind": "retired", "fields": []})
    return changes


@management_required
@require_POST
def model_discard(request: HttpRequest, pk: int) -> HttpResponse:
    draft = get_object_or_404(ScoringModel, pk=pk, published_at__isnull=True)
    version = draft.version
    draft.delete()
    messages.success(request, _("Draft version %(version)s is discarded.") % {"version": version})
    return redirect("scoring:model-list")


# --------------------------------------------------------------------------------------------
# Uploads
# --------------------------------------------------------------------------------------------

UPLOADS_SESSION_KEY = "kb_uploads"
UPLOAD_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
UPLOAD_MAX_AGE = 24 * 3600
PREVIEW_ROWS = 10


def _upload_dir() -> Path:
    return Path(getattr(settings, "KB_UPLOAD_DIR", settings.VAR_DIR / "uploads"))


def _upload_path(token: str) -> Path:
    return _upload_dir() / f"{token}.upload"


def _forget_old_uploads() -> None:
    """Uploads not confirmed within a day are removed."""
    cutoff = time.time() - UPLOAD_MAX_AGE
    for path in _upload_dir().glob("*.upload"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue


def _upload_info(request: HttpRequest, token: str) -> dict:
    """The session's upload with this token; 404 for anyone else's."""
    info = request.session.get(UPLOADS_SESSION_KEY, {}).get(token)
    if not UPLOAD_TOKEN.match(token) or info is None:
        raise Http404
    return info


def _pending_upload(request: HttpRequest, token: str) -> tuple[dict, bytes]:
    """The session's upload with this token and its bytes; 404 for anyone else's or old ones."""
    info = _upload_info(request, token)
    try:
        return info, _upload_path(token).read_bytes()
    except OSError as error:
        raise Http404 from error


@management_required
def upload(request: HttpRequest) -> HttpResponse:
    """Upload a customers or assessments spreadsheet; it is checked before anything is written."""
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            _upload_dir().mkdir(parents=True, exist_ok=True)
            _forget_old_uploads()
            token = secrets.token_urlsafe(24)
            uploaded = form.cleaned_data["file"]
            with _upload_path(token).open("wb") as target:
                for chunk in uploaded.chunks():
                    target.write(chunk)
            uploads = dict(request.session.get(UPLOADS_SESSION_KEY, {}))
            uploads[token] = {"kind": form.cleaned_data["kind"], "name": Path(uploaded.name).name}
            request.session[UPLOADS_SESSION_KEY] = dict(list(uploads.items())[-10:])
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
                e.code for e in selectors.scoring_model_active().elements.order_by("order", "pk")
            ],
        },
    )


def _check(kind: str, table: imports.Table) -> dict:
    """Check every row without writing; what an import of this table would do."""
    if kind == UploadForm.CUSTOMERS:
        cleaned = imports.customers_clean(table=table)
        ids = [row.external_id for row in cleaned]
        existing = 0
        for chunk in selectors.chunked(ids):
            existing += Customer.objects.filter(external_id__in=chunk).count()
        return {"rows": len(cleaned), "create": len(cleaned) - existing, "update": existing}
    plan = imports.assessments_clean(table=table)
    return {"rows": len(table.rows), "create": len(plan.new), "skip": plan.already_present}


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@management_required
def upload_preview(request: HttpRequest, token: str) -> HttpResponse:
    """The first rows and every problem; confirming imports the file, all or nothing."""
    if "summary" in _upload_info(request, token):
        return redirect("scoring:upload-done", token=token)  # confirmed twice
    info, data = _pending_upload(request, token)
    kind = info["kind"]
    errors: list[imports.RowError] = []
    table = None
    check = None
    try:
        table = imports.table_read(data, info["name"])
        if request.method == "POST":
            if kind == UploadForm.CUSTOMERS:
                summary = imports.customers_import(table=table)
            else:
                summary = imports.assessments_import(table=table)
            _upload_path(token).unlink(missing_ok=True)
            uploads = dict(request.session.get(UPLOADS_SESSION_KEY, {}))
            uploads[token] = {**info, "summary": summary.__dict__}
            request.session[UPLOADS_SESSION_KEY] = uploads
            return redirect("scoring:upload-done", token=token)
        check = _check(kind, table)
    except imports.ImportFailed as failure:
        errors = failure.errors
    except ValidationError as error:  # a service refusing what the checks let through
        errors = [imports.RowError(None, None, m) for m in error.messages]
    preview_rows = []
    if table is not None:
        preview_rows = [
            (row.number, [_cell_text(c) for c in row.cells[: len(table.header)]])
            for row in table.rows[:PREVIEW_ROWS]
        ]
    return render(
        request,
        "scoring/upload_preview.html",
        {
            "token": token,
            "info": info,
            "kind_label": dict(UploadForm.base_fields["kind"].choices)[kind],
            "table": table,
            "preview_rows": preview_rows,
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
            "kind_label": dict(UploadForm.base_fields["kind"].choices)[info["kind"]],
            "list_url": reverse("scoring:customer-list"),
        },
    )
