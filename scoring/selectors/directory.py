"""Reads for the customer, contact person and market expert pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from scoring.models import Contact, Customer, MarketExpert


def customer_contacts(customer: Customer) -> list[Contact]:
    """The customer's contact persons as the customer page lists them: active ones first,
    then by name (one query)."""
    return list(customer.contacts.order_by("-active", "name", "pk"))


@dataclass(frozen=True)
class ExpertRow:
    expert: MarketExpert
    sectors: tuple[str, ...]
    customers: int  # hand-picked customers, besides those of the sectors


def experts_listed() -> list[ExpertRow]:
    """Every market expert, active ones first, with their sectors and number of hand-picked
    customers (one query)."""
    experts = MarketExpert.objects.annotate(linked=Count("customers")).order_by(
        "-active", "name", "pk"
    )
    return [
        ExpertRow(
            expert=e,
            sectors=tuple(str(s) for s in e.sectors or []),
            customers=e.linked,
        )
        for e in experts
    ]
