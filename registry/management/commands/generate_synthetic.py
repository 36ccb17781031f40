"""``manage.py generate_synthetic --projects N --seed S``: an illustrative data set at scale."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry import synthetic
from registry.models import ResearchField


class Command(BaseCommand):
    help = (
        "Add N illustrative projects (with one organisation per five projects and one facility "
        "per ten) for benchmarks and load tests: 2-8 participants on both banks, funding in CNY "
        "and HKD, research fields and priority areas, titles in English, 简体 and 繁體; every "
        "record is verification=illustrative. Rows are written in bulk (COPY on PostgreSQL: "
        "1 M projects in minutes), bypassing save(): bulk-written records get NO history row "
        "and no change event, because history records what curators did and nobody did "
        "anything to these; a record's first real edit starts its history. The same seed on "
        "the same starting data gives the same records. The reference data is loaded first "
        "if it is missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--projects", type=int, default=500, help="How many (default 500).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")

    def handle(self, *args: Any, projects: int, seed: int, **options: Any) -> None:
        if projects < 1:
            raise CommandError("--projects must be at least 1.")
        if not ResearchField.objects.exists():
            call_command("loaddata", "reference", verbosity=0)
        started = time.monotonic()
        verbose = options["verbosity"] > 1

        def progress(message: str) -> None:
            if verbose:
                self.stdout.write(f"  {message} ({time.monotonic() - started:.0f} s)")

        report = synthetic.generate(projects, seed, progress=progress)
        self.stdout.write(f"{report.summary()} in {time.monotonic() - started:.1f} s")
