"""manage.py export_scores: the stored current score of every active customer, as CSV or XLSX."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from scoring.exports import export_bytes, score_rows


class Command(BaseCommand):
    help = (
        "Export one row per active customer with its stored current binding score. "
        "CSV goes to standard output unless --output is given. The file is the one the "
        "dashboard's export gives a user of --language: headers, band names and dates in "
        "that language, and for Dutch a CSV with semicolons and decimal commas."
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
        languages = [code for code, _name in settings.LANGUAGES]
        parser.add_argument(
            "--language",
            choices=languages,
            default=settings.LANGUAGE_CODE,
            help=(
                f"The language of the file, one of {', '.join(languages)} "
                f"(default {settings.LANGUAGE_CODE}): headers, band names, dates, and the "
                "CSV's separators (nl: ';' and a decimal comma; en: ',' and a decimal point)."
            ),
        )

    def handle(
        self,
        *args: object,
        file_format: str | None,
        output: str | None,
        language: str,
        **options: object,
    ) -> None:
        """Write the export to --output or standard output."""
        # call_command(language=...) passes the value without argparse's choices check.
        if language not in dict(settings.LANGUAGES):
            raise CommandError(
                _("Unknown language %(language)s: choose one of %(languages)s.")
                % {"language": language, "languages": ", ".join(dict(settings.LANGUAGES))}
            )
        kind = file_format or ("xlsx" if output and output.lower().endswith(".xlsx") else "csv")
        # The dashboard's export in that language: the same rows and the same writer.
        with translation.override(language):
            rows = score_rows()
            body = export_bytes(rows, kind)
            if output:
                Path(output).write_bytes(body)
                message = ngettext(
                    "Exported %(count)d customer to %(path)s.",
                    "Exported %(count)d customers to %(path)s.",
                    len(rows),
                )
                self.stderr.write(message % {"count": len(rows), "path": output})
                return
            self._write_stdout(body, kind)

    def _write_stdout(self, body: bytes, kind: str) -> None:
        """The file's bytes to standard output, as they are (a terminal's encoding would
        change the CSV); a text-only stream takes the CSV as text."""
        buffer = getattr(self.stdout, "buffer", None)
        if kind == "xlsx" and (buffer is None or self.stdout.isatty()):
            raise CommandError(
                _("An Excel file cannot be shown on the terminal: pass --output PATH.")
            )
        if buffer is None:
            self.stdout.write(body.decode("utf-8"), ending="")
            return
        self.stdout.flush()
        buffer.write(body)
        buffer.flush()
