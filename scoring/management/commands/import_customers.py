"""manage.py import_customers PATH: create or update customers from a CSV or XLSX file."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from scoring.imports import ImportProgress, ImportSummary, Table, customers_import
from scoring.management.importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Create or update customers by external_id from a CSV or XLSX file with the columns "
        "external_id, name, account_manager_email, sector, annual_revenue, margin_pct, "
        "revenue_potential, payment_behaviour, and optionally contact_name, contact_email, "
        "contact_role, contact_language (one contact person a row; a customer's further rows "
        "repeat its details or leave them empty). All rows or none are imported."
    )
    what = _("customers")
    skipped_because = _("unchanged")

    def run_import(
        self, table: Table, progress: ImportProgress, imported_by: AbstractBaseUser | None
    ) -> ImportSummary:
        return customers_import(table=table, progress=progress, imported_by=imported_by)
