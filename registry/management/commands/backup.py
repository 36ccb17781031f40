"""``manage.py backup <file> [--database ALIAS]``: the whole database into one file.

SQLite through its online backup API, PostgreSQL through ``pg_dump --format=custom``
(registry/backups.py says what a backup holds and how it is written). Prints what it wrote;
``manage.py restore <file>`` puts it back.
"""

from __future__ import annotations

from typing import Any

from registry.backups import backup
from registry.management.commands._database_file import DatabaseFileCommand


class Command(DatabaseFileCommand):
    help = (
        "Back up the whole database (every table: records in every state, history, change "
        "requests, users, partner accounts, API tokens) into FILE, replacing it atomically. "
        "SQLite: a SQLite file; PostgreSQL: a pg_dump custom-format archive."
    )
    file_help = "The backup file to write (private to its owner)."
    database_help = 'The database to back up (default: "default").'

    def handle(self, *args: Any, file: str, database: str, **options: Any) -> None:
        self.run(backup, file, using=database)
