"""``manage.py restore <file> [--force] [--database ALIAS]``: put a backup back.

Restores what ``manage.py backup`` wrote (registry/backups.py). Refuses, before writing
anything, a file that is not a backup for this database's engine, and a database that holds
data beyond what ``migrate`` writes unless ``--force`` is given, which replaces it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from registry.backups import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup written by manage.py backup into an empty database (one with no "
        "tables, or migrated and nothing more); --force replaces a database that holds data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The backup file to restore.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the contents of a database that is not empty.",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help='The database to restore into (default: "default").',
        )

    def handle(self, *args: Any, file: str, force: bool, database: str, **options: Any) -> None:
        try:
            report = restore(file, using=database, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(report.summary())
