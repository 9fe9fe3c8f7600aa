"""The import commands' shared parts: a progress bar per stage on the terminal, the line they
print after an import, and the command itself."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any, TextIO

from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import BaseCommand, CommandError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from klantbinding.accounts import user_find
from scoring.imports import (
    ImportFailed,
    ImportProgress,
    ImportSummary,
    Table,
    table_read_path,
)

StrOrPromise = str | Promise


class TerminalProgress:
    """Shows each stage of an import as a tqdm bar (hidden when the stream is no terminal)."""

    def __init__(self, *, disable: bool | None = None, file: TextIO | None = None) -> None:
        self.disable = disable
        self.file = file
        self._stage: str | None = None
        self._bar: Any = None  # a tqdm bar while a stage runs

    def __call__(self, stage: str, advance: int, total: int) -> None:
        from tqdm import tqdm

        if stage != self._stage:
            self.close()
            self._stage = stage
            self._bar = tqdm(
                total=total, desc=stage, unit=_("rows"), file=self.file, disable=self.disable
            )
        self._bar.update(advance)

    def close(self) -> None:
        """Close the current bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def summary_text(summary: ImportSummary, *, what: str, skipped_because: str = "") -> str:
    """The line a command prints after a successful import."""
    text = _("Imported %(what)s: %(created)d created, %(updated)d updated, %(skipped)d skipped") % {
        "what": what,
        "created": summary.created,
        "updated": summary.updated,
        "skipped": summary.skipped,
    }
    text += f" ({skipped_because})." if skipped_because else "."
    if summary.contacts_created or summary.contacts_updated:
        text += " " + _("Contact persons: %(created)d created, %(updated)d updated.") % {
            "created": summary.contacts_created,
            "updated": summary.contacts_updated,
        }
    if summary.users_created:
        text += " " + ngettext(
            "%(count)d new account manager user (to set a password, use password reset).",
            "%(count)d new account manager users (to set a password, use password reset).",
            summary.users_created,
        ) % {"count": summary.users_created}
    return text


class ImportCommand(BaseCommand):
    """``manage.py import_… PATH``: import one file, or fail listing every problem and write
    nothing. A command names its import function and the words of its summary line."""

    what: StrOrPromise = ""  # what was imported, e.g. "customers"
    skipped_because: StrOrPromise = ""  # why rows were skipped, e.g. "unchanged"

    def run_import(
        self, table: Table, progress: ImportProgress, imported_by: AbstractBaseUser | None
    ) -> ImportSummary:
        raise NotImplementedError

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
                summary = self.run_import(table_read_path(path), bar, imported_by)
            except ImportFailed as failure:
                raise CommandError(failure.text()) from failure
        self.stdout.write(
            self.style.SUCCESS(
                summary_text(
                    summary, what=str(self.what), skipped_because=str(self.skipped_because)
                )
            )
        )
