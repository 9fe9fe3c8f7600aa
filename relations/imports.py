"""Importing contacts from a CSV or XLSX file: every row is checked, then all are written or none.

The file is read and its header and cells parsed by ``scoring.imports`` (the same rules and
messages as the customer and assessment imports); this module checks what a contact needs.
Rows already in the database (same customer, kind, moment and summary) are skipped, so a file
can be imported twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from klantbinding.lib.db import chunked
from relations.models import ContactKind, ContactMoment
from relations.selectors.contacts import staff_users
from relations.services.cadence import cadence_refresh
from scoring.imports import (
    ImportFailed,
    ImportSummary,
    RowError,
    Table,
)
from scoring.imports.cells import CellError, header_check, moment_value, shape_errors, too_long
from scoring.imports.tables import cell_text
from scoring.models import Contact, Customer

COLUMNS = ("customer", "kind", "at", "summary")
OPTIONAL_COLUMNS = ("notes", "staff", "contacts")
# What a spreadsheet may call each kind, in Dutch or English (compared in lower case).
KIND_WORDS: dict[str, tuple[str, ...]] = {
    ContactKind.VISIT: ("visit", "bezoek"),
    ContactKind.CALL: ("call", "phone call", "telefoon", "telefoongesprek", "gebeld", "bellen"),
    ContactKind.VIDEO_CALL: ("video_call", "video call", "videogesprek", "videobellen"),
    ContactKind.EMAIL: ("email", "e-mail", "mail"),
    ContactKind.EVENT: ("event", "evenement"),
    ContactKind.NOTE: ("note", "internal note", "notitie", "interne notitie"),
}
_KINDS = {word: kind for kind, words in KIND_WORDS.items() for word in words}
_SPLIT = re.compile(r"[;,\s]+")
SUMMARY_MAX = int(ContactMoment._meta.get_field("summary").max_length or 200)


@dataclass
class CleanContact:
    row: int
    customer: Customer
    kind: str
    at: datetime
    summary: str
    notes: str
    staff: list[int] = field(default_factory=list)
    contact_persons: list[int] = field(default_factory=list)

    @property
    def key(self) -> tuple:
        return (self.customer.pk, self.kind, self.at, self.summary)


@dataclass(frozen=True)
class ContactsPlan:
    new: list[CleanContact]
    skipped: int  # already in the database or twice in the file


def _customers(external_ids: Iterable[str]) -> dict[str, Customer]:
    found: dict[str, Customer] = {}
    for chunk in chunked(sorted(set(external_ids))):
        found.update({c.external_id: c for c in Customer.objects.filter(external_id__in=chunk)})
    return found


def _staff(emails: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    users = staff_users().annotate(email_lower=Lower("email"))
    for chunk in chunked(sorted(set(emails))):
        found.update(dict(users.filter(email_lower__in=chunk).values_list("email_lower", "pk")))
    return found


def _contact_persons(customer_ids: Iterable[int]) -> dict[tuple[int, str], int]:
    found: dict[tuple[int, str], int] = {}
    for chunk in chunked(sorted(set(customer_ids))):
        for pk, customer_id, email in Contact.objects.filter(customer_id__in=chunk).values_list(
            "pk", "customer_id", "email"
        ):
            found[(customer_id, email.lower())] = pk
    return found


def _existing(contacts: list[CleanContact]) -> set[tuple]:
    keys: set[tuple] = set()
    customer_ids = sorted({c.customer.pk for c in contacts})
    for chunk in chunked(customer_ids):
        rows = ContactMoment.objects.filter(customer_id__in=chunk).values_list(
            "customer_id", "kind", "at", "summary"
        )
        keys.update(rows)
    return keys


def contacts_clean(*, table: Table, now: datetime | None = None) -> ContactsPlan:
    """Check every row; ImportFailed lists every problem with its row and column."""
    now = now or timezone.now()
    tz = timezone.get_default_timezone()
    columns, errors = header_check(table, COLUMNS, OPTIONAL_COLUMNS)
    for row in table.rows:
        errors.extend(shape_errors(table, row))
    if errors:
        raise ImportFailed(errors)
    customers = _customers(cell_text(columns.value(row, "customer")) for row in table.rows)
    staff_emails = {
        e.lower()
        for row in table.rows
        for e in _SPLIT.split(cell_text(columns.value(row, "staff")))
        if e
    }
    staff = _staff(staff_emails)
    persons = _contact_persons(c.pk for c in customers.values())
    cleaned: list[CleanContact] = []
    for row in table.rows:
        number = row.number

        def problem(column: str, message: str, number: int = number) -> None:
            errors.append(RowError(number, columns.name(column), message))

        external_id = cell_text(columns.value(row, "customer"))
        customer = customers.get(external_id)
        if not external_id:
            problem("customer", _("the customer's external id is missing."))
        elif customer is None:
            problem(
                "customer",
                _("there is no customer with external id “%(id)s”; import the customer first.")
                % {"id": external_id},
            )
        kind_text = cell_text(columns.value(row, "kind"))
        kind = _KINDS.get(kind_text.lower())
        if kind is None:
            problem(
                "kind",
                _("“%(value)s” is not a kind of contact: use one of %(kinds)s.")
                % {"value": kind_text, "kinds": ", ".join(ContactKind.values)},
            )
        at = None
        try:
            at = moment_value(columns.value(row, "at"), tz)
        except CellError as error:
            problem("at", str(error))
        else:
            if at is None:
                problem("at", _("say when the contact was."))
            elif at > now:
                problem("at", _("a contact cannot lie in the future."))
        summary = cell_text(columns.value(row, "summary"))
        if not summary:
            problem("summary", _("the summary is missing."))
        elif message := too_long(summary, SUMMARY_MAX):
            problem("summary", message)
        staff_ids = []
        for email in _SPLIT.split(cell_text(columns.value(row, "staff"))):
            if not email:
                continue
            user_id = staff.get(email.lower())
            if user_id is None:
                problem(
                    "staff",
                    _("“%(email)s” is no account manager or management user.") % {"email": email},
                )
            else:
                staff_ids.append(user_id)
        person_ids = []
        for email in _SPLIT.split(cell_text(columns.value(row, "contacts"))):
            if not email or customer is None:
                continue
            person_id = persons.get((customer.pk, email.lower()))
            if person_id is None:
                problem(
                    "contacts",
                    _("“%(email)s” is no contact person of this customer.") % {"email": email},
                )
            else:
                person_ids.append(person_id)
        if customer is not None and kind is not None and at is not None and summary:
            cleaned.append(
                CleanContact(
                    row=number,
                    customer=customer,
                    kind=kind,
                    at=at,
                    summary=summary,
                    notes=cell_text(columns.value(row, "notes")),
                    staff=list(dict.fromkeys(staff_ids)),
                    contact_persons=list(dict.fromkeys(person_ids)),
                )
            )
    if errors:
        raise ImportFailed(errors)
    existing = _existing(cleaned)
    new: list[CleanContact] = []
    for contact in cleaned:
        if contact.key in existing:
            continue
        existing.add(contact.key)
        new.append(contact)
    return ContactsPlan(new=new, skipped=len(cleaned) - len(new))


def contacts_check(*, table: Table) -> ImportSummary:
    """What importing the table would do, without writing anything."""
    plan = contacts_clean(table=table)
    return ImportSummary(created=len(plan.new), skipped=plan.skipped)


def contacts_import(*, table: Table, now: datetime | None = None) -> ImportSummary:
    """Check the table, then write its new contacts in one transaction and recompute the
    affected customers' rhythms."""
    plan = contacts_clean(table=table, now=now)
    staff_through = ContactMoment.staff.through
    persons_through = ContactMoment.contact_persons.through
    user_field = f"{get_user_model()._meta.model_name}_id"
    with transaction.atomic():
        created = ContactMoment.objects.bulk_create(
            [
                ContactMoment(
                    customer=c.customer,
                    kind=c.kind,
                    at=c.at,
                    summary=c.summary,
                    notes=c.notes,
                    source=ContactMoment.Source.IMPORT,
                )
                for c in plan.new
            ],
            batch_size=2000,
        )
        staff_through.objects.bulk_create(
            [
                staff_through(contactmoment_id=moment.pk, **{user_field: user_id})
                for moment, c in zip(created, plan.new, strict=True)
                for user_id in c.staff
            ],
            batch_size=5000,
        )
        persons_through.objects.bulk_create(
            [
                persons_through(contactmoment_id=moment.pk, contact_id=person_id)
                for moment, c in zip(created, plan.new, strict=True)
                for person_id in c.contact_persons
            ],
            batch_size=5000,
        )
        if plan.new:
            cadence_refresh(customer_ids=sorted({c.customer.pk for c in plan.new}))
    return ImportSummary(created=len(plan.new), skipped=plan.skipped)
