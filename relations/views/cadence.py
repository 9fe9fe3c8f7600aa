"""The "To contact" list, the weekly e-mail's preference, and what an account manager sets on a
customer: its segment (with a reason) and the relationship type we believe in."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relations import services
from relations.forms import (
    BeliefForm,
    DigestPreferenceForm,
    SegmentOverrideForm,
    ToContactFilterForm,
)
from relations.rendering import to_contact_items, to_contact_rows_html
from relations.selectors.cadence import to_contact_page
from relations.views.common import signed_in, visible_customer
from scoring.roles import is_management


@login_required
def to_contact(request: HttpRequest) -> HttpResponse:
    """Whom to contact: most overdue first, thriving before draining when equally late."""
    management = is_management(request.user)
    data = request.GET
    segment = _choice_id(data.get("segment"))
    manager = _choice_id(data.get("account_manager")) if management else None
    state = data.get("state", "")
    page = to_contact_page(
        user=signed_in(request),
        account_manager_id=manager,
        segment_id=segment,
        state=state,
        page=data.get("page", "1"),
    )
    # The form shows the filters against the choices the selector read (a bad value: not set).
    form = ToContactFilterForm(
        data, segments=page.segments, managers=page.managers if management else None
    )
    query = {k: v for k, v in data.items() if k != "page" and v}
    items = to_contact_items(page.rows, here=request.get_full_path(), management=management)
    return render(
        request,
        "relations/to_contact.html",
        {
            "filters": form.selects(),
            "result": page,
            "items": items,
            "rows_html": to_contact_rows_html(items),
            "query": urlencode(query),
        },
    )


def _choice_id(value: str | None) -> int | None:
    """An id from the URL, or None for anything that is not a plain number."""
    if value and value.isascii() and value.isdigit() and len(value) < 12:
        return int(value)
    return None


@login_required
def digest_preference(request: HttpRequest) -> HttpResponse:
    """Whether, and in which language, the user gets the weekly e-mail of overdue customers."""
    preference = services.digest_preference(signed_in(request))
    if request.method == "POST":
        form = DigestPreferenceForm(request.POST)
        if form.is_valid():
            services.digest_preference_save(
                user=signed_in(request),
                weekly=form.cleaned_data["weekly"],
                language=form.cleaned_data["language"],
            )
            messages.success(request, _("Your choice for the weekly e-mail is saved."))
            return redirect("relations:to-contact")
    else:
        form = DigestPreferenceForm(
            initial={"weekly": preference.weekly, "language": preference.language}
        )
    return render(request, "relations/digest_preference.html", {"form": form})


def _back(customer_pk: int, anchor: str = "relationship") -> str:
    return reverse("scoring:customer-detail", args=[customer_pk]) + f"#{anchor}"


@login_required
@require_POST
def segment_override(request: HttpRequest, pk: int) -> HttpResponse:
    """Put one of the user's customers in another segment than the rules say, with a reason."""
    customer = visible_customer(request, pk)
    form = SegmentOverrideForm(request.POST)
    if form.is_valid():
        try:
            services.segment_override(
                customer=customer,
                segment=form.cleaned_data["segment"],
                reason=form.cleaned_data["reason"],
                user=signed_in(request),
            )
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("The segment is saved."))
    else:
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, str(message))
    return redirect(_back(customer.pk))


@login_required
@require_POST
def belief_set(request: HttpRequest, pk: int) -> HttpResponse:
    """Record which relationship type we believe the customer is in."""
    customer = visible_customer(request, pk)
    form = BeliefForm(request.POST)
    if form.is_valid():
        try:
            services.relationship_belief_set(
                customer=customer, type=form.cleaned_data["type"], user=signed_in(request)
            )
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("The relationship type is saved."))
    else:
        messages.error(request, _("Choose a relationship type from the list."))
    return redirect(_back(customer.pk))
