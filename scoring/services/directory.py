"""Customers, their contact persons and market experts as management and account managers keep
them in the app (imports write customers in bulk: ``scoring.imports``).

Every write goes through the model's ``full_clean`` (unique e-mail per customer, the model's
constraints) and ``save``, so the change history records it with the user who made it
(the request's user; ``user`` for calls outside a request). What a form has no field for is
never taken from the caller's data: the customer of a contact person comes from the page, and
a contact's opt-out is the contact's own choice, set only by the link in a survey e-mail.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Model

from scoring.models import Contact, Customer, MarketExpert

User = AbstractBaseUser | AnonymousUser | None


def _recorded_by(obj: Model, user: User) -> None:
    """Name ``user`` as the author of the history record of ``obj``'s next save."""
    if user is not None and user.is_authenticated:
        obj._history_user = user  # type: ignore[attr-defined]


def customer_save(*, customer: Customer, user: User = None) -> Customer:
    """Create or update a customer checked by CustomerForm."""
    customer.full_clean()
    _recorded_by(customer, user)
    with transaction.atomic():
        customer.save()
    return customer


def contact_save(*, contact: Contact, customer: Customer, user: User = None) -> Contact:
    """Create or update a contact person of ``customer`` (the customer of the page, whatever
    the form held); the opt-out stays as the contact left it."""
    if contact.pk is not None:
        stored = Contact.objects.get(pk=contact.pk)
        if stored.customer_id != customer.pk:
            raise Contact.DoesNotExist  # another customer's contact: not this page's to change
        contact.opted_out, contact.opted_out_at = stored.opted_out, stored.opted_out_at
    contact.customer = customer
    contact.email = contact.email.strip().lower()
    contact.full_clean()
    _recorded_by(contact, user)
    with transaction.atomic():
        contact.save()
    return contact


def contact_set_active(*, contact: Contact, active: bool, user: User = None) -> Contact:
    """Deactivate a contact person (no longer asked in surveys, kept with their answers) or
    make them active again."""
    if contact.active != active:
        contact.active = active
        _recorded_by(contact, user)
        with transaction.atomic():
            contact.save(update_fields=["active"])
    return contact


def expert_save(
    *, expert: MarketExpert, customers: Sequence[Customer] = (), user: User = None
) -> MarketExpert:
    """Create or update a market expert checked by MarketExpertForm, with the customers they
    are asked about besides those of their sectors."""
    if expert.pk is not None:
        stored = MarketExpert.objects.get(pk=expert.pk)
        expert.opted_out, expert.opted_out_at = stored.opted_out, stored.opted_out_at
    expert.email = expert.email.strip().lower()
    expert.full_clean()
    _recorded_by(expert, user)
    with transaction.atomic():
        expert.save()
        expert.customers.set(list(customers))
    return expert
