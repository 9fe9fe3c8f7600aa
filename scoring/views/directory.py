"""Customers, contact persons and market experts kept in the app.

Management adds and edits customers and market experts. Management and the customer's own
account manager add, edit, deactivate and reactivate the customer's contact persons: the
customer (and the contact through it) is looked up through ``customers_visible_to``, so
another account manager gets a 404. The forms have no field for what the page decides (the
customer, a contact's opt-out), so extra fields in a POST change nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from scoring import selectors, services
from scoring.forms import ContactForm, CustomerForm, MarketExpertForm
from scoring.models import Contact, Customer, MarketExpert
from scoring.roles import management_required
from scoring.views.customers import visible_customer


def _customer_form(request: HttpRequest, customer: Customer | None) -> HttpResponse:
    form = CustomerForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        saved = services.customer_save(customer=form.save(commit=False), user=request.user)
        if customer is None:
            messages.success(request, _("Customer %(name)s is added.") % {"name": saved.name})
        else:
            messages.success(request, _("Customer %(name)s is saved.") % {"name": saved.name})
        return redirect(saved)
    return render(
        request,
        "scoring/customer_form.html",
        {"form": form, "customer": customer, "sectors": form.sector_choices},
    )


@management_required
def customer_create(request: HttpRequest) -> HttpResponse:
    """A new customer (management)."""
    return _customer_form(request, None)


@management_required
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A customer's details, account manager and whether it is active (management)."""
    return _customer_form(request, get_object_or_404(Customer, pk=pk))


def _visible_contact(request: HttpRequest, pk: int) -> Contact:
    """The contact person, if this user may see their customer; a 404 otherwise."""
    return get_object_or_404(
        Contact.objects.select_related("customer").filter(
            customer__in=selectors.customers_visible_to(request.user)
        ),
        pk=pk,
    )


def _contact_form(
    request: HttpRequest, customer: Customer, contact: Contact | None
) -> HttpResponse:
    form = ContactForm(request.POST or None, instance=contact, customer=customer)
    if request.method == "POST" and form.is_valid():
        saved = services.contact_save(
            contact=form.save(commit=False), customer=customer, user=request.user
        )
        if contact is None:
            text = _("Contact person %(name)s is added.")
        else:
            text = _("Contact person %(name)s is saved.")
        messages.success(request, text % {"name": saved.name})
        return redirect(saved)
    return render(
        request,
        "scoring/contact_form.html",
        {"form": form, "customer": customer, "contact": contact},
    )


@login_required
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A new contact person of the customer (management, the customer's account manager)."""
    return _contact_form(request, visible_customer(request, pk), None)


@login_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A contact person's name, e-mail, role and language; the opt-out is shown, not edited."""
    contact = _visible_contact(request, pk)
    return _contact_form(request, contact.customer, contact)


@require_POST
@login_required
def contact_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate a contact person (``active=0``: no longer asked) or reactivate them."""
    contact = _visible_contact(request, pk)
    active = request.POST.get("active") == "1"
    services.contact_set_active(contact=contact, active=active, user=request.user)
    if active:
        text = _("Contact person %(name)s is active again.")
    else:
        text = _("Contact person %(name)s is deactivated: no longer asked in surveys.")
    messages.success(request, text % {"name": contact.name})
    return redirect(contact)


@management_required
def expert_list(request: HttpRequest) -> HttpResponse:
    """The market experts, with their sectors and how many customers they are linked to."""
    return render(request, "scoring/expert_list.html", {"experts": selectors.experts_listed()})


def _expert_form(request: HttpRequest, expert: MarketExpert | None) -> HttpResponse:
    form = MarketExpertForm(request.POST or None, instance=expert)
    if request.method == "POST" and form.is_valid():
        unsaved = form.save(commit=False)
        unsaved.sectors = list(form.cleaned_data["sectors"])
        saved = services.expert_save(
            expert=unsaved, customers=form.cleaned_data["customer_ids"], user=request.user
        )
        if expert is None:
            text = _("Market expert %(name)s is added.")
        else:
            text = _("Market expert %(name)s is saved.")
        messages.success(request, text % {"name": saved.name})
        return redirect("scoring:expert-list")
    return render(request, "scoring/expert_form.html", {"form": form, "expert": expert})


@management_required
def expert_create(request: HttpRequest) -> HttpResponse:
    """A new market expert (management)."""
    return _expert_form(request, None)


@management_required
def expert_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A market expert's details, sectors and customers (management)."""
    return _expert_form(request, get_object_or_404(MarketExpert, pk=pk))
