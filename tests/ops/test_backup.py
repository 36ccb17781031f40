"""An operator backs up the whole database and restores it (``manage.py backup`` and
``restore``, registry/backups.py): into an empty database, every row of every table comes back
as it was, versions and timestamps included; a database that holds data, or a file that is
no backup of this kind, is refused with nothing written."""

from __future__ import annotations

import sqlite3
import stat
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from io import StringIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.db.utils import load_backend

from registry import backups, workflow
from registry.models import (
    ApiToken,
    ChangeRequest,
    Facility,
    Organisation,
    PartnerAccount,
    Project,
    Publication,
)
from tests.conftest import require, require_postgres
from tests.factories import FACTORIES, FacilityFactory, OrganisationFactory, ProjectFactory

RESTORED = "restored"
# The tables the registry built below must have filled: a comparison of empty tables
# would prove nothing.
FILLED = [
    *(f"registry_{kind}" for kind in ("organisation", "facility", "project", "output")),
    *(f"registry_{kind}" for kind in ("factorflow", "policyinstrument", "fundingscheme")),
    "registry_historicalorganisation",
    "registry_historicalfacility",
    "registry_historicalproject",
    "registry_changerequest",
    "registry_historicalchangerequest",
    "registry_changeevent",
    "registry_partneraccount",
    "registry_apitoken",
    "auth_user",
    "auth_user_groups",
]


def rows_in(contents: dict) -> int:
    return sum(len(rows) for rows in contents.values())


def build_a_registry_in_every_state(editor: Any, curator: Any, partner: Any) -> SimpleNamespace:
    """Every kind of curated record published; a draft, one in review, one retracted with a
    successor; edits and transitions that leave history rows; an open and an approved change
    request of a partner, whose account holds an API token."""
    published = {name: factory() for name, factory in FACTORIES.items()}
    successor = published["organisations"]
    retracted = workflow.retract(
        OrganisationFactory(name_en="Merged Institute"),
        user=editor,
        reason="Merged into another institute",
        successor=successor,
    )
    draft = ProjectFactory(publication=Publication.DRAFT, title_en="A project being drafted")
    in_review = workflow.submit(FacilityFactory(publication=Publication.DRAFT), user=curator)
    renamed = workflow.update(
        published["facilities"], user=editor, values={"name_en": "Renamed Laboratory"}
    )
    owned = FacilityFactory(owner=partner.partner_account.organisation, name_en="Partner Lab")
    open_request = workflow.propose(
        owned, user=partner, values={"name_en": "Partner Lab II"}, base_version=owned.version
    )
    approved = workflow.propose(
        owned, user=partner, values={"description_en": "Optics."}, base_version=owned.version
    )
    workflow.approve_change_request(approved, user=curator, comment="Thank you.")
    token, _ = ApiToken.issue(partner, scopes=["read", "write"], name="nightly sync")
    return SimpleNamespace(
        retracted=retracted,
        draft=draft,
        in_review=in_review,
        renamed=renamed,
        open_request=open_request,
        approved=approved,
        token=token,
    )


@contextmanager
def a_second_database(name: str) -> Iterator[str]:
    """The database ``name`` (a file on SQLite), with the test database's other settings, as
    the alias RESTORED for this block. Made here, not in settings.DATABASES: Django's test
    cases allow a connection made during the test, and forbid a configured one they were not
    told of."""
    settings = {**connection.settings_dict, "NAME": name}
    connections[RESTORED] = load_backend(settings["ENGINE"]).DatabaseWrapper(settings, RESTORED)
    try:
        yield RESTORED
    finally:
        connections[RESTORED].close()
        del connections[RESTORED]


def differences(original: dict[str, list], restored: dict[str, list]) -> list[str]:
    """Each table whose rows differ between the two databases, with the first differing row."""
    found = []
    for table in sorted(set(original) | set(restored)):
        if table not in restored or table not in original:
            where = "original" if table in original else "restored"
            found.append(f"{table}: only in the {where} database")
            continue
        rows, again = original[table], restored[table]
        if rows != again:
            first = next(
                (pair for pair in zip(rows, again, strict=False) if pair[0] != pair[1]), None
            )
            found.append(f"{table}: {len(rows)} rows, {len(again)} restored; first {first}")
    return found


def assert_kept_as_they_were(registry: SimpleNamespace, using: str) -> None:
    """The restored database read through the models: states, versions, timestamps, the
    partner's requests and token as they were."""
    for record in (registry.retracted, registry.draft, registry.in_review, registry.renamed):
        model = type(record)
        stored = model.objects.get(pk=record.pk)
        restored = model.objects.using(using).get(public_id=record.public_id)
        assert (restored.publication, restored.version, restored.updated_at) == (
            stored.publication,
            stored.version,
            stored.updated_at,
        ), record.public_id
        assert restored.history.count() == stored.history.count() > 0
    assert Organisation.objects.using(using).get(pk=registry.retracted.pk).publication == (
        Publication.RETRACTED
    )
    assert Project.objects.using(using).get(pk=registry.draft.pk).publication == "draft"
    assert Facility.objects.using(using).get(pk=registry.renamed.pk).version == 2
    states = ChangeRequest.objects.using(using).order_by("pk").values_list("state", flat=True)
    assert list(states) == ["open", "approved"]
    token = ApiToken.objects.using(using).get(pk=registry.token.pk)
    assert (token.key_hash, token.scopes) == (registry.token.key_hash, ["read", "write"])
    assert PartnerAccount.objects.using(using).count() == 1


def run(command: str, *args: str, **options: Any) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, **options)
    return out.getvalue()


# -- SQLite ----------------------------------------------------------------------------------
def sqlite_contents(path: Path | str) -> dict[str, list[tuple]]:
    """Every table's rows in rowid order, and the schema itself, of a SQLite file."""
    with closing(sqlite3.connect(path)) as database:
        tables = database.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).fetchall()
        contents = {
            name: database.execute(f'SELECT * FROM "{name}" ORDER BY rowid').fetchall()
            for (name,) in tables
        }
        contents["(schema)"] = database.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
    return contents


def require_sqlite(reason: str) -> None:
    require("sqlite", connection.vendor == "sqlite", f"on SQLite only: {reason}")


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_an_empty_sqlite_file_holds_every_row_of_every_table(
    tmp_path, zone_editor, hong_kong_curator, hong_kong_partner
):
    require_sqlite("the PostgreSQL round trip is the pg_dump test")
    registry = build_a_registry_in_every_state(zone_editor, hong_kong_curator, hong_kong_partner)
    backup_file = tmp_path / "registry.backup"

    said = run("backup", str(backup_file))

    assert f"to {backup_file}" in said
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600  # it holds password hashes
    assert sorted(path.name for path in tmp_path.iterdir()) == ["registry.backup"]
    empty = tmp_path / "restored.sqlite3"
    with a_second_database(str(empty)) as restored:
        said = run("restore", str(backup_file), database=restored)

        assert f"Restored {backup_file} into the SQLite database {empty}" in said
        original = sqlite_contents(connection.settings_dict["NAME"])
        assert [table for table in FILLED if not original[table]] == []
        assert differences(original, sqlite_contents(empty)) == []
        print(f"SQLite round trip: {len(original)} tables, {rows_in(original)} rows, 0 differences")
        assert_kept_as_they_were(registry, restored)


# -- PostgreSQL ------------------------------------------------------------------------------
def postgres(name: str) -> Any:
    """A psycopg connection (autocommit) to the database ``name`` on the test server."""
    import psycopg

    settings = connection.settings_dict
    parameters = {
        "dbname": name,
        "host": settings["HOST"],
        "port": settings["PORT"],
        "user": settings["USER"],
        "password": settings["PASSWORD"],
    }
    return psycopg.connect(**{k: v for k, v in parameters.items() if v}, autocommit=True)


@contextmanager
def a_fresh_postgres_database() -> Iterator[str]:
    """A new, empty database with a name of its own, dropped at the end."""
    from psycopg import sql

    name = f"test_restore_{uuid.uuid4().hex[:12]}"
    with postgres("postgres") as server:
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with postgres("postgres") as server:
            server.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def postgres_contents(name: str) -> dict[str, list]:
    """Every table's rows (sorted), where each sequence stands, the indexes and extensions."""
    from psycopg import sql

    with postgres(name) as database:
        tables = database.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        ).fetchall()
        contents = {
            table: sorted(
                database.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table))),
                key=repr,
            )
            for (table,) in tables
        }
        contents["(sequences)"] = database.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' "
            "ORDER BY sequencename"
        ).fetchall()
        contents["(indexes)"] = database.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = 'public' ORDER BY indexname"
        ).fetchall()
        contents["(extensions)"] = database.execute(
            "SELECT extname FROM pg_extension ORDER BY extname"
        ).fetchall()
    return contents


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_fresh_postgres_database_holds_every_row_of_every_table(
    tmp_path, zone_editor, hong_kong_curator, hong_kong_partner
):
    require_postgres()
    registry = build_a_registry_in_every_state(zone_editor, hong_kong_curator, hong_kong_partner)
    backup_file = tmp_path / "registry.pgdump"

    said = run("backup", str(backup_file))

    assert f"to {backup_file}" in said
    assert backup_file.read_bytes().startswith(b"PGDMP")
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600
    with a_fresh_postgres_database() as name, a_second_database(name) as restored:
        said = run("restore", str(backup_file), database=restored)

        assert f"Restored {backup_file} into the PostgreSQL database {name}" in said
        original = postgres_contents(connection.settings_dict["NAME"])
        assert [table for table in FILLED if not original[table]] == []
        assert ("pg_trgm",) in original["(extensions)"]
        assert differences(original, postgres_contents(name)) == []
        print(
            f"PostgreSQL round trip: {len(original)} tables, {rows_in(original)} rows,"
            " 0 differences"
        )
        assert_kept_as_they_were(registry, restored)


# -- refusals, on whichever database the suite runs ------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_holds_data_and_writes_nothing_unless_forced(tmp_path):
    institute = OrganisationFactory(name_en="Bay Institute")
    backup_file = tmp_path / "registry.backup"
    run("backup", str(backup_file))
    institute.name_en = "Bay Institute (renamed after the backup)"
    institute.save()

    with pytest.raises(CommandError, match=r"is not empty \(rows in .*registry_organisation"):
        run("restore", str(backup_file))
    after_refusal = Organisation.objects.get(pk=institute.pk)
    assert (after_refusal.name_en, after_refusal.version) == (institute.name_en, 2)
    assert after_refusal.history.count() == 2

    said = run("restore", str(backup_file), force=True)

    assert "Replaced what it held (--force)" in said
    restored = Organisation.objects.get(pk=institute.pk)
    assert (restored.name_en, restored.version) == ("Bay Institute", 1)
    assert restored.history.count() == 1


def a_file_of_another_kind(tmp_path: Path) -> tuple[Path, str]:
    """A backup for the other engine than the one the tests run on, and what it is called."""
    if connection.vendor == "sqlite":
        path = tmp_path / "registry.pgdump"
        path.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(64))
        return path, "a PostgreSQL backup"
    path = tmp_path / "registry.sqlite3"
    with closing(sqlite3.connect(path)) as database:
        database.execute("CREATE TABLE django_migrations (app TEXT, name TEXT)")
    return path, "a SQLite backup"


def test_restore_refuses_a_backup_of_the_other_engine_before_reading_the_database(tmp_path):
    # No database access is allowed here: the refusal comes from the file alone.
    path, kind = a_file_of_another_kind(tmp_path)

    with pytest.raises(CommandError, match=f"is {kind}[^;]*; this registry runs on .*Nothing was"):
        run("restore", str(path))


def test_restore_refuses_a_file_that_is_no_backup_at_all(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n", encoding="utf-8")

    with pytest.raises(CommandError, match=r"is not a backup that manage\.py backup writes"):
        run("restore", str(path))
    with pytest.raises(CommandError, match="There is no backup file"):
        run("restore", str(tmp_path / "missing.backup"))


def test_restore_refuses_a_sqlite_database_that_is_not_this_registrys(tmp_path):
    require_sqlite("PostgreSQL refuses any SQLite file (the test above)")
    path = tmp_path / "someone-elses.sqlite3"
    with closing(sqlite3.connect(path)) as database:
        database.execute("CREATE TABLE notes (text TEXT)")

    with pytest.raises(CommandError, match="not a backup of this registry"):
        run("restore", str(path))


@pytest.mark.django_db
def test_restore_refuses_a_pg_dump_archive_that_is_not_this_registrys(tmp_path):
    require_postgres()
    archive = tmp_path / "another.pgdump"
    with a_fresh_postgres_database() as name, a_second_database(name) as another:
        backups.backup(archive, using=another)

    with pytest.raises(CommandError, match="pg_dump archive, but not a backup of this registry"):
        run("restore", str(archive))


@pytest.mark.django_db
def test_a_backup_inside_a_transaction_is_refused_and_writes_no_file(tmp_path):
    with pytest.raises(CommandError, match="inside a transaction"):
        run("backup", str(tmp_path / "registry.backup"))
    assert list(tmp_path.iterdir()) == []


def test_a_failed_backup_leaves_the_previous_one_whole_and_no_partial_file(tmp_path, monkeypatch):
    previous = tmp_path / "registry.backup"
    previous.write_bytes(b"yesterday's backup")

    def disk_full(self: Any, connection: Any, target: Path) -> None:
        target.write_bytes(b"half a backup")
        raise OSError("No space left on device")

    monkeypatch.setattr(type(backups.ENGINES[connection.vendor]), "write", disk_full)
    with pytest.raises(OSError, match="No space left"):
        backups.backup(previous)
    assert previous.read_bytes() == b"yesterday's backup"
    assert [path.name for path in tmp_path.iterdir()] == ["registry.backup"]
