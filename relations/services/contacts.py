"""Writes of the contact log: logging a contact (which resets the cadence at once) and
removing one logged by mistake."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from actions.models import Action
from relations.models import ContactKind, ContactMoment
from relations.selectors.contacts import staff_users
from relations.services.cadence import cadence_refresh
from scoring.models import Contact, Customer
from scoring.roles import is_management

SUMMARY_MAX = int(ContactMoment._meta.get_field("summary").max_length or 200)


def contact_log(
    *,
    customer: Customer,
    kind: str,
    at: datetime,
    summary: str,
    notes: str = "",
    contact_persons: Iterable[Contact] = (),
    staff: Iterable[User] = (),
    user: User | None = None,
    source: str = ContactMoment.Source.APP,
    action: Action | None = None,
    now: datetime | None = None,
) -> ContactMoment:
    """Log a contact with the customer and recompute its contact rhythm at once.

    Refuses a moment in the future, an unknown kind, an empty summary, an action or contact
    persons of another customer and staff who are not account managers or management.
    """
    now = now or timezone.now()
    summary = (summary or "").strip()
    contact_persons = list(contact_persons)
    staff = list(staff)
    errors: dict[str, list[str]] = {}
    if kind not in ContactKind.values:
        errors["kind"] = [_("Choose what kind of contact it was.")]
    if at is None:
        errors["at"] = [_("Say when the contact was.")]
    elif timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at is not None and at > now:
        errors["at"] = [_("A contact cannot lie in the future.")]
    if not summary:
        errors["summary"] = [_("Write a short summary.")]
    elif len(summary) > SUMMARY_MAX:
        errors["summary"] = [
            _("The summary is %(length)d characters long; at most %(limit)d fit.")
            % {"length": len(summary), "limit": SUMMARY_MAX}
        ]
    if action is not None and action.customer_id != customer.pk:
        errors["action"] = [_("Choose an action of this customer.")]
    if any(person.customer_id != customer.pk for person in contact_persons):
        errors["contact_persons"] = [_("Choose contact persons of this customer.")]
    if staff:
        allowed = set(
            staff_users().filter(pk__in=[u.pk for u in staff]).values_list("pk", flat=True)
        )
        if any(u.pk not in allowed for u in staff):
            errors["staff"] = [_("Choose account managers or management as our staff.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        moment = ContactMoment.objects.create(
            customer=customer,
            kind=kind,
            at=at,
            summary=summary,
            notes=(notes or "").strip(),
            logged_by=user,
            source=source,
            action=action,
        )
        if contact_persons:
            moment.contact_persons.set(contact_persons)
        if staff:
            moment.staff.set(staff)
        if kind != ContactKind.NOTE:
            cadence_refresh(customer_ids=[customer.pk], now=now)
    return moment


def contact_delete(*, moment: ContactMoment, user: User) -> None:
    """Remove a contact logged by mistake (by the one who logged it, or management); the
    cadence is recomputed."""
    if not (is_management(user) or (moment.logged_by_id and moment.logged_by_id == user.pk)):
        raise PermissionDenied(_("Only the one who logged a contact, or management, removes it."))
    with transaction.atomic():
        customer_id = moment.customer_id
        moment.delete()
        cadence_refresh(customer_ids=[customer_id])
