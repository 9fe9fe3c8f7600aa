"""Departures: management records them; each side records its belief before it sees the
customer's stated reasons; the "why they leave" view compares them."""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relations import services
from relations.forms import DepartureForm, ExitSurveyForm, ReasonsForm, WhyFilterForm
from relations.models import Departure, Perspective
from relations.selectors.departures import (
    WhyFilters,
    departure_view,
    visible_departure,
    why_they_leave,
)
from relations.selectors.departures import (
    departure_list as list_departures,
)
from relations.views.common import signed_in, visible_customer
from scoring.roles import is_management
from scoring.views import management_required


def _form_errors(form: django_forms.BaseForm, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, texts in error.message_dict.items():
        for text in texts:
            form.add_error(field if field in form.fields else None, text)


@login_required
def departure_list(request: HttpRequest) -> HttpResponse:
    """The departures the user may see; their own belief still to record is marked."""
    return render(
        request,
        "relations/departure_list.html",
        {"rows": list_departures(request.user), "management": is_management(request.user)},
    )


@management_required
def departure_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that a customer left (fully, partly, or moved to less)."""
    customer = visible_customer(request, pk)
    form = DepartureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            departure = services.departure_record(
                customer=customer, user=signed_in(request), **form.cleaned_data
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(
                request, _("The departure is recorded. Now record what management believes.")
            )
            return redirect("relations:departure-detail", pk=departure.pk)
    return render(
        request,
        "relations/departure_form.html",
        {"customer": customer, "form": form},
        status=400 if form.errors else 200,
    )


@management_required
def departure_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a departure's dates, revenue lost, competitor or notes."""
    departure = visible_departure(request.user, pk)
    form = DepartureForm(request.POST or None, instance=departure)
    if request.method == "POST" and form.is_valid():
        try:
            services.departure_update(
                departure=departure, user=signed_in(request), **form.cleaned_data
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The departure is saved."))
            return redirect("relations:departure-detail", pk=departure.pk)
    return render(
        request,
        "relations/departure_form.html",
        {"customer": departure.customer, "form": form, "departure": departure},
        status=400 if form.errors else 200,
    )


def _detail(request: HttpRequest, departure: Departure, **forms: Any) -> HttpResponse:
    view = departure_view(request.user, departure)
    management = is_management(request.user)
    own_form = forms.get("own_form")
    if own_form is None and view.perspective and not view.own_recorded:
        own_form = ReasonsForm(prefix="own")
    stated_form = forms.get("stated_form")
    can_record_stated = management and view.own_recorded and Perspective.STATED not in view.recorded
    if stated_form is None and can_record_stated:
        stated_form = ReasonsForm(prefix="stated")
    survey_form = forms.get("survey_form")
    if survey_form is None and can_record_stated:
        survey_form = ExitSurveyForm(customer=departure.customer)
    return render(
        request,
        "relations/departure_detail.html",
        {
            "view": view,
            "departure": departure,
            "management": management,
            "own_form": own_form,
            "stated_form": stated_form if can_record_stated else None,
            "survey_form": survey_form if can_record_stated else None,
            "perspective_label": dict(Perspective.choices).get(view.perspective or "", ""),
            "stated_recorded": Perspective.STATED in view.recorded,
        },
        status=400 if any(getattr(f, "errors", None) for f in forms.values()) else 200,
    )


@login_required
def departure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The departure's facts, the user's own belief to record, and once it is recorded, the
    other sets of reasons."""
    return _detail(request, visible_departure(request.user, pk))


@login_required
@require_POST
def reasons_record(request: HttpRequest, pk: int, perspective: str) -> HttpResponse:
    """Save one set of reasons: the user's own belief, or (management) the stated reasons."""
    departure = visible_departure(request.user, pk)
    if perspective not in ("own", Perspective.STATED):
        raise Http404
    form = ReasonsForm(request.POST, prefix=perspective)
    if form.is_valid():
        view = departure_view(request.user, departure)
        target = view.perspective if perspective == "own" else Perspective.STATED
        if target is None:
            raise Http404
        try:
            services.reasons_record(
                departure=departure,
                perspective=target,
                reasons=form.cleaned_data["reasons"],
                note=form.cleaned_data["note"],
                user=signed_in(request),
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The reasons are saved (and can no longer be changed)."))
            return redirect("relations:departure-detail", pk=departure.pk)
    key = "own_form" if perspective == "own" else "stated_form"
    return _detail(request, departure, **{key: form})


@management_required
@require_POST
def exit_survey_create(request: HttpRequest, pk: int) -> HttpResponse:
    """E-mail a contact person of the departed customer a link to say why it left."""
    departure = visible_departure(request.user, pk)
    form = ExitSurveyForm(request.POST, customer=departure.customer)
    if form.is_valid():
        try:
            services.exit_survey_create(
                departure=departure, contact=form.cleaned_data["contact"], user=signed_in(request)
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(
                request,
                _("The exit survey goes to %(name)s.")
                % {"name": form.cleaned_data["contact"].name},
            )
            return redirect("relations:departure-detail", pk=departure.pk)
    return _detail(request, departure, survey_form=form)


@management_required
def why(request: HttpRequest) -> HttpResponse:
    """Why they leave: stated against believed reasons, the gaps, and per departed customer its
    last scores next to its reasons."""
    form = WhyFilterForm(request.GET)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    filters = WhyFilters(
        start=data.get("start"),
        end=data.get("end"),
        segment_id=data.get("segment"),
        account_manager_id=data.get("account_manager"),
        believed=data.get("believed") or Perspective.MANAGEMENT,
    )
    return render(
        request,
        "relations/why.html",
        {"form": form, "result": why_they_leave(filters), "filters": filters},
    )
