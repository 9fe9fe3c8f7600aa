"""manage.py import_assessments PATH: add assessments from a CSV or XLSX file."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from scoring.imports import ImportProgress, ImportSummary, Table, assessments_import
from scoring.management.importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Add assessments from a CSV or XLSX file with the columns customer, respondent_kind, "
        "respondent_email, assessed_at, optional nps, respondent_name and comment, and one "
        "column per element code of the active scoring model (0-6 or empty). All rows or none "
        "are imported; rows already in the database are skipped."
    )
    what = _("assessments")
    skipped_because = _("already present")

    def run_import(
        self, table: Table, progress: ImportProgress, imported_by: AbstractBaseUser | None
    ) -> ImportSummary:
        return assessments_import(table=table, progress=progress, imported_by=imported_by)
