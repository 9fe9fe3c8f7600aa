"""Importing assessments: check every row of an assessments table against the active scoring
model, then write the new ones in one transaction (rows already present are skipped)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from klantbinding.lib import db
from scoring import selectors, services
from scoring.imports.cells import (
    CellError,
    email_error,
    header_check,
    moment_value,
    progress_report,
    score_number,
    shape_errors,
    summary_rows,
    too_long,
    users_by_email,
    wrong_kind_error,
)
from scoring.imports.tables import (
    ImportFailed,
    ImportProgress,
    ImportSummary,
    RowError,
    Table,
    cell_text,
)
from scoring.models import Assessment, Customer, RespondentKind

ASSESSMENT_COLUMNS = ("customer", "respondent_kind", "respondent_email", "assessed_at")
ASSESSMENT_OPTIONAL_COLUMNS = ("nps", "respondent_name", "comment")
# The columns only a customers file has: a file with them was uploaded as the wrong kind.
_CUSTOMERS_OWN = ("external_id", "account_manager_email", "annual_revenue", "revenue_potential")


# Keys of assessment_clean's ValidationError that are not a column name of the file.
_ERROR_COLUMNS = {"user": "respondent_email"}


@dataclass
class AssessmentsPlan:
    """The checked assessments of a file: the new ones, and how many were already present."""

    new: list[services.CleanAssessment] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # the row number of each new assessment
    already_present: int = 0


def _validation_messages(error: ValidationError) -> dict[str | None, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            (None if key == NON_FIELD_ERRORS else key): messages
            for key, messages in error.message_dict.items()
        }
    return {None: error.messages}


def _customers_by_external_id(external_ids: Iterable[str]) -> dict[str, Customer]:
    wanted = sorted(set(external_ids))
    found: dict[str, Customer] = {}
    for chunk in db.chunked(wanted):
        found.update({c.external_id: c for c in Customer.objects.filter(external_id__in=chunk)})
    return found


def assessments_clean(
    *,
    table: Table,
    now: datetime | None = None,
    progress: ImportProgress | None = None,
) -> AssessmentsPlan:
    """Check every row of an assessments table against the active scoring model.

    Raises ImportFailed listing all problems. Rows already in the database (same customer,
    respondent kind, e-mail and assessed_at) are counted in ``already_present``, not returned.
    """
    now = now or timezone.now()
    tz = timezone.get_default_timezone()
    scoring_model = selectors.scoring_model_active()
    codes = list(scoring_model.elements.order_by("order", "pk").values_list("code", flat=True))
    asked = {kind: selectors.asked_elements(scoring_model, kind) for kind in RespondentKind.values}
    asked_codes = {kind: {e.code for e in elements} for kind, elements in asked.items()}
    kinds = frozenset(RespondentKind.values)

    columns, errors = header_check(
        table, [*ASSESSMENT_COLUMNS, *codes], ASSESSMENT_OPTIONAL_COLUMNS
    )
    if errors and (wrong := wrong_kind_error(table, _CUSTOMERS_OWN, "customers")):
        raise ImportFailed([wrong])
    identity = [columns.index[k] for k in ("customer", "respondent_email") if k in columns.index]
    summaries = summary_rows(table, identity, _("an assessment"))
    for row in table.rows:
        if row.number not in summaries:
            errors.extend(shape_errors(table, row))
    errors.extend(summaries.values())
    if len(errors) > len(summaries):
        raise ImportFailed(errors)

    customers = _customers_by_external_id(
        cell_text(columns.value(row, "customer")) for row in table.rows
    )
    staff_emails = {
        cell_text(columns.value(row, "respondent_email")).lower()
        for row in table.rows
        if cell_text(columns.value(row, "respondent_kind")).lower() == RespondentKind.STAFF
    } - {""}
    staff_users = users_by_email(staff_emails)

    def column(key: str | None) -> str | None:
        if key is None:
            return None
        return columns.name(_ERROR_COLUMNS.get(key, key))

    stage = _("Checking rows")
    total = len(table.rows)
    reported = 0
    new: list[tuple[services.CleanAssessment, int, tuple | None]] = []
    first_row: dict[tuple, int] = {}
    for done, row in enumerate(table.rows, start=1):
        number = row.number
        if number in summaries:
            reported = progress_report(progress, stage, done, total, reported)
            continue
        problems: dict[str | None, list[str]] = {}

        external_id = cell_text(columns.value(row, "customer"))
        customer = customers.get(external_id)
        if not external_id:
            problems["customer"] = [_("the customer's external id is missing.")]
        elif customer is None:
            problems["customer"] = [
                _("there is no customer with external id “%(id)s”; import the customer first.")
                % {"id": external_id}
            ]

        kind_text = cell_text(columns.value(row, "respondent_kind"))
        kind = kind_text.lower()
        if kind not in kinds:
            problems["respondent_kind"] = [
                _("“%(kind)s” is not a respondent kind: use staff, customer or expert.")
                % {"kind": kind_text}
                if kind_text
                else _("the respondent kind is missing: use staff, customer or expert.")
            ]

        email = cell_text(columns.value(row, "respondent_email")).lower()
        if not email:
            problems["respondent_email"] = [_("the respondent's e-mail address is missing.")]

        assessed_at = None
        try:
            assessed_at = moment_value(columns.value(row, "assessed_at"), tz)
        except CellError as error:
            problems["assessed_at"] = [str(error)]

        respondent_name = cell_text(columns.value(row, "respondent_name"))
        if overlong := too_long(respondent_name, 200):
            problems["respondent_name"] = [overlong]
        comment = cell_text(columns.value(row, "comment"))
        nps = score_number(columns.value(row, "nps"))

        values: dict[str, object] = {}
        for code in codes:
            value = score_number(columns.value(row, code))
            if value is None:
                continue
            if kind in asked_codes and code not in asked_codes[kind]:
                problems.setdefault(code, []).append(
                    _(
                        "%(kind)s respondents are not asked about this element: "
                        "leave it empty for them."
                    )
                    % {"kind": RespondentKind(kind).label}
                )
                continue
            values[code] = value

        if kind in kinds:
            try:
                clean = services.assessment_clean(
                    customer=customer or Customer(),
                    respondent_kind=kind,
                    respondent_email=email,
                    respondent_name=respondent_name,
                    user=staff_users.get(email) if kind == RespondentKind.STAFF else None,
                    values=values,
                    comment=comment,
                    nps=nps,
                    assessed_at=assessed_at,
                    scoring_model=scoring_model,
                    source=Assessment.Source.IMPORT,
                    elements=asked[kind],
                    now=now,
                )
            except ValidationError as error:
                clean = None
                for key, messages in _validation_messages(error).items():
                    target = _ERROR_COLUMNS.get(key, key) if key else None
                    if target in problems:
                        continue  # already said in plainer words above
                    problems.setdefault(target, []).extend(messages)
        else:
            # Without a kind the service cannot check the row; still check the values.
            clean = None
            for code, value in values.items():
                if message := services.score_value_error(value):
                    problems.setdefault(code, []).append(message)
            if email and "respondent_email" not in problems and (message := email_error(email)):
                problems["respondent_email"] = [message]

        if problems:
            for key in sorted(problems, key=lambda k: columns.index.get(k or "", -1)):
                for message in problems[key]:
                    errors.append(RowError(number, column(key), message))
        elif clean is not None and customer is not None:
            same: tuple[int, str, str, datetime] | None = None
            if assessed_at is not None:
                same = (customer.pk, kind, clean.respondent_email, _utc(clean.assessed_at))
            if same is not None and same in first_row:
                errors.append(
                    RowError(
                        number,
                        None,
                        _(
                            "the same respondent assessed the same customer at the same time "
                            "in row %(row)d: remove one of the two rows."
                        )
                        % {"row": first_row[same]},
                    )
                )
            else:
                if same is not None:
                    first_row[same] = number
                new.append((clean, number, same))
        reported = progress_report(progress, stage, done, total, reported)
    if errors:
        raise ImportFailed(errors)

    # Only rows with their own assessed_at can be recognised when the file is imported again.
    present = _present_keys([key for _clean, _row, key in new if key is not None])
    kept = [(clean, number) for clean, number, key in new if key is None or key not in present]
    return AssessmentsPlan(
        new=[clean for clean, _row in kept],
        rows=[number for _clean, number in kept],
        already_present=len(new) - len(kept),
    )


def _utc(moment: datetime) -> datetime:
    # Python never finds a local time in a DST gap or fold equal to the same moment in another
    # zone (PEP 495), so keys compare in UTC.
    return moment.astimezone(UTC)


def _present_keys(keys: Sequence[tuple]) -> set[tuple]:
    """Which (customer id, kind, e-mail, assessed_at) keys already have an assessment."""
    if not keys:
        return set()
    wanted = set(keys)
    customer_ids = sorted({k[0] for k in keys})
    start = min(k[3] for k in keys)
    end = max(k[3] for k in keys)
    found: set[tuple] = set()
    for chunk in db.chunked(customer_ids):
        rows = Assessment.objects.filter(
            customer_id__in=chunk, assessed_at__gte=start, assessed_at__lte=end
        ).values_list("customer_id", "respondent_kind", "respondent_email", "assessed_at")
        for customer_id, kind, email, assessed_at in rows.iterator(chunk_size=5000):
            key = (customer_id, kind, email.lower(), _utc(assessed_at))
            if key in wanted:
                found.add(key)
    return found


def assessments_import(
    *,
    table: Table,
    progress: ImportProgress | None = None,
    now: datetime | None = None,
    imported_by: AbstractBaseUser | None = None,
) -> ImportSummary:
    """Check an assessments table, then write the new assessments in one transaction.

    The affected customers' stored scores are refreshed. Rows already present are skipped.
    """
    plan = assessments_clean(table=table, now=now, progress=progress)
    for clean in plan.new:
        clean.imported_by = imported_by
    stage = _("Writing")
    total = len(plan.new)

    def write_progress(advance: int) -> None:
        if progress is not None:
            progress(stage, advance, total)

    services.assessments_bulk_create(plan.new, progress=write_progress)
    return ImportSummary(created=len(plan.new), skipped=plan.already_present)
