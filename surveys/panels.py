"""Survey facts on scoring's pages, through scoring.extensions (scoring never imports us)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from scoring.models import Customer
from scoring.roles import is_management
from surveys import selectors

# What the response-rate panel reads besides the customers: its cache key follows these
# tables' versions (scoring.extensions.cached_dashboard_panels_html); migration 0009 watches them.
RESPONSE_RATES_INPUTS = ("surveys.Invitation", "surveys.Round", "surveys.Campaign")


def response_rates(request: HttpRequest, customers: QuerySet[Customer]) -> dict | None:
    """The dashboard panel: the latest round's response rate per respondent kind."""
    rates = selectors.latest_round_rates(customers)
    if not rates:
        return None
    return {
        "rates": rates,
        "campaigns_url": reverse("surveys:campaign-list") if is_management(request.user) else "",
    }


def customer_invitations(request: HttpRequest, customer: Customer) -> dict | None:
    """The customer page panel: this customer's recent invitations and how they stand."""
    if not selectors.can_see_customer(request, customer):
        return None
    invitations = selectors.customer_invitations(customer)
    if not invitations:
        return None
    return {"invitations": invitations, "customer": customer}
