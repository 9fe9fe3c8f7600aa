"""Importing customers: check every row of a customers table, then create or update the
customers by external id, all or nothing; with the optional contact columns
(``scoring.imports.contacts``) their contact persons too, in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Field
from django.utils import timezone
from django.utils.translation import gettext as _

from klantbinding import accounts, audit
from klantbinding.lib import db
from scoring.imports.cells import (
    CellError,
    Columns,
    decimal_value,
    email_error,
    header_check,
    progress_report,
    shape_errors,
    summary_rows,
    too_long,
    users_by_email,
    wrong_kind_error,
)
from scoring.imports.contacts import (
    CONTACT_COLUMNS,
    ContactRow,
    contact_row_clean,
    contacts_existing,
    contacts_plan,
    contacts_write,
)
from scoring.imports.tables import (
    ImportFailed,
    ImportProgress,
    ImportSummary,
    RowError,
    Table,
    TableRow,
    cell_text,
)
from scoring.models import Customer, PaymentBehaviour
from scoring.roles import ACCOUNT_MANAGERS

CUSTOMER_COLUMNS = (
    "external_id",
    "name",
    "account_manager_email",
    "sector",
    "annual_revenue",
    "margin_pct",
    "revenue_potential",
    "payment_behaviour",
)
# The columns only an assessments file has: a file with them was uploaded as the wrong kind.
_ASSESSMENTS_OWN = ("respondent_kind", "respondent_email", "assessed_at")
_MONEY_LIMIT = Decimal(10) ** 12  # DecimalField(max_digits=14, decimal_places=2)
_CENT = Decimal("0.01")


_PAYMENT_BEHAVIOUR = {
    "good": PaymentBehaviour.GOOD,
    "goed": PaymentBehaviour.GOOD,
    "average": PaymentBehaviour.AVERAGE,
    "gemiddeld": PaymentBehaviour.AVERAGE,
    "poor": PaymentBehaviour.POOR,
    "slecht": PaymentBehaviour.POOR,
}


@dataclass
class CustomerRow:
    """One checked row of a customers file."""

    row: int
    external_id: str
    name: str
    account_manager_email: str  # lower-case; "" for no account manager
    sector: str
    annual_revenue: Decimal
    margin_pct: Decimal | None
    revenue_potential: Decimal
    payment_behaviour: str
    contacts: list[ContactRow] = field(default_factory=list)


def _money(
    value: object, column: str, row: int, errors: list[RowError], *, default: Decimal
) -> Decimal:
    try:
        amount = decimal_value(value, thousands_dot=True)
    except CellError:
        errors.append(
            RowError(
                row,
                column,
                _("“%(value)s” is not an amount: write it as 1234,56 or 1.234,56 or 1234.56.")
                % {"value": cell_text(value)},
            )
        )
        return default
    if amount is None:
        return default
    if amount.copy_abs() < _MONEY_LIMIT:  # a 29-digit number cannot be rounded to cents
        amount = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    if amount < 0:
        errors.append(
            RowError(
                row,
                column,
                _("%(value)s is negative: use 0 or more.") % {"value": cell_text(value)},
            )
        )
    elif amount >= _MONEY_LIMIT:
        errors.append(
            RowError(
                row,
                column,
                _("%(value)s is too large: it must be below 1,000,000,000,000.")
                % {"value": cell_text(value)},
            )
        )
    return amount


def _margin(value: object, column: str, row: int, errors: list[RowError]) -> Decimal | None:
    usage = _("use a percentage from -100 to 100, e.g. 12,5 or 12.5, or leave it empty.")
    try:
        margin = decimal_value(value, thousands_dot=False)
    except CellError:
        errors.append(
            RowError(
                row,
                column,
                _("“%(value)s” is not a number: %(usage)s")
                % {"value": cell_text(value), "usage": usage},
            )
        )
        return None
    if margin is None:
        return None
    if margin.copy_abs() <= Decimal(100):  # a 29-digit number cannot be rounded to cents
        margin = margin.quantize(_CENT, rounding=ROUND_HALF_UP)
    if not Decimal(-100) <= margin <= Decimal(100):
        errors.append(
            RowError(
                row,
                column,
                _("%(value)s is outside the range: %(usage)s")
                % {"value": cell_text(value), "usage": usage},
            )
        )
    return margin


def customers_clean(*, table: Table, progress: ImportProgress | None = None) -> list[CustomerRow]:
    """Check every row of a customers table; raise ImportFailed listing all problems."""
    columns, errors = header_check(table, CUSTOMER_COLUMNS, CONTACT_COLUMNS)
    if errors and (wrong := wrong_kind_error(table, _ASSESSMENTS_OWN, "assessments")):
        raise ImportFailed([wrong])
    with_contacts = any(name in columns.index for name in CONTACT_COLUMNS)
    identity = [columns.index[k] for k in ("external_id", "name") if k in columns.index]
    summaries = summary_rows(table, identity, _("a customer"))
    for row in table.rows:
        if row.number not in summaries:
            errors.extend(shape_errors(table, row))
    errors.extend(summaries.values())
    if len(errors) > len(summaries):
        raise ImportFailed(errors)

    emails = {
        cell_text(columns.value(row, "account_manager_email")).lower() for row in table.rows
    } - {""}
    known_users = users_by_email(emails, match_username=True)
    username_limit = get_user_model()._meta.get_field("username").max_length or 150
    stage = _("Checking rows")
    total = len(table.rows)
    reported = 0
    seen: dict[str, int] = {}
    details_of: dict[str, tuple[str, ...]] = {}  # a customer's details as its first row gives them
    customer_of: dict[str, CustomerRow] = {}
    contact_seen: dict[tuple[str, str], int] = {}
    cleaned: list[CustomerRow] = []
    for done, row in enumerate(table.rows, start=1):
        row_errors: list[RowError] = []
        number = row.number
        if number in summaries:
            reported = progress_report(progress, stage, done, total, reported)
            continue
        external_id = cell_text(columns.value(row, "external_id"))
        contact = contact_row_clean(columns, row, row_errors) if with_contacts else None
        if contact is not None and external_id:
            key = (external_id, contact.email)
            if key in contact_seen:
                row_errors.append(
                    RowError(
                        number,
                        columns.name("contact_email"),
                        _(
                            "this contact person of “%(id)s” is already in row %(row)d: "
                            "each contact person once per customer."
                        )
                        % {"id": external_id, "row": contact_seen[key]},
                    )
                )
            else:
                contact_seen[key] = number
        if with_contacts and external_id in seen:
            # A further contact person of a customer above: its details repeated or empty.
            details = _details(columns, row)
            if contact is None and not row_errors:
                row_errors.append(
                    RowError(
                        number,
                        columns.name("external_id"),
                        _(
                            "“%(id)s” is already in row %(row)d: a customer takes more rows "
                            "only for more contact persons."
                        )
                        % {"id": external_id, "row": seen[external_id]},
                    )
                )
            elif any(details) and details != details_of.get(external_id):
                row_errors.append(
                    RowError(
                        number,
                        columns.name("external_id"),
                        _(
                            "the details of “%(id)s” differ from row %(row)d: repeat them "
                            "exactly or leave them empty on its further rows."
                        )
                        % {"id": external_id, "row": seen[external_id]},
                    )
                )
            if row_errors:
                errors.extend(row_errors)
            elif contact is not None and external_id in customer_of:
                customer_of[external_id].contacts.append(contact)
            reported = progress_report(progress, stage, done, total, reported)
            continue
        if not external_id:
            message = _("the external id is missing; every customer needs one.")
        elif overlong := too_long(external_id, 64):
            message = overlong
        elif external_id in seen:
            message = _("“%(id)s” is already in row %(row)d: each customer once per file.") % {
                "id": external_id,
                "row": seen[external_id],
            }
        else:
            message = ""
            seen[external_id] = number
            details_of[external_id] = _details(columns, row)
        if message:
            row_errors.append(RowError(number, columns.name("external_id"), message))
        name = cell_text(columns.value(row, "name"))
        if not name:
            row_errors.append(
                RowError(
                    number,
                    columns.name("name"),
                    _("the name is missing; every customer needs one."),
                )
            )
        elif overlong := too_long(name, 200):
            row_errors.append(RowError(number, columns.name("name"), overlong))
        email = cell_text(columns.value(row, "account_manager_email")).lower()
        message = ""
        if email:
            if bad_email := email_error(email):
                message = bad_email
            elif email not in known_users and len(email) > username_limit:
                message = _(
                    "the address is too long to become a user name (at most %(limit)d characters)."
                ) % {"limit": username_limit}
        if message:
            row_errors.append(RowError(number, columns.name("account_manager_email"), message))
        sector = cell_text(columns.value(row, "sector"))
        if overlong := too_long(sector, 100):
            row_errors.append(RowError(number, columns.name("sector"), overlong))
        annual_revenue = _money(
            columns.value(row, "annual_revenue"),
            columns.name("annual_revenue"),
            number,
            row_errors,
            default=Decimal(0),
        )
        margin_pct = _margin(
            columns.value(row, "margin_pct"), columns.name("margin_pct"), number, row_errors
        )
        revenue_potential = _money(
            columns.value(row, "revenue_potential"),
            columns.name("revenue_potential"),
            number,
            row_errors,
            default=Decimal(0),
        )
        behaviour_text = cell_text(columns.value(row, "payment_behaviour"))
        behaviour = _PAYMENT_BEHAVIOUR.get(behaviour_text.lower())
        if behaviour_text and behaviour is None:
            row_errors.append(
                RowError(
                    number,
                    columns.name("payment_behaviour"),
                    _(
                        "“%(value)s” is not a payment behaviour: use good, average or poor "
                        "(goed, gemiddeld, slecht), or leave it empty."
                    )
                    % {"value": behaviour_text},
                )
            )
        if row_errors:
            errors.extend(row_errors)
        else:
            customer_row = CustomerRow(
                row=number,
                external_id=external_id,
                name=name,
                account_manager_email=email,
                sector=sector,
                annual_revenue=annual_revenue,
                margin_pct=margin_pct,
                revenue_potential=revenue_potential,
                payment_behaviour=str(behaviour or ""),
                contacts=[contact] if contact is not None else [],
            )
            cleaned.append(customer_row)
            customer_of[external_id] = customer_row
        reported = progress_report(progress, stage, done, total, reported)
    if errors:
        raise ImportFailed(errors)
    return cleaned


def _details(columns: Columns, row: TableRow) -> tuple[str, ...]:
    """A row's customer details as written (all but the external id)."""
    return tuple(cell_text(columns.value(row, name)) for name in CUSTOMER_COLUMNS[1:])


_CUSTOMER_FIELDS = (
    "name",
    "account_manager",
    "sector",
    "annual_revenue",
    "margin_pct",
    "revenue_potential",
    "payment_behaviour",
)


@dataclass
class CustomersPlan:
    """What importing checked rows does: the customers to create and to update (with their new
    values set, not saved), how many are unchanged, and the account managers to create."""

    to_create: list[Customer]
    to_update: list[Customer]
    unchanged: int
    users: dict[str, AbstractBaseUser]  # the existing account managers by e-mail
    new_user_emails: list[str]
    emails: dict[str, str]  # external id → account manager e-mail ("" for none)
    existing: dict[str, Customer]  # the customers already stored, by external id


def customers_plan(cleaned: Sequence[CustomerRow], *, now: datetime) -> CustomersPlan:
    """Compare checked rows with the database: the one count of what an import will do, for
    the check page as for the import itself (a customer whose every field is the same is
    unchanged, not an update)."""
    emails = {c.account_manager_email for c in cleaned} - {""}
    users = users_by_email(emails, match_username=True)
    new_user_emails = sorted(emails - set(users))
    existing: dict[str, Customer] = {}
    ids = [c.external_id for c in cleaned]
    for chunk in db.chunked(ids):
        existing.update({c.external_id: c for c in Customer.objects.filter(external_id__in=chunk)})
    to_create: list[Customer] = []
    to_update: list[Customer] = []
    unchanged = 0
    for row in cleaned:
        manager = users.get(row.account_manager_email)
        values = {
            "name": row.name,
            "account_manager": manager,
            "sector": row.sector,
            "annual_revenue": row.annual_revenue,
            "margin_pct": row.margin_pct,
            "revenue_potential": row.revenue_potential,
            "payment_behaviour": row.payment_behaviour,
        }
        customer = existing.get(row.external_id)
        if customer is None:
            to_create.append(Customer(external_id=row.external_id, **values))
            continue
        new_manager = row.account_manager_email in new_user_emails
        if not new_manager and _customer_same(customer, values):
            unchanged += 1
            continue
        for name, value in values.items():
            setattr(customer, name, value)
        customer.updated_at = now  # bulk_update does not apply auto_now
        to_update.append(customer)
    return CustomersPlan(
        to_create=to_create,
        to_update=to_update,
        unchanged=unchanged,
        users=users,
        new_user_emails=new_user_emails,
        emails={row.external_id: row.account_manager_email for row in cleaned},
        existing=existing,
    )


def customers_import(
    *,
    table: Table,
    progress: ImportProgress | None = None,
    imported_by: AbstractBaseUser | None = None,
) -> ImportSummary:
    """Check a customers table, then create or update customers by external id, all or nothing.

    An unknown account manager e-mail becomes a user (username = e-mail, no usable password)
    in the account managers group; they set a password by password reset.
    """
    cleaned = customers_clean(table=table, progress=progress)
    user_model = get_user_model()
    now = timezone.now()
    with transaction.atomic():
        plan = customers_plan(cleaned, now=now)
        users = plan.users
        new_users = []
        for email in plan.new_user_emails:
            user = user_model(username=email, email=email)
            user.set_unusable_password()
            new_users.append(user)
        if new_users:
            created_users = user_model.objects.bulk_create(new_users)
            group, _created = Group.objects.get_or_create(name=ACCOUNT_MANAGERS)
            group.user_set.add(*created_users)
            users.update({u.email: u for u in created_users})
            accounts.users_invite(users=created_users)
        for customer in plan.to_create:
            customer.account_manager = users.get(plan.emails[customer.external_id])  # type: ignore[assignment]
        for customer in plan.to_update:
            email = plan.emails[customer.external_id]
            if email in plan.new_user_emails:
                customer.account_manager = users.get(email)  # type: ignore[assignment]
        to_create, to_update, unchanged = plan.to_create, plan.to_update, plan.unchanged

        stage = _("Writing")
        total = len(to_create) + len(to_update)
        for start in range(0, len(to_create), 1000):
            batch = to_create[start : start + 1000]
            Customer.objects.bulk_create(batch)
            if progress:
                progress(stage, len(batch), total)
        for start in range(0, len(to_update), 1000):
            batch = to_update[start : start + 1000]
            _customers_update(batch)
            if progress:
                progress(stage, len(batch), total)
        audit.records_bulk(
            created=to_create, updated=to_update, user=imported_by, reason=audit.IMPORT_REASON
        )
        customer_ids = {c.external_id: c.pk for c in [*plan.existing.values(), *to_create]}
        contact_rows = [(customer_ids[row.external_id], c) for row in cleaned for c in row.contacts]
        contacts = contacts_plan(
            contact_rows, contacts_existing(pk for pk, _contact in contact_rows)
        )
        contacts_write(contacts, imported_by=imported_by)
    return ImportSummary(
        created=len(to_create),
        updated=len(to_update),
        skipped=unchanged,
        users_created=len(new_users),
        contacts_created=len(contacts.create),
        contacts_updated=len(contacts.update),
    )


def customers_plan_counts(cleaned: Sequence[CustomerRow], *, now: datetime) -> dict[str, int]:
    """What importing checked rows would do, without writing: customers created, updated and
    unchanged, account managers created, contact persons created and updated
    (``upload_check``'s counts, so the check page says what the import does)."""
    plan = customers_plan(cleaned, now=now)
    known = [
        (plan.existing[r.external_id].pk, c)
        for r in cleaned
        if r.external_id in plan.existing
        for c in r.contacts
    ]
    contacts = contacts_plan(known, contacts_existing(pk for pk, _contact in known))
    new_contacts = sum(len(r.contacts) for r in cleaned if r.external_id not in plan.existing)
    return {
        "create": len(plan.to_create),
        "update": len(plan.to_update),
        "skip": plan.unchanged,
        "users": len(plan.new_user_emails),
        "contacts_create": len(contacts.create) + new_contacts,
        "contacts_update": len(contacts.update),
    }


def _customers_update(customers: Sequence[Customer]) -> None:
    """One parameterised UPDATE per customer, sent in one executemany.

    ``bulk_update`` builds a CASE WHEN expression per object and field in Python, which
    costs about 25 seconds for 10,000 customers; this takes well under one.
    """
    meta = Customer._meta
    conn = connections[DEFAULT_DB_ALIAS]  # resolved once: the proxy costs a lookup per value
    fields = [cast(Field, meta.get_field(name)) for name in (*_CUSTOMER_FIELDS, "updated_at")]
    quote = db.quote_name
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)
    key = str(meta.pk.column)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(key)} = %s"
    params = [
        [*(f.get_db_prep_save(getattr(c, f.attname), conn) for f in fields), c.pk]
        for c in customers
    ]
    db.execute_many(sql, params)


def _customer_same(customer: Customer, values: Mapping[str, object]) -> bool:
    for name, value in values.items():
        if name == "account_manager":
            user_id = getattr(value, "pk", None)
            if customer.account_manager_id != user_id:
                return False
        elif getattr(customer, name) != value:
            return False
    return True
