"""Fill an empty database with a realistic, deterministic demo portfolio."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from scoring.demo import seed_portfolio
from scoring.extensions import demo_steps
from scoring.models import Customer


class Command(BaseCommand):
    help = "Create a deterministic demo portfolio: customers, contacts, experts and history."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=250, help="How many customers.")
        parser.add_argument("--seed", type=int, default=42, help="Seed of the generator.")
        parser.add_argument(
            "--history-months",
            type=int,
            default=12,
            help="Months of monthly score history to compute (0 for none).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) when the database already has customers.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: object, **options: Any) -> None:
        count = int(options["customers"])
        if count < 1:
            raise CommandError("--customers must be at least 1.")
        if Customer.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already has customers; no demo data loaded.")
                return
            raise CommandError(
                "The database already has customers. seed_demo fills an empty database: "
                "use a fresh DATABASE_URL, or `manage.py flush` first."
            )
        bars: dict[str, tqdm] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if options["no_progress"]:
                return
            bar = bars.get(stage)
            if bar is None:
                for other in bars.values():
                    other.close()  # one stage at a time, each on its own line
                bar = bars[stage] = tqdm(total=total, desc=f"{stage:<12}", leave=True)
            bar.update(done - bar.n)

        started = time.perf_counter()
        summary = seed_portfolio(
            customers=count,
            seed=int(options["seed"]),
            history_months=int(options["history_months"]),
            progress=progress,
        )
        now = timezone.now()
        extra_lines = [
            step.run(seed=int(options["seed"]), now=now, progress=progress) for step in demo_steps()
        ]
        for bar in bars.values():
            bar.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo portfolio ready in {time.perf_counter() - started:.1f} s: "
                f"{summary.customers} customers, {summary.contacts} contacts, "
                f"{summary.experts} experts, {summary.assessments} assessments, "
                f"{summary.element_scores} element scores, {summary.snapshots} score snapshots."
            )
        )
        for line in extra_lines:
            if line:
                self.stdout.write(f"  {line}")
        self.stdout.write("Demo logins (username / password):")
        for username, password, role in summary.logins:
            self.stdout.write(f"  {username:<10} {password}   ({role})")
