"""``manage.py backup <file> [--database ALIAS]``: the whole database into one file.

SQLite through its online backup API, PostgreSQL through ``pg_dump --format=custom``
(registry/backups.py says what a backup holds and how it is written). Prints what it wrote;
``manage.py restore <file>`` puts it back.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from registry.backups import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the whole database (every table: records in every state, history, change "
        "requests, users, partner accounts, API tokens) into FILE, replacing it atomically. "
        "SQLite: a SQLite file; PostgreSQL: a pg_dump custom-format archive."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The backup file to write (private to its owner).")
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help='The database to back up (default: "default").',
        )

    def handle(self, *args: Any, file: str, database: str, **options: Any) -> None:
        try:
            report = backup(file, using=database)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(report.summary())
