"""manage.py export_scores: the stored current score of every active customer, as CSV or XLSX."""

from __future__ import annotations

import io
from argparse import ArgumentParser
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from scoring.exports import score_rows, write_csv, write_xlsx


class Command(BaseCommand):
    help = (
        "Export one row per active customer with its stored current binding score. "
        "CSV goes to standard output unless --output is given."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--format",
            dest="file_format",
            choices=["csv", "xlsx"],
            default=None,
            help="csv (default) or xlsx; a --output ending in .xlsx implies xlsx.",
        )
        parser.add_argument("--output", "-o", default=None, help="The file to write.")

    def handle(
        self, *args: object, file_format: str | None, output: str | None, **options: object
    ) -> None:
        """Write the export to --output or standard output."""
        kind = file_format or ("xlsx" if output and output.lower().endswith(".xlsx") else "csv")
        rows = score_rows()
        if kind == "csv":
            if output:
                with Path(output).open("w", newline="", encoding="utf-8") as stream:
                    write_csv(rows, stream)
            else:
                text = io.StringIO(newline="")
                write_csv(rows, text)
                self.stdout.write(text.getvalue(), ending="")
        elif output:
            with Path(output).open("wb") as stream:
                write_xlsx(rows, stream)
        else:
            buffer = getattr(self.stdout, "buffer", None)
            if buffer is None or self.stdout.isatty():
                raise CommandError(
                    _("An Excel file cannot be shown on the terminal: pass --output PATH.")
                )
            write_xlsx(rows, buffer)
            buffer.flush()
        if output:
            message = ngettext(
                "Exported %(count)d customer to %(path)s.",
                "Exported %(count)d customers to %(path)s.",
                len(rows),
            )
            self.stderr.write(message % {"count": len(rows), "path": output})
