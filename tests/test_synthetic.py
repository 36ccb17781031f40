"""``generate_synthetic``: benchmark data in the shapes of the real registry, written in bulk,
that the rest of the registry reads exactly as it reads records saved one by one."""

from __future__ import annotations

from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from registry import synthetic
from registry.models import (
    Facility,
    FundingLine,
    Organisation,
    Participation,
    Project,
    Publication,
    Side,
    Verification,
)
from registry.models.base import check_record
from registry.search import build_search_text
from tests.conftest import built_for_the_module
from tests.factories import OrganisationFactory

PROJECTS = 300


@pytest.fixture(scope="module")
def generated(django_db_setup: Any, django_db_blocker: Any) -> str:
    with built_for_the_module(django_db_blocker):
        out = StringIO()
        call_command("generate_synthetic", projects=PROJECTS, seed=7, stdout=out)
        yield out.getvalue()


def synthetic_projects() -> Any:
    return Project.objects.filter(
        verification=Verification.ILLUSTRATIVE, sources=[synthetic.SOURCE]
    )


def test_the_command_says_what_it_made(db: Any, generated: str) -> None:
    assert f"created {PROJECTS // 5} organisations, {PROJECTS // 10} facilities, " in generated
    assert f"{PROJECTS} projects" in generated
    assert synthetic_projects().count() == PROJECTS


def test_every_project_has_the_shapes_of_a_real_joint_project(db: Any, generated: str) -> None:
    projects = list(synthetic_projects().prefetch_related("participations", "funding_lines"))
    sizes = Counter()
    for project in projects:
        participants = list(project.participations.all())
        sizes[len(participants)] += 1
        assert 2 <= len(participants) <= 8
        assert [p.role for p in participants].count("lead") == 1
        assert project.fields.exists() and project.priority_areas.exists()
        assert project.title_en and project.title_zh_hans and project.title_zh_hant
        for line in project.funding_lines.all():
            assert (line.side, line.currency) in {(Side.SHENZHEN, "CNY"), (Side.HONG_KONG, "HKD")}
        assert project.funding_lines.exists()
    assert any(p.title_zh_hans != p.title_zh_hant for p in projects)  # both scripts, really
    # Most have several participants; most are cross-border, not all.
    assert sum(n for size, n in sizes.items() if size >= 3) > PROJECTS / 2
    cross = sum(p.cross_border for p in projects)
    assert PROJECTS / 2 < cross < PROJECTS
    # Most are published; the rest give visibility rules something to hide.
    states = Counter(p.publication for p in projects)
    assert states[Publication.PUBLISHED] > 0.9 * PROJECTS
    assert states[Publication.DRAFT] + states[Publication.IN_REVIEW] > 0


def test_bulk_written_records_read_as_if_saved_one_by_one(db: Any, generated: str) -> None:
    """What save() would derive is derived the same way: search text, side, cross-border; and
    every row passes the model's own validation."""
    for model in (Organisation, Facility, Project):
        for record in model.objects.filter(verification=Verification.ILLUSTRATIVE)[:100]:
            assert record.search_text == build_search_text(record.search_terms())
            check_record(record)
    for project in synthetic_projects()[:100]:
        assert project.cross_border == project.compute_cross_border()
    for participation in Participation.objects.select_related("facility", "organisation")[:300]:
        assert participation.side == participation.derive_side()
        check_record(participation)
    for line in FundingLine.objects.all()[:100]:
        check_record(line)


def test_bulk_written_records_have_no_history_until_a_curator_edits_one(
    db: Any, generated: str
) -> None:
    project = synthetic_projects().first()
    assert project.history.count() == 0
    project.save()
    assert project.history.count() == 1 and project.version == 2


def test_a_search_in_chinese_finds_synthetic_projects_in_either_script(
    db: Any, generated: str
) -> None:
    found = synthetic_projects().search("醫療")
    assert found.exists()
    assert all("医疗" in p.title_zh_hans for p in found)


def test_new_records_saved_after_a_bulk_load_get_fresh_primary_keys(
    db: Any, generated: str
) -> None:
    highest = Organisation.objects.order_by("-pk")[0].pk
    organisation = OrganisationFactory()
    assert organisation.pk > highest


def test_the_same_seed_gives_the_same_records(db: Any) -> None:
    def titles() -> list[tuple[str, str]]:
        call_command("generate_synthetic", projects=30, seed=3, stdout=StringIO())
        return list(synthetic_projects().order_by("public_id").values_list("public_id", "title_en"))

    with transaction.atomic():
        first = titles()
        transaction.set_rollback(True)
    assert titles() == first


def test_a_count_below_one_is_refused(db: Any) -> None:
    with pytest.raises(CommandError, match="at least 1"):
        call_command("generate_synthetic", projects=0, stdout=StringIO())
