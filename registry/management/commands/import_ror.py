"""``manage.py import_ror <files|folders|dump.zip> [--dry-run] [--user USERNAME]``

Imports ROR schema v2 records as organisations (registry/importers/ror.py says how each field
is mapped). Prints one summary line, ``created N, updated N, unchanged N, errors N``; with
``--dry-run``, then one line per organisation that would be created or updated (``created
<ROR id> <name>``, ``updated <public id> (<ROR id>) <name>: <field>: <old> → <new> | …``); then
each error on its own line (on stderr). Exits non-zero when a path does not exist, the user is
unknown, or not a single record could be imported.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.importers.ror import import_ror_records, read_ror_paths


class Command(BaseCommand):
    help = (
        "Import ROR (Research Organization Registry) schema v2 records as organisations: JSON "
        "record files, folders of them, or a ROR data dump zip. Idempotent: importing the same "
        "data again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "paths",
            nargs="+",
            metavar="PATH",
            help="A ROR JSON file (one record or an array), a folder of them, or a dump zip.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what the import would do, and write nothing.",
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="The user the changes and their history rows are attributed to.",
        )

    def handle(
        self, *args: Any, paths: list[str], dry_run: bool, user: str | None, **options: Any
    ) -> None:
        """Check the user and the paths, read every record, import them (one transaction; see
        ``import_ror_records`` for its queries) and print the report."""
        importer = None
        if user:
            User = get_user_model()
            try:
                importer = User._default_manager.get_by_natural_key(user)
            except User.DoesNotExist:
                raise CommandError(f"No user named {user!r}.") from None
        try:
            records = read_ror_paths(paths)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc

        report = import_ror_records(records, user=importer, dry_run=dry_run)
        summary = report.summary()
        if dry_run:
            summary += " (dry run: nothing was written)"
        self.stdout.write(summary)
        if dry_run:
            for row in report.rows:
                self.stdout.write(str(row))
        for problem in report.errors:
            self.stderr.write(f"error: {problem}")
        if report.imported == 0:
            what = "no ROR record found" if not records else "no ROR record could be imported"
            raise CommandError(f"Nothing imported: {what} in {', '.join(paths)}.")
