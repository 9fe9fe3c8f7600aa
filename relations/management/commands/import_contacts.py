"""manage.py import_contacts PATH: add logged contacts from a CSV or XLSX file."""

from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from relations.imports import contacts_check, contacts_import
from scoring.imports import ImportFailed, table_read_path
from scoring.management.importing import summary_text


class Command(BaseCommand):
    help = (
        "Add contacts from a CSV or XLSX file with the columns customer (external id), kind "
        "(visit, call, video_call, email, event, note; Dutch words work too), at (date or "
        "date-time, not in the future) and summary, and optionally notes, staff (e-mail "
        "addresses of account managers or management) and contacts (e-mail addresses of the "
        "customer's contact persons). All rows or none are imported; rows already present are "
        "skipped."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="The .csv or .xlsx file.")
        parser.add_argument(
            "--check", action="store_true", help="Only check the file, write nothing."
        )

    def handle(self, *args: object, path: str, check: bool, **options: object) -> None:
        """Import the file, or fail listing every problem and write nothing."""
        try:
            table = table_read_path(path)
            summary = contacts_check(table=table) if check else contacts_import(table=table)
        except ImportFailed as failure:
            raise CommandError(failure.text()) from failure
        line = summary_text(summary, what=_("contacts"), skipped_because=_("already present"))
        if check:
            line = _("Checked, nothing written. %(line)s") % {"line": line}
        self.stdout.write(self.style.SUCCESS(line))
