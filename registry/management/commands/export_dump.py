"""``manage.py export_dump [DIR] [--keep N]``: write an open-data dump of the published records.

Writes ``DIR/<UTC timestamp>/`` (JSON and CSV per resource, ``manifest.json`` with record
counts, SHA-256 checksums, schema version and licence), points ``DIR/latest`` at it and prints
the manifest's summary. ``DIR`` defaults to ``REGISTRY_DUMP_DIR``, where the public ``data/``
page looks for the latest dump.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.exports import DumpError, write_dump


class Command(BaseCommand):
    help = "Write JSON and CSV files of the published records with a manifest.json."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "directory",
            nargs="?",
            default=None,
            help="Where the dumps go (default: REGISTRY_DUMP_DIR).",
        )
        parser.add_argument(
            "--keep", type=int, default=None, help="Keep only the N newest dumps (N >= 1)."
        )

    def handle(self, *args: Any, directory: str | None, keep: int | None, **options: Any) -> None:
        if keep is not None and keep < 1:
            raise CommandError("--keep needs at least 1.")
        target = Path(directory) if directory else Path(settings.REGISTRY_DUMP_DIR)
        try:
            manifest = write_dump(target, keep=keep)
        except (DumpError, OSError) as error:
            raise CommandError(f"Could not write the dump into {target}: {error}") from None
        self.stdout.write(manifest.summary())
