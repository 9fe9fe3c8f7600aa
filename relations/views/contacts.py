"""Logging contacts (the short form, on the customer page or a page of its own) and importing
them (management)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relations import imports, services
from relations.forms import ContactImportForm, ContactLogForm
from relations.models import ContactKind, ContactMoment
from relations.selectors.contacts import contact_actions
from relations.views.common import next_url, signed_in, visible_customer
from scoring.imports import ImportFailed, RowError, table_read
from scoring.views import management_required


def _service_errors(form: ContactLogForm, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, texts in error.message_dict.items():
        for text in texts:
            form.add_error(field if field in form.fields else None, text)


@login_required
def contact_log(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a contact with one of the user's customers; back to where the user came from."""
    customer = visible_customer(request, pk)
    back = next_url(request, reverse("scoring:customer-detail", args=[customer.pk]))
    form = ContactLogForm(
        request.POST if request.method == "POST" else None,
        customer=customer,
        user=signed_in(request),
    )
    served = request.GET.get("action", "")
    if request.method != "POST" and served.isdigit():
        # Logged from an action's page: that action, when it is one of the customer's.
        form.initial["action"] = contact_actions(customer).filter(pk=int(served)).first()
    if request.method == "POST" and form.is_valid():
        try:
            moment = services.contact_log(
                customer=customer,
                kind=form.cleaned_data["kind"],
                at=form.cleaned_data["at"],
                summary=form.cleaned_data["summary"],
                notes=form.cleaned_data["notes"],
                contact_persons=form.cleaned_data["contact_persons"],
                staff=form.cleaned_data["staff"],
                action=form.cleaned_data["action"],
                user=signed_in(request),
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            kind = str(dict(ContactKind.choices)[moment.kind]).capitalize()
            messages.success(
                request,
                _("%(kind)s with %(customer)s is logged.")
                % {"kind": kind, "customer": customer.name},
            )
            return redirect(back)
    return render(
        request,
        "relations/contact_log.html",
        {"customer": customer, "form": form, "next": back},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a contact logged by mistake (its author or management)."""
    moment = get_object_or_404(ContactMoment.objects.select_related("customer"), pk=pk)
    visible_customer(request, moment.customer_id)  # 404 for another manager's customer
    try:
        services.contact_delete(moment=moment, user=signed_in(request))
    except PermissionDenied:
        messages.error(request, _("Only the one who logged a contact, or management, removes it."))
    else:
        messages.success(request, _("The contact is removed."))
    return redirect(
        next_url(request, reverse("scoring:customer-detail", args=[moment.customer_id]))
    )


@management_required
def contacts_import(request: HttpRequest) -> HttpResponse:
    """Import contacts from CSV or XLSX: every row is checked first; all rows or none."""
    errors: list[RowError] = []
    summary = None
    checked = None
    if request.method == "POST":
        form = ContactImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                table = table_read(upload.read(), upload.name)
                if form.cleaned_data["check_only"]:
                    checked = imports.contacts_check(table=table)
                else:
                    summary = imports.contacts_import(table=table)
            except ImportFailed as failure:
                errors = failure.errors
    else:
        form = ContactImportForm()
    return render(
        request,
        "relations/contacts_import.html",
        {
            "form": form,
            "errors": errors,
            "summary": summary,
            "checked": checked,
            "columns": imports.COLUMNS,
            "optional": imports.OPTIONAL_COLUMNS,
            "kinds": imports.KIND_WORDS,
        },
        status=400 if errors else 200,
    )
