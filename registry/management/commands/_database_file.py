"""What ``backup`` and ``restore`` share: one file, one database, and a BackupError reported as
the command's error (a module whose name starts with ``_`` is no command of its own)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from registry.backups import BackupError


class DatabaseFileCommand(BaseCommand):
    file_help = ""
    database_help = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=self.file_help)
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help=self.database_help)

    def run(self, action: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """``action``'s report printed, or its BackupError as the command's error."""
        try:
            report = action(*args, **kwargs)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(report.summary())
