"""The customer list, the customer page and one submitted assessment.

Customers are always looked up through ``customers_visible_to``, so an account manager who
opens or posts to another manager's customer gets a 404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy

from scoring import charts, list_columns, movement, rendering, selectors
from scoring.extensions import customer_panels, customer_timeline, panels_html
from scoring.models import Customer, RespondentKind
from scoring.roles import is_management

PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 20
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
PHONE_COLUMNS = {"name", "score", "due"}


def visible_customer(request: HttpRequest, pk: int) -> Customer:
    """The customer, if this user may see it; a 404 otherwise (not even its existence leaks)."""
    return get_object_or_404(
        selectors.customers_visible_to(request.user).select_related("account_manager"), pk=pk
    )


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    """The user's customers (management: all, by account manager) with their stored scores."""
    management = is_management(request.user)
    search = request.GET.get("q", "").replace("\x00", "").strip()[:100]  # no NUL in a query
    due_only = request.GET.get("due") == "1"
    extra: dict[str, Any] = {}

    def narrow(customers: Any) -> Any:
        # Filters other apps register (scoring/list_columns.py), before sorting and paging.
        customers, extra["filters"], extra["filtering"] = list_columns.filtered(request, customers)
        return customers

    listed = selectors.customer_list(
        request.user,
        search=search,
        manager=request.GET.get("manager", ""),
        due_only=due_only,
        sort=request.GET.get("o", "name"),
        page=request.GET.get("page", ""),
        page_size=PAGE_SIZE,
        narrow=narrow,
    )
    page, sort = listed.page, listed.sort
    listed_rows = list(page.object_list)
    rows, extra_columns = list_columns.with_cells(
        request, listed_rows, rendering.customer_rows(listed_rows, show_manager=management)
    )
    query = {name: value for name, value in request.GET.items() if name != "page"}

    def link(**changes: object) -> str:
        return "?" + urlencode({**query, **changes})

    page_links = [
        (number, link(page=number) if number != page.paginator.ELLIPSIS else None)
        for number in page.paginator.get_elided_page_range(page.number)
    ]
    columns = [
        {
            "key": key,
            "label": label,
            "url": link(o=f"-{key}" if sort == key else key),
            "active": sort.lstrip("-") == key,
            "descending": sort.startswith("-"),
            "numeric": key not in ("name", "manager"),
            # On a phone (below Bootstrap's md) only the name, the band with the score and
            # whether a new assessment is due: the rest would push them off the screen.
            "phone": key in PHONE_COLUMNS,
        }
        for key, label in COLUMNS
        if key != "manager" or management
    ]
    return render(
        request,
        "scoring/customer_list.html",
        {
            "page": page,
            "rows": rows,
            "page_links": page_links,
            "previous_url": link(page=page.previous_page_number()) if page.has_previous() else "",
            "next_url": link(page=page.next_page_number()) if page.has_next() else "",
            "columns": columns,
            "sort": sort,
            "search": search,
            "managers": listed.managers,
            "manager_filter": listed.manager_filter,
            "due_only": due_only,
            "extra_filters": extra.get("filters", []),
            "extra_filtering": extra.get("filtering", False),
            "extra_columns": extra_columns,
            "show_manager": management,
            "cadence_days": settings.KLANTBINDING["STAFF_CADENCE_DAYS"],
        },
    )


@login_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Score, factors, the elements per respondent kind, where to raise the wall, history,
    the score's charts, other apps' panels and the timeline."""
    customer = visible_customer(request, pk)
    page = selectors.customer_page(
        customer, history_page=request.GET.get("page"), history_size=HISTORY_PAGE_SIZE
    )
    panels = [html for _panel, html in panels_html(customer_panels(request, customer), request)]
    return render(
        request,
        "scoring/customer_detail.html",
        {
            "customer": customer,
            "snapshot": page.snapshot,
            "expired": page.expired,
            "nps": selectors.customer_nps(customer),
            "groups": page.groups,
            "factors": page.factors,
            "kinds": RespondentKind.choices,
            "walls": page.walls,
            "history": page.history,
            "history_rows": page.history_rows,
            "charts": charts.customer_figures(selectors.customer_history(customer)),
            "score_changes": movement.score_changes(customer),
            "panels": panels,
            "timeline": customer_timeline(request, customer),
            "contacts": selectors.customer_contacts(customer),
        },
    )


def assessment_context(page: selectors.AssessmentPage) -> dict[str, Any]:
    """What the assessment's own templates read."""
    return {
        "assessment": page.assessment,
        "customer": page.customer,
        "result": page.result,
        "groups": page.groups,
    }


@login_required
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One submitted assessment: who, when, every value and comment, and its own score."""
    assessment = get_object_or_404(selectors.assessments_visible_to(request.user), pk=pk)
    page = selectors.assessment_page(assessment)
    return render(request, "scoring/assessment_detail.html", assessment_context(page))
