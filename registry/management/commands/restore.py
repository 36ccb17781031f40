"""``manage.py restore <file> [--force] [--database ALIAS]``: put a backup back.

Restores what ``manage.py backup`` wrote (registry/backups.py). Refuses, before writing
anything, a file that is not a backup for this database's engine, and a database that holds
data beyond what ``migrate`` writes unless ``--force`` is given, which replaces it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from registry.backups import restore
from registry.management.commands._database_file import DatabaseFileCommand


class Command(DatabaseFileCommand):
    help = (
        "Restore a backup written by manage.py backup into an empty database (one with no "
        "tables, or migrated and nothing more); --force replaces a database that holds data."
    )
    file_help = "The backup file to restore."
    database_help = 'The database to restore into (default: "default").'

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the contents of a database that is not empty.",
        )

    def handle(self, *args: Any, file: str, force: bool, database: str, **options: Any) -> None:
        self.run(restore, file, using=database, force=force)
