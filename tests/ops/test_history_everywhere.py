"""Every record has a history, those the demo data brought in included: ``loaddata`` saves
raw, and django-simple-history writes no row for a raw save, so ``load_demo_data`` records
each fixture-loaded record's first state itself (registry/management/commands/
load_demo_data.py). Loading again adds nothing when nothing changed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command

from registry.management.commands.load_demo_data import FIRST_STATE, OVERWRITE
from registry.models import CURATED_MODELS, Facility
from tests.conftest import built_for_the_module

# Every model of the registry that keeps a history: the curated records, their parts
# (participations, funding lines, relations, ceilings), the reference data, change requests.
HISTORIED = [
    model for model in apps.get_app_config("registry").get_models() if hasattr(model, "history")
]


def without_history(model: type) -> list[Any]:
    """The records of ``model`` that no history row tells of."""
    told = model.history.values_list("id", flat=True)
    return list(model._base_manager.exclude(pk__in=told).values_list("pk", flat=True))


def history_rows() -> dict[str, int]:
    return {model.__name__: model.history.count() for model in HISTORIED}


def history_reasons() -> Counter[tuple[str, str]]:
    """How many history rows of each model give each change reason."""
    return Counter(
        (model.__name__, reason or "")
        for model in HISTORIED
        for reason in model.history.values_list("history_change_reason", flat=True)
    )


def load_demo_data(*args: str) -> str:
    out = StringIO()
    call_command("load_demo_data", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """``load_demo_data`` once for the module, whose tests read it or roll back what they do."""
    with built_for_the_module(django_db_blocker):
        load_demo_data()
        yield


@pytest.mark.django_db
def test_after_load_demo_data_every_curated_record_has_a_history_row(demo):
    for model in CURATED_MODELS:
        assert model.objects.exists(), model.__name__
        assert without_history(model) == [], model.__name__


@pytest.mark.django_db
def test_the_parts_and_the_reference_data_the_fixtures_bring_have_a_history_row_too(demo):
    assert {model.__name__: without_history(model) for model in HISTORIED} == {
        model.__name__: [] for model in HISTORIED
    }


@pytest.mark.django_db
def test_a_fixture_records_first_history_row_is_its_state_as_loaded(demo):
    lab = Facility.objects.order_by("pk").first()

    first = lab.history.earliest("history_date")

    assert (first.history_type, first.history_user) == ("+", None)
    assert first.history_change_reason == FIRST_STATE
    assert (first.name_en, first.version, first.publication, first.updated_at) == (
        lab.name_en,
        lab.version,
        lab.publication,
        lab.updated_at,
    )


@pytest.mark.django_db
def test_loading_the_demo_data_again_adds_no_history_row(demo):
    before = history_rows()

    assert "not loaded again" in load_demo_data()

    assert history_rows() == before


@pytest.mark.django_db
def test_a_forced_load_over_an_untouched_registry_adds_no_history_row_of_its_own(demo):
    before = history_reasons()

    said = load_demo_data("--force")

    assert "0 first states, 0 overwrites" in said
    # The only new rows are the ROR import's: it puts back what ROR says of the organisations
    # whose fixture values differ from ROR's files (the fixtures have just reset them).
    assert set(history_reasons() - before) <= {("Organisation", "ROR import")}


@pytest.mark.django_db
def test_a_forced_load_over_a_curators_edit_leaves_a_history_row_of_the_overwrite(
    demo, zone_editor
):
    lab = Facility.objects.order_by("pk").first()
    fixture_name = lab.name_en
    lab.name_en = "Renamed by a curator"
    lab.save(user=zone_editor)
    before = history_reasons()

    said = load_demo_data("--force")

    assert "0 first states, 1 overwrites" in said
    lab.refresh_from_db()
    assert lab.name_en == fixture_name
    latest = lab.history.latest("history_date")
    assert (latest.history_type, latest.history_change_reason) == ("~", OVERWRITE)
    assert [row.name_en for row in lab.history.order_by("history_date")] == [
        fixture_name,
        "Renamed by a curator",
        fixture_name,
    ]
    # Nothing else the fixtures hold had changed, so nothing else has a row of theirs.
    assert set(history_reasons() - before) <= {
        ("Facility", OVERWRITE),
        ("Organisation", "ROR import"),
    }
