"""manage.py export_actions [--format csv|xlsx] [--output PATH]: every action as a file."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from actions.exports import ACTION_COLUMNS, action_rows, write_csv, write_xlsx
from actions.models import Action


class Command(BaseCommand):
    help = "Write every improvement action as CSV (default) or XLSX, to a file or stdout."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
        parser.add_argument("--output", help="The file to write (default: standard output).")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = action_rows(Action.objects.all())
        output = options.get("output")
        if options["format"] == "csv":
            if output:
                with open(output, "w", encoding="utf-8", newline="") as stream:
                    write_csv(rows, ACTION_COLUMNS, stream)
            else:
                write_csv(rows, ACTION_COLUMNS, self.stdout)
        elif output:
            with open(output, "wb") as stream:
                write_xlsx(rows, ACTION_COLUMNS, stream)
        else:
            write_xlsx(rows, ACTION_COLUMNS, sys.stdout.buffer)
