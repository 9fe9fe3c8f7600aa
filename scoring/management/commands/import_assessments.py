"""manage.py import_assessments PATH: add assessments from a CSV or XLSX file."""

from __future__ import annotations

import sys
from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from klantbinding.accounts import user_find
from scoring.imports import (
    ImportFailed,
    TerminalProgress,
    assessments_import,
    summary_text,
    table_read_path,
)


class Command(BaseCommand):
    help = (
        "Add assessments from a CSV or XLSX file with the columns customer, respondent_kind, "
        "respondent_email, assessed_at, optional nps, respondent_name and comment, and one "
        "column per element code of the active scoring model (0-6 or empty). All rows or none "
        "are imported; rows already in the database are skipped."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="The .csv or .xlsx file.")
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show a progress bar."
        )
        parser.add_argument(
            "--user",
            default="",
            help="Who imports (user name or e-mail): recorded with what is written.",
        )

    def handle(
        self, *args: object, path: str, no_progress: bool, user: str, **options: object
    ) -> None:
        """Import the file, or fail listing every problem and write nothing."""
        try:
            imported_by = user_find(user) if user else None
        except LookupError:
            raise CommandError(_("There is no active user “%(user)s”.") % {"user": user}) from None
        with TerminalProgress(disable=True if no_progress else None, file=sys.stderr) as bar:
            try:
                summary = assessments_import(
                    table=table_read_path(path), progress=bar, imported_by=imported_by
                )
            except ImportFailed as failure:
                raise CommandError(failure.text()) from failure
        self.stdout.write(
            self.style.SUCCESS(
                summary_text(summary, what=_("assessments"), skipped_because=_("already present"))
            )
        )
