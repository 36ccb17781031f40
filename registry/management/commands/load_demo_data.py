"""Load the reference data, the demo fixtures and the real ROR records into an empty registry.

`make run` calls this on every start: the first time it fills the registry, later it leaves
alone whatever curators have changed since (``--force`` loads again, overwriting the demo
records with the fixtures' values).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from registry.importers.ror import import_ror_records, read_ror_paths
from registry.models import Organisation

ROR_FOLDER = Path(settings.BASE_DIR) / "fixtures" / "ror"


class Command(BaseCommand):
    help = "Fill an empty registry with reference data, demo fixtures and the ROR records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Load even if not empty.")

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if Organisation.objects.exists() and not force:
            self.stdout.write("The registry already holds data; demo data not loaded again.")
            return
        call_command("loaddata", "reference", "demo", stdout=self.stdout)
        report = import_ror_records(read_ror_paths([ROR_FOLDER]))
        self.stdout.write(f"ROR records from {ROR_FOLDER.name}/: {report.summary()}")
        for problem in report.errors:
            self.stderr.write(str(problem))
