"""Backups of the whole database and restoring one (``manage.py backup`` and ``restore``).

A backup is the database itself, not the open data: every table, so every record in every
state (drafts, in review, published, retracted) with its history, the change requests, the
change feed's events, the users (password hashes), partner accounts and API tokens (hashes),
sessions, and the schema with its migration state. A restore gives the registry back as it
was: the same rows, versions, timestamps and id sequences. (The open-data dump of
registry/exports.py is another thing: published records only, loaded through the save path.)

- **SQLite**: Python's sqlite3 online backup API (``Connection.backup``), a consistent copy
  taken while the registry keeps serving (in WAL mode readers never wait). The backup is one
  self-contained SQLite file (journal mode DELETE: nothing beside it); a restore copies it
  back into the database the same way, in one step.
- **PostgreSQL**: ``pg_dump --format=custom`` (one snapshot) and ``pg_restore`` in a single
  transaction (``--clean --if-exists --no-owner``: the objects of the backup replace any of
  the same name, owned by whoever restores; a forced restore leaves alone a table the backup
  does not have, say one a later migration made). Connection parameters come from
  ``settings.DATABASES``; the password goes through ``PGPASSWORD`` in the child's environment,
  never on a command line another user could read in ``ps``.

A backup is written to a temporary file beside its target and renamed into place when
complete, so the name never holds half a backup (an older backup of the same name stays until
the new one is whole). The file is readable by its owner alone: it holds password and token
hashes. A restore refuses, before writing anything, a file that is not a backup of this
kind of database and a database that holds anything beyond what ``migrate`` writes (unless
``force``).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor

# The tables ``migrate`` fills on its own (content types, permissions, the three curator
# groups of migrations 0004-0005): a database holding rows in these alone is empty.
WRITTEN_BY_MIGRATE = frozenset(
    {
        "django_migrations",
        "django_content_type",
        "auth_permission",
        "auth_group",
        "auth_group_permissions",
    }
)
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
KIND_LABELS = {
    "sqlite": "a SQLite backup",
    "postgresql": "a PostgreSQL backup (a pg_dump custom-format archive)",
}
# libpq's environment variables for the OPTIONS a PostgreSQL connection may carry.
LIBPQ_ENVIRONMENT = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}
POSTGRES_BIN_DIRS = Path("/usr/lib/postgresql")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, for the operator."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    vendor: str
    database: str
    tables: int
    bytes: int

    def summary(self) -> str:
        return (
            f"Backed up the {self.vendor} database {self.database} ({self.tables} tables) "
            f"to {self.path} ({self.bytes} bytes)."
        )


@dataclass(frozen=True)
class RestoreReport:
    path: Path
    vendor: str
    database: str
    tables: int
    replaced: list[str] = field(default_factory=list)
    unapplied_migrations: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"Restored {self.path} into the {self.vendor} database {self.database} "
            f"({self.tables} tables)."
        ]
        if self.replaced:
            lines.append(f"Replaced what it held (--force): rows in {_some_of(self.replaced)}.")
        if self.unapplied_migrations:
            lines.append(
                f"The backup predates {len(self.unapplied_migrations)} migrations of this "
                f"code ({_some_of(self.unapplied_migrations, 'migrations')}): "
                "run manage.py migrate."
            )
        return "\n".join(lines)


def _some_of(names: list[str], noun: str = "tables", shown: int = 4) -> str:
    """A few names for a message, and how many more there are."""
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more {noun}" if more > 0 else "")


# -- what the commands call ------------------------------------------------------------------
def backup(path: Path | str, *, using: str = DEFAULT_DB_ALIAS) -> BackupReport:
    """Write a backup of the database ``using`` names to ``path`` (replaced if it exists)."""
    connection = connections[using]
    engine = _engine_for(connection)
    _outside_a_transaction(connection, "back up")
    path = Path(path)
    if path.is_dir():
        raise BackupError(f"{path} is a folder; name the backup file to write.")
    if not path.parent.is_dir():
        raise BackupError(f"There is no folder {path.parent} to write {path.name} into.")
    engine.refuse_self(connection, path)
    with _written_atomically(path) as temporary:
        engine.write(connection, temporary)
    return BackupReport(
        path=path,
        vendor=engine.label,
        database=engine.name(connection),
        tables=len(connection.introspection.table_names()),
        bytes=path.stat().st_size,
    )


def restore(
    path: Path | str, *, using: str = DEFAULT_DB_ALIAS, force: bool = False
) -> RestoreReport:
    """Restore the backup at ``path`` into the database ``using`` names. Refuses, before
    writing anything, a file that is not a backup for this database's engine and, unless
    ``force``, a database that holds data (see ``occupied_tables``)."""
    connection = connections[using]
    engine = _engine_for(connection)
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"There is no backup file {path}.")
    engine.refuse_self(connection, path)
    engine.check(path)  # the file alone: the database is not even read before it passes
    _outside_a_transaction(connection, "restore")
    occupied = occupied_tables(connection)
    if occupied and not force:
        raise BackupError(
            f"The database {engine.name(connection)} is not empty (rows in "
            f"{_some_of(occupied)}); restoring would replace it. Nothing was written. "
            "Restore into an empty database, or give --force to replace its contents."
        )
    engine.restore(connection, path)
    connection.close()  # nothing cached from before the restore outlives it
    return RestoreReport(
        path=path,
        vendor=engine.label,
        database=engine.name(connection),
        tables=len(connection.introspection.table_names()),
        replaced=occupied,
        unapplied_migrations=unapplied_migrations(connection),
    )


def occupied_tables(connection: BaseDatabaseWrapper) -> list[str]:
    """The tables holding rows, other than those ``migrate`` fills on its own: an empty
    list for a database with no tables and for one that was migrated and nothing more.
    One query per table (an EXISTS, whatever its size)."""
    quote = connection.ops.quote_name
    occupied = []
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            if table in WRITTEN_BY_MIGRATE:
                continue
            cursor.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")
            if cursor.fetchone() is not None:
                occupied.append(table)
    return occupied


def unapplied_migrations(connection: BaseDatabaseWrapper) -> list[str]:
    """The migrations of this code that the database has not had (after restoring an older
    backup), as ``app.name``."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def kind_of(path: Path) -> str | None:
    """Which kind of backup a file is, by its first bytes: "sqlite", "postgresql" or None."""
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(f"Cannot read {path}: {error}") from None
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    return None


# -- shared steps ----------------------------------------------------------------------------
def _outside_a_transaction(connection: BaseDatabaseWrapper, action: str) -> None:
    """A backup copies committed data, and a restore replaces tables: inside a transaction
    the one would miss its writes and the other would wait for its locks (SQLite's backup
    of a connection holding its write lock waits forever)."""
    if connection.in_atomic_block:
        raise BackupError(f"Cannot {action} inside a transaction; run it on its own.")


@contextmanager
def _written_atomically(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` (private: mkstemp makes it 0600) to write into,
    renamed to ``path`` when the block succeeds and removed when it fails."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".partial", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with temporary.open("rb") as file:
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _wrong_kind(path: Path, engine: _SQLite | _PostgreSQL) -> BackupError:
    found = kind_of(path)
    what = KIND_LABELS[found] if found else "not a backup that manage.py backup writes"
    return BackupError(
        f"{path} is {what}; this registry runs on {engine.label} and restores only "
        f"{KIND_LABELS[engine.kind]}. Nothing was written."
    )


# -- SQLite ----------------------------------------------------------------------------------
class _SQLite:
    kind, label = "sqlite", "SQLite"

    def name(self, connection: BaseDatabaseWrapper) -> str:
        return str(connection.settings_dict["NAME"])

    def refuse_self(self, connection: BaseDatabaseWrapper, path: Path) -> None:
        """The database file itself is neither a place to back up to nor a backup."""
        database = Path(str(connection.settings_dict["NAME"]))
        if path.exists() and database.exists() and path.resolve() == database.resolve():
            raise BackupError(f"{path} is the database itself.")

    def write(self, connection: BaseDatabaseWrapper, target: Path) -> None:
        connection.ensure_connection()
        with closing(sqlite3.connect(target)) as copy:
            connection.connection.backup(copy)
            # One self-contained file: the live database's WAL mode would leave a -wal beside.
            copy.execute("PRAGMA journal_mode=DELETE")

    def check(self, path: Path) -> None:
        """A SQLite file, intact, holding this registry's migrations."""
        if kind_of(path) != "sqlite":
            raise _wrong_kind(path, self)
        try:
            with closing(_read_only(path)) as backup_file:
                intact = backup_file.execute("PRAGMA quick_check").fetchone()[0] == "ok"
                migrated = intact and _holds_registry_migrations(backup_file)
        except sqlite3.Error as error:
            raise BackupError(f"{path} cannot be read as a SQLite backup: {error}") from None
        if not intact:
            raise BackupError(f"{path} is a damaged SQLite file (quick_check failed).")
        if not migrated:
            raise BackupError(
                f"{path} is a SQLite database, but not a backup of this registry (none of "
                "its migrations is recorded in it). Nothing was written."
            )

    def restore(self, connection: BaseDatabaseWrapper, path: Path) -> None:
        connection.ensure_connection()
        with closing(_read_only(path)) as backup_file:
            backup_file.backup(connection.connection)


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _holds_registry_migrations(database: sqlite3.Connection) -> bool:
    has_table = database.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
    ).fetchone()
    return bool(
        has_table
        and database.execute(
            "SELECT 1 FROM django_migrations WHERE app = 'registry' LIMIT 1"
        ).fetchone()
    )


# -- PostgreSQL ------------------------------------------------------------------------------
class _PostgreSQL:
    kind, label = "postgresql", "PostgreSQL"

    def name(self, connection: BaseDatabaseWrapper) -> str:
        return str(connection.settings_dict["NAME"])

    def refuse_self(self, connection: BaseDatabaseWrapper, path: Path) -> None:
        """Nothing to refuse: the database is not a file here."""

    def write(self, connection: BaseDatabaseWrapper, target: Path) -> None:
        _run(
            "pg_dump",
            ["--format=custom", f"--file={target}"],
            connection,
            doing="back up",
        )

    def check(self, path: Path) -> None:
        """A custom-format archive that pg_restore can read, holding Django's migrations."""
        if kind_of(path) != "postgresql":
            raise _wrong_kind(path, self)
        listing = subprocess.run(
            [_postgres_binary("pg_restore"), "--list", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if listing.returncode != 0:
            raise BackupError(
                f"pg_restore cannot read {path}: {listing.stderr.strip()}. Nothing was written."
            )
        if not re.search(r"^\d+; \d+ \d+ TABLE \S+ django_migrations ", listing.stdout, re.M):
            raise BackupError(
                f"{path} is a pg_dump archive, but not a backup of this registry (it has no "
                "django_migrations table). Nothing was written."
            )

    def restore(self, connection: BaseDatabaseWrapper, path: Path) -> None:
        connection.close()  # no session of ours holds a lock the restore needs
        _run(
            "pg_restore",
            [
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                str(path),
            ],
            connection,
            doing="restore",
        )


def _run(program: str, arguments: list[str], connection: BaseDatabaseWrapper, doing: str) -> None:
    """Run pg_dump or pg_restore against the connection's database; its stderr in the error."""
    settings = connection.settings_dict
    command = [_postgres_binary(program), "--no-password", f"--dbname={settings['NAME']}"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings.get(key):
            command.append(f"{option}={settings[key]}")
    run = subprocess.run(
        [*command, *arguments],
        env=_postgres_environment(settings),
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise BackupError(f"{program} could not {doing} {settings['NAME']}: {run.stderr.strip()}")


def _postgres_environment(settings: dict[str, Any]) -> dict[str, str]:
    """The child's environment: ours, plus the password and the libpq options of
    ``settings`` (so the password is never an argument, visible to every local user)."""
    environment = dict(os.environ)
    if settings.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings["PASSWORD"])
    for option, variable in LIBPQ_ENVIRONMENT.items():
        value = (settings.get("OPTIONS") or {}).get(option)
        if value not in (None, ""):
            environment[variable] = str(value)
    return environment


def _postgres_binary(program: str) -> str:
    """``program`` on the PATH (Debian's /usr/bin wrappers pick the newest installed
    version), else in the newest /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(program)
    if found:
        return found
    versions = sorted(
        (path for path in POSTGRES_BIN_DIRS.glob("*/bin") if path.parent.name.isdigit()),
        key=lambda path: int(path.parent.name),
        reverse=True,
    )
    for directory in versions:
        candidate = directory / program
        if os.access(candidate, os.X_OK):
            return str(candidate)
    raise BackupError(
        f"{program} was not found on the PATH nor in {POSTGRES_BIN_DIRS}/*/bin: install the "
        "PostgreSQL client (Debian: apt install postgresql-client)."
    )


ENGINES = {"sqlite": _SQLite(), "postgresql": _PostgreSQL()}


def _engine_for(connection: BaseDatabaseWrapper) -> _SQLite | _PostgreSQL:
    try:
        return ENGINES[connection.vendor]
    except KeyError:
        message = f"Backups cover SQLite and PostgreSQL, not {connection.vendor}."
        raise BackupError(message) from None
