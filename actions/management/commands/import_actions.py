"""manage.py import_actions PATH: create actions from a CSV or XLSX file, all or none."""

from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from actions.imports import actions_import
from scoring.imports import ImportFailed, table_read_path
from scoring.management.importing import summary_text


class Command(BaseCommand):
    help = (
        "Create improvement actions from a CSV or XLSX file with the columns customer, "
        "action_type, title, owner_email, due_on and optionally element, rationale, origin, "
        "status, decided_at, completed_at, outcome, outcome_note (the actions export's "
        "columns). All rows or none are imported; every problem is listed with its row."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="The .csv or .xlsx file.")

    def handle(self, *args: object, path: str, **options: object) -> None:
        try:
            summary = actions_import(table=table_read_path(path))
        except ImportFailed as failure:
            raise CommandError(failure.text()) from failure
        self.stdout.write(self.style.SUCCESS(summary_text(summary, what=_("actions"))))
