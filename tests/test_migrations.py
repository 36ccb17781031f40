"""Migrations: complete, reversible, and they create what the faces rely on."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from registry import access


@pytest.mark.django_db
def test_every_model_change_has_a_migration():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db
def test_the_three_curator_groups_exist_with_view_add_change_but_no_delete():
    for name in (access.ZONE_EDITORS, access.SHENZHEN_CURATORS, access.HONG_KONG_CURATORS):
        codenames = set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        assert {"view_project", "add_project", "change_project", "change_facility"} <= codenames
        assert not {c for c in codenames if c.startswith("delete_")}, name


@pytest.mark.django_db(transaction=True)
def test_the_registry_migrations_run_backwards_and_forwards_again():
    executor = MigrationExecutor(connection)
    leaf = executor.loader.graph.leaf_nodes("registry")
    executor.migrate([("registry", None)])
    executor.loader.build_graph()
    assert "registry_project" not in connection.introspection.table_names()
    executor.migrate(leaf)
    assert "registry_project" in connection.introspection.table_names()
    assert Group.objects.filter(name=access.ZONE_EDITORS).exists()


@pytest.mark.django_db(transaction=True)
def test_migration_0010_converts_a_name_as_a_save_would_with_history_version_and_event():
    from registry.models import ChangeEvent, Facility
    from tests.factories import FacilityFactory

    facility = FacilityFactory(name_zh_hans="深圳湾实验室")
    Facility.objects.filter(pk=facility.pk).update(name_zh_hant="", derived_script="")
    executor = MigrationExecutor(connection)
    executor.migrate([("registry", "0009_covering_list_indexes")])
    executor.loader.build_graph()
    executor.migrate([("registry", "0010_derived_script")])

    record = Facility.objects.get(pk=facility.pk)
    assert (record.name_zh_hant, record.derived_script) == ("深圳灣實驗室", "zh_hant")
    assert record.version == facility.version + 1
    last = record.history.order_by("-history_id").first()
    assert (last.version, last.name_zh_hant, last.history_type) == (
        record.version,
        "深圳灣實驗室",
        "~",
    )
    event = ChangeEvent.objects.filter(public_id=record.public_id).latest("pk")
    assert (event.kind, event.version) == ("updated", record.version)
