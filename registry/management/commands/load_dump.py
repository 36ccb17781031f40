"""``manage.py load_dump <folder> [--no-check]``: an open-data dump into an empty registry.

``folder`` is a dump folder (the one holding ``manifest.json``) or a dumps directory, whose
newest dump is loaded (registry/exports.py, ``load_dump``: one transaction, through the save
path). Prints what was loaded per resource, then each record left out and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.exports import DumpError, load_dump, open_dump


class Command(BaseCommand):
    help = (
        "Load an open-data dump written by export_dump (a dump folder, or the newest dump of "
        "a dumps directory) into an empty registry, checking its files' SHA-256 first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", help="A dump folder, or a directory of dumps.")
        parser.add_argument(
            "--no-check",
            action="store_false",
            dest="check",
            help="Skip verifying the files against the manifest's checksums.",
        )

    def handle(self, *args: Any, folder: str, check: bool, **options: Any) -> None:
        directory = Path(folder)
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder: name a dump folder or a dumps one.")
        try:
            manifest = open_dump(directory)
            report = load_dump(manifest.folder, check=check)
        except DumpError as error:
            raise CommandError(f"Nothing loaded from {directory}: {error}") from None
        self.stdout.write(f"From dump {manifest.name} ({manifest.data.get('generated_at', '')}):")
        self.stdout.write(report.summary())
        for reason in report.skipped:
            self.stdout.write(f"  left out: {reason}")
