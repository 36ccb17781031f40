"""A partner syncs from nothing with a dump and then the change feed (docs/api.md,
"Syncing"): the dump's manifest says where in /api/v1/changes/ it stands."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from registry import exports, workflow
from registry.models import ChangeEvent, Facility, Output, Project, Publication
from tests.factories import FacilityFactory, OutputFactory

pytestmark = pytest.mark.django_db


def test_the_manifest_names_the_feed_cursor_the_dump_was_taken_at(tmp_path, zone_editor):
    lab = FacilityFactory(publication=Publication.PUBLISHED, name_en="Bay Lab")
    FacilityFactory(publication=Publication.PUBLISHED)

    manifest = exports.write_dump(tmp_path).data
    assert manifest["changes_cursor"] == ChangeEvent.objects.latest("pk").pk

    lab.name_en = "Bay Lab II"
    lab.save(user=zone_editor)
    feed = APIClient().get(f"/api/v1/changes/?since={manifest['changes_cursor']}").json()

    assert [(e["event"], e["id"]) for e in feed["results"]] == [("updated", lab.public_id)]


def test_an_empty_registry_dumps_cursor_zero(tmp_path):
    assert exports.write_dump(tmp_path).data["changes_cursor"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_dump_with_an_output_of_a_retracted_project_loads_and_names_the_output_it_leaves_out(
    tmp_path, zone_editor
):
    kept = OutputFactory(title_en="Paper of a live project")
    orphan = OutputFactory(title_en="Paper of a withdrawn project")
    workflow.retract(orphan.project, user=zone_editor, reason="Merged into another project")
    dump = exports.write_dump(tmp_path)
    # The public may not see the retracted project, so the dump names no project for it.
    outputs = {row["id"]: row for row in exports._Loader(dump).rows("outputs")}
    assert outputs[orphan.public_id]["project"] is None
    call_command("flush", interactive=False, verbosity=0)

    report = exports.load_dump(dump.folder)

    # An output cannot exist without its project (Output.project is required): it is left
    # out and named, and everything else in the dump is loaded.
    assert list(Output.objects.values_list("public_id", "project__public_id")) == [
        (kept.public_id, kept.project.public_id)
    ]
    assert Project.objects.get().public_id == kept.project.public_id
    assert report.created["outputs"] == 1
    assert report.skipped == [
        f"{orphan.public_id}: an output needs its project, and the dump names none "
        "(the project is not published)"
    ]


# -- manage.py load_dump -------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_an_operator_loads_the_newest_dump_of_a_folder_and_is_told_what_was_loaded(
    tmp_path, zone_editor
):
    lab = FacilityFactory(name_en="Bay Lab")
    orphan = OutputFactory()
    workflow.retract(orphan.project, user=zone_editor, reason="Withdrawn")
    exports.write_dump(tmp_path)
    newest = exports.write_dump(tmp_path)
    call_command("flush", interactive=False, verbosity=0)
    out = StringIO()

    call_command("load_dump", str(tmp_path), stdout=out)

    said = out.getvalue()
    assert f"From dump {newest.name}" in said
    assert "facilities 1" in said and "outputs 0" in said and "skipped 1." in said
    assert f"left out: {orphan.public_id}: an output needs its project" in said
    assert list(Facility.objects.values_list("public_id", "name_en")) == [
        (lab.public_id, "Bay Lab")
    ]


def test_load_dump_refuses_a_folder_that_holds_no_dump_or_is_no_folder(tmp_path):
    with pytest.raises(CommandError, match=r"Nothing loaded from .*: No dump in"):
        call_command("load_dump", str(tmp_path))
    with pytest.raises(CommandError, match="is not a folder"):
        call_command("load_dump", str(tmp_path / "missing"))


def test_load_dump_refuses_a_registry_that_holds_records_and_loads_nothing(tmp_path):
    FacilityFactory(name_en="Bay Lab")
    dump = exports.write_dump(tmp_path)

    with pytest.raises(CommandError, match="needs an empty registry; it holds facilities"):
        call_command("load_dump", str(dump.folder))
    assert Facility.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_dump_keeps_which_names_were_converted_and_which_a_person_wrote(tmp_path):
    converted = FacilityFactory(name_zh_hans="深圳湾实验室", name_zh_hant="")
    written = FacilityFactory(name_zh_hans="河套机器人实验室", name_zh_hant="河套機械人實驗室")
    dump = exports.write_dump(tmp_path)
    call_command("flush", interactive=False, verbosity=0)

    exports.load_dump(dump.folder)

    loaded = dict(Facility.objects.values_list("public_id", "derived_script"))
    assert loaded == {converted.public_id: "zh_hant", written.public_id: ""}
    assert Facility.objects.get(public_id=converted.public_id).name_zh_hant == "深圳灣實驗室"
