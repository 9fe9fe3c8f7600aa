"""The optional contact person columns of a customers file: one contact person per row.

A customer with several contact persons takes several rows: the first gives the customer's
details, the rows after it repeat them or leave them empty (``customers_clean`` checks that).
A contact person is matched by customer and e-mail (in any case): a new one is created, a known
one gets the row's name, and its role and language when the row gives them. Contact persons
missing from the file are left as they are; the import never changes whether a contact is
active or has opted out (that is the contact's own choice).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from klantbinding import audit
from klantbinding.lib import db
from scoring.imports.cells import Columns, email_error, too_long
from scoring.imports.tables import RowError, TableRow, cell_text
from scoring.models import Contact, ContactRole, Language

CONTACT_COLUMNS = ("contact_name", "contact_email", "contact_role", "contact_language")

_ROLES = {
    **{value: value for value in ContactRole.values},
    "decision maker": ContactRole.DECISION_MAKER,
    "beslisser": ContactRole.DECISION_MAKER,
    "besluitvormer": ContactRole.DECISION_MAKER,
    "gebruiker": ContactRole.USER,
    "ambassadeur": ContactRole.CHAMPION,
    "beïnvloeder": ContactRole.INFLUENCER,
    "overig": ContactRole.OTHER,
    "anders": ContactRole.OTHER,
}
_LANGUAGES = {
    "nl": Language.DUTCH,
    "dutch": Language.DUTCH,
    "nederlands": Language.DUTCH,
    "en": Language.ENGLISH,
    "english": Language.ENGLISH,
    "engels": Language.ENGLISH,
}


@dataclass(frozen=True)
class ContactRow:
    """One checked contact person of a customers file."""

    row: int
    name: str
    email: str  # lower-case
    role: str  # "" when the row gives none
    language: str  # "" when the row gives none


def contact_row_clean(columns: Columns, row: TableRow, errors: list[RowError]) -> ContactRow | None:
    """The row's contact person (None when its contact columns are empty); problems go to
    ``errors``."""
    texts = {name: cell_text(columns.value(row, name)) for name in CONTACT_COLUMNS}
    if not any(texts.values()):
        return None
    number = row.number
    found: list[RowError] = []

    def problem(column: str, message: str) -> None:
        found.append(RowError(number, columns.name(column), message))

    name, email = texts["contact_name"], texts["contact_email"].lower()
    if not email:
        problem("contact_email", _("the contact person's e-mail address is missing."))
    elif overlong := too_long(email, 254):
        problem("contact_email", overlong)
    elif bad := email_error(email):
        problem("contact_email", bad)
    if not name:
        problem("contact_name", _("the contact person's name is missing."))
    elif overlong := too_long(name, 200):
        problem("contact_name", overlong)
    role = _ROLES.get(texts["contact_role"].lower().replace("_", " "), "")
    if texts["contact_role"] and not role:
        problem(
            "contact_role",
            _(
                "“%(value)s” is not a role: use decision maker, user, champion, influencer or "
                "other (beslisser, gebruiker, ambassadeur, beïnvloeder, overig), or leave it empty."
            )
            % {"value": texts["contact_role"]},
        )
    language = _LANGUAGES.get(texts["contact_language"].lower(), "")
    if texts["contact_language"] and not language:
        problem(
            "contact_language",
            _("“%(value)s” is not a language: use nl or en, or leave it empty.")
            % {"value": texts["contact_language"]},
        )
    errors.extend(found)
    if found:
        return None
    return ContactRow(number, name, email, str(role), str(language))


def contacts_existing(customer_ids: Iterable[int]) -> dict[tuple[int, str], Contact]:
    """The stored contact persons of these customers by (customer id, lower-case e-mail)."""
    found: dict[tuple[int, str], Contact] = {}
    for chunk in db.chunked(sorted(set(customer_ids))):
        for contact in Contact.objects.filter(customer_id__in=chunk).annotate(
            email_lower=Lower("email")
        ):
            found[(contact.customer_id, contact.email_lower)] = contact
    return found


@dataclass
class ContactsPlan:
    create: list[Contact]
    update: list[Contact]


def contacts_plan(
    rows: Sequence[tuple[int, ContactRow]], existing: dict[tuple[int, str], Contact]
) -> ContactsPlan:
    """What writing the file's contact persons (with their customer's id) would do."""
    plan = ContactsPlan(create=[], update=[])
    for customer_id, row in rows:
        contact = existing.get((customer_id, row.email))
        if contact is None:
            plan.create.append(
                Contact(
                    customer_id=customer_id,
                    name=row.name,
                    email=row.email,
                    role=row.role,
                    language=row.language or Language.DUTCH,
                )
            )
            continue
        values = {"name": row.name, "role": row.role or contact.role}
        values["language"] = row.language or contact.language
        if all(getattr(contact, field) == value for field, value in values.items()):
            continue
        for field, value in values.items():
            setattr(contact, field, value)
        plan.update.append(contact)
    return plan


def contacts_write(plan: ContactsPlan, *, imported_by: AbstractBaseUser | None) -> None:
    """Write a plan inside the import's transaction, recorded in the change history."""
    audit.history_baseline(Contact, ids=[c.pk for c in plan.update])
    Contact.objects.bulk_create(plan.create, batch_size=1000)
    Contact.objects.bulk_update(plan.update, ["name", "role", "language"], batch_size=1000)
    audit.records_bulk(
        created=plan.create, updated=plan.update, user=imported_by, reason=audit.IMPORT_REASON
    )
