"""Importing actions from CSV or XLSX: check every row, then write all of them or none.

The file is read by ``scoring.imports`` (``table_read``: CSV with ";" or ",", XLSX, row numbers
as the spreadsheet shows them) and every problem is reported with its row and column, as the
customer and assessment imports do. The columns are those of the actions export; its
read-only columns (id, baseline, ...) are ignored, so an exported file imports elsewhere.

An action with a status past "proposed" is stored as decided at ``decided_at`` (now when
empty) with the baseline of the customer's stored score at that moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from actions import selectors
from actions.exports import ACTION_IMPORT_COLUMNS, ACTION_READ_ONLY_COLUMNS
from actions.models import OPEN_STATUSES, Action, ActionStep, ActionType
from scoring.imports import (
    ImportFailed,
    ImportSummary,
    RowError,
    Table,
    TableRow,
)

# The row checks reuse the customer and assessment imports' own cell readers.
from scoring.imports.cells import CellError, header_check, shape_errors
from scoring.imports.cells import moment_value as moment_of
from scoring.imports.tables import cell_text as text_of
from scoring.models import Customer
from scoring.roles import is_account_manager, is_management

REQUIRED = ("customer", "action_type", "title", "owner_email", "due_on")
OPTIONAL = (
    *(c for c in ACTION_IMPORT_COLUMNS if c not in REQUIRED),
    "completed_at",
    *(c for c in ACTION_READ_ONLY_COLUMNS if c != "completed_at"),
)
DECIDED = ("open", "in_progress", "done", "cancelled")


@dataclass(frozen=True)
class CleanAction:
    """One checked row, ready to be written."""

    row: int
    customer: Customer
    action_type: ActionType
    element_code: str
    title: str
    rationale: str
    origin: str
    owner: User
    due_on: date
    status: str
    decided_at: datetime | None
    completed_at: datetime | None
    outcome: str
    outcome_note: str


def _date(value: object) -> date:
    moment = moment_of(value, timezone.get_current_timezone())
    if moment is None:
        raise CellError(_("the date is missing."))
    return timezone.localtime(moment).date()


def actions_clean(*, table: Table, now: datetime | None = None) -> list[CleanAction]:
    """Check every row of an actions table; raise ImportFailed listing all problems."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    columns, errors = header_check(table, REQUIRED, OPTIONAL)
    for row in table.rows:
        errors.extend(shape_errors(table, row))
    if errors:
        raise ImportFailed(errors)
    has_element = "element" in columns.index

    def cell(row: TableRow, key: str) -> str:
        return text_of(columns.value(row, key))

    customers = {
        c.external_id: c
        for c in Customer.objects.filter(
            external_id__in={cell(r, "customer") for r in table.rows}
        ).select_related("account_manager")
    }
    types = {t.code: t for t in ActionType.objects.all()}
    emails = {cell(r, "owner_email").lower() for r in table.rows} - {""}
    users = {
        u.email_lower: u
        for u in get_user_model()
        .objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails, is_active=True)
        .prefetch_related("groups")
    }
    codes = set(selectors.active_element_codes())
    open_keys = set(
        Action.objects.filter(
            customer__in=list(customers.values()), status__in=OPEN_STATUSES
        ).values_list("customer_id", "action_type_id", "element_code")
    )
    seen_open: dict[tuple[int, int, str], int] = {}
    cleaned: list[CleanAction] = []
    for row in table.rows:
        problems: list[RowError] = []
        number = row.number

        def problem(
            key: str, message: str, number: int = number, problems: list = problems
        ) -> None:
            problems.append(RowError(number, columns.name(key), message))

        external_id = cell(row, "customer")
        customer = customers.get(external_id)
        if not external_id:
            problem("customer", _("the customer's external id is missing."))
        elif customer is None:
            problem("customer", _("there is no customer “%(id)s”.") % {"id": external_id})
        code = cell(row, "action_type")
        action_type = types.get(code)
        if not code:
            problem("action_type", _("the action type is missing."))
        elif action_type is None:
            problem(
                "action_type",
                _("“%(code)s” is not an action type. The types are: %(codes)s.")
                % {"code": code, "codes": ", ".join(sorted(types))},
            )
        element = cell(row, "element") if has_element else None
        if element is None:
            element = action_type.element_code if action_type else ""
        elif element and element not in codes:
            problem(
                "element",
                _("“%(code)s” is not an element of the active scoring model.") % {"code": element},
            )
        title = cell(row, "title")
        if not title:
            problem("title", _("the title is missing."))
        elif len(title) > 200:
            problem(
                "title", _("the title has %(n)d characters; at most 200 fit.") % {"n": len(title)}
            )
        origin = cell(row, "origin") or Action.Origin.MANUAL
        if origin not in Action.Origin.values:
            problem(
                "origin",
                _("“%(value)s” is not an origin: use manual, wall, gap or alert.")
                % {"value": origin},
            )
        elif origin == Action.Origin.CAMPAIGN:
            problem("origin", _("campaign actions come from launching a campaign, not a file."))
        email = cell(row, "owner_email").lower()
        owner = users.get(email)
        if not email:
            problem("owner_email", _("the owner's e-mail address is missing."))
        elif owner is None:
            problem("owner_email", _("no user has the address “%(email)s”.") % {"email": email})
        elif not is_account_manager(owner):
            problem("owner_email", _("%(email)s is not an account manager.") % {"email": email})
        due_on = None
        try:
            due_on = _date(columns.value(row, "due_on"))
        except CellError as error:
            problem("due_on", str(error))
        status = cell(row, "status") or Action.Status.PROPOSED
        if status not in Action.Status.values:
            problem(
                "status",
                _(
                    "“%(value)s” is not a status: use proposed, open, in_progress, done or "
                    "cancelled."
                )
                % {"value": status},
            )
        decided_at = completed_at = None
        for key in ("decided_at", "completed_at"):
            try:
                value = moment_of(columns.value(row, key), tz)
            except CellError as error:
                problem(key, str(error))
                continue
            if value is not None and value > now:
                problem(key, _("%(date)s lies in the future.") % {"date": value.date().isoformat()})
            if key == "decided_at":
                decided_at = value
            else:
                completed_at = value
        if status == Action.Status.PROPOSED and decided_at is not None:
            problem("decided_at", _("a proposed action is not decided yet: leave this empty."))
        if status in DECIDED and decided_at is None:
            decided_at = now
        outcome = cell(row, "outcome")
        if status == Action.Status.DONE and outcome not in Action.Outcome.values:
            problem(
                "outcome",
                _("a done action needs its outcome: achieved, partly, not or unknown."),
            )
        elif status != Action.Status.DONE and outcome:
            problem("outcome", _("only a done action has an outcome."))
        if status == Action.Status.DONE and completed_at is None:
            completed_at = now
        if customer is not None and action_type is not None and status in OPEN_STATUSES:
            open_key = (customer.pk, action_type.pk, element)
            if open_key in open_keys:
                problem(
                    "action_type",
                    _("%(customer)s already has an open action of this type on this element.")
                    % {"customer": customer.name},
                )
            elif open_key in seen_open:
                problem(
                    "action_type",
                    _("row %(row)d already has an open action of this type, customer and element.")
                    % {"row": seen_open[open_key]},
                )
            else:
                seen_open[open_key] = number
        if customer is not None and action_type is not None and status != "cancelled":
            moment = decided_at or now
            blocking = selectors.blocking_campaign(
                customer_id=customer.pk, action_type_id=action_type.pk, now=moment
            )
            if blocking is not None:
                problem(
                    "customer",
                    _("%(customer)s is in the control group of the campaign “%(campaign)s”.")
                    % {"customer": customer.name, "campaign": blocking[0].name},
                )
        rationale = cell(row, "rationale")
        note = cell(row, "outcome_note")
        if problems:
            errors.extend(problems)
            continue
        # A row without problems has all four (a missing one is a problem above).
        cleaned.append(
            CleanAction(
                row=number,
                customer=cast(Customer, customer),
                action_type=cast(ActionType, action_type),
                element_code=element,
                title=title,
                rationale=rationale,
                origin=origin,
                owner=cast(User, owner),
                due_on=cast(date, due_on),
                status=status,
                decided_at=decided_at,
                completed_at=completed_at,
                outcome=outcome,
                outcome_note=note,
            )
        )
    if errors:
        raise ImportFailed(errors)
    return cleaned


def actions_import(
    *, table: Table, by: User | None = None, now: datetime | None = None
) -> ImportSummary:
    """Check the table and create its actions, all or none (management only)."""
    if by is not None and not is_management(by):
        raise PermissionDenied(_("Only management imports actions."))
    now = now or timezone.now()
    rows = actions_clean(table=table, now=now)
    return actions_write(rows=rows, by=by, now=now)


def actions_write(*, rows: Sequence[CleanAction], by: User | None, now: datetime) -> ImportSummary:
    """Write checked rows in one transaction, with their checklists and baselines."""
    decided = [r for r in rows if r.decided_at is not None]
    baselines = dict(
        zip(
            [r.row for r in decided],
            selectors.baselines_at(
                [(r.customer.pk, cast(datetime, r.decided_at), r.element_code) for r in decided]
            ),
            strict=True,
        )
    )
    actions = []
    for r in rows:
        action = Action(
            customer=r.customer,
            action_type=r.action_type,
            element_code=r.element_code,
            title=r.title,
            rationale=r.rationale,
            origin=r.origin,
            status=r.status,
            owner=r.owner,
            due_on=r.due_on,
            proposed_by=by,
            proposed_at=r.decided_at or now,
            decided_by=by if r.decided_at else None,
            decided_at=r.decided_at,
            started_at=r.decided_at if r.status in ("in_progress", "done") else None,
            completed_at=r.completed_at,
            cancelled_at=now if r.status == "cancelled" else None,
            cancelled_by=by if r.status == "cancelled" else None,
            outcome=r.outcome,
            outcome_note=r.outcome_note,
        )
        for field, value in baselines.get(r.row, {}).items():
            setattr(action, field, value)
        action.baseline_band = action.baseline_band or ""
        actions.append(action)
    try:
        with transaction.atomic():
            created = Action.objects.bulk_create(actions, batch_size=1000)
            if created and created[0].pk is None:  # no keys back from this database
                raise IntegrityError("bulk_create returned no keys")
            ActionStep.objects.bulk_create(
                [
                    ActionStep(
                        action=action,
                        position=position,
                        text_nl=(step.get("nl") or "")[:300],
                        text_en=(step.get("en") or "")[:300],
                    )
                    for action in created
                    for position, step in enumerate(action.action_type.checklist, start=1)
                ],
                batch_size=5000,
            )
    except IntegrityError as error:
        raise ImportFailed(
            [
                RowError(
                    None,
                    None,
                    _(
                        "Another change to these customers' actions came in at the same time; "
                        "nothing was written. Import the file again."
                    ),
                )
            ]
        ) from error
    return ImportSummary(created=len(created))
