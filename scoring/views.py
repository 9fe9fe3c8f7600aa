"""The pages of issue 3: my customers, the customer page, the matrix (built out below)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from scoring import selectors


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    customers = selectors.customers_with_scores(selectors.customers_visible_to(request.user))
    return render(request, "scoring/customer_list.html", {"customers": customers[:50]})


@login_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(selectors.customers_visible_to(request.user), pk=pk)
    return render(request, "scoring/customer_detail.html", {"customer": customer})


@login_required
def customer_matrix(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(selectors.customers_visible_to(request.user), pk=pk)
    return render(request, "scoring/matrix.html", {"customer": customer})
