"""The read and write paths every face shares: ``access.readable``/``access.lookup`` (what a
reader gets), ``workflow.create``/``update``/``propose`` (how a record is added and changed),
``filters.parameter_errors`` (what is wrong with a query string), ``statistics`` (counts of
what a reader may see) and ``resources`` (one field list per resource)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import QueryDict

from registry import access, filters, resources, statistics, workflow
from registry.api import serializers
from registry.exports import RESOURCES
from registry.importers.tabular import RESOURCES as TABLES
from registry.models import (
    CURATED_MODELS,
    ChangeRequest,
    Facility,
    Organisation,
    Project,
    Publication,
    Section,
)
from registry.models.base import StaleRecordError
from tests.factories import (
    FacilityFactory,
    FactorFlowFactory,
    FundingLineFactory,
    OrganisationFactory,
    OutputFactory,
    ParticipationFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db
DRAFT, PUBLISHED, RETRACTED = Publication.DRAFT, Publication.PUBLISHED, Publication.RETRACTED


# -- reading -----------------------------------------------------------------------------------
@pytest.fixture
def project_with_hidden_parts(hong_kong_partner_org):
    """A published project whose parts are half published; the partner owns one draft part."""
    project = ProjectFactory(title_en="Loop robotics")
    ParticipationFactory(project=project, organisation=OrganisationFactory(name_en="Open U"))
    ParticipationFactory(
        project=project, organisation=OrganisationFactory(name_en="Draft Co", publication=DRAFT)
    )
    ParticipationFactory(
        project=project,
        organisation=OrganisationFactory(
            name_en="Partner's draft", publication=DRAFT, owner=hong_kong_partner_org
        ),
    )
    FundingLineFactory(project=project, funder=OrganisationFactory(name_en="Open Fund"))
    FundingLineFactory(
        project=project, funder=OrganisationFactory(name_en="Draft Fund", publication=DRAFT)
    )
    OutputFactory(project=project, title_en="Open paper")
    OutputFactory(project=project, title_en="Draft paper", publication=DRAFT)
    FactorFlowFactory(project=project, publication=RETRACTED)
    return project


def read(user, project: Project) -> Project:
    return access.readable(Project.objects.all(), user).get(pk=project.pk)


def test_the_public_reads_a_project_with_only_the_parts_it_may_see(project_with_hidden_parts):
    project = read(None, project_with_hidden_parts)

    participants = [p.organisation.name_en for p in project.participations.all()]
    assert participants == ["Open U"]
    assert [line.funder.name_en for line in project.funding_lines.all()] == ["Open Fund"]
    assert [output.title_en for output in project.outputs.all()] == ["Open paper"]
    assert list(project.flows.all()) == []


def test_a_partner_reads_its_own_draft_participant_and_a_curator_reads_everything(
    project_with_hidden_parts, hong_kong_partner, zone_editor
):
    as_partner = read(hong_kong_partner, project_with_hidden_parts)
    as_editor = read(zone_editor, project_with_hidden_parts)

    assert {p.organisation.name_en for p in as_partner.participations.all()} == {
        "Open U",
        "Partner's draft",
    }
    assert len(as_editor.participations.all()) == 3
    assert len(as_editor.funding_lines.all()) == 2
    assert len(as_editor.outputs.all()) == 2
    assert len(as_editor.flows.all()) == 1


def test_restricting_the_related_lists_costs_no_extra_query(
    project_with_hidden_parts, django_assert_num_queries
):
    ProjectFactory()
    # The projects, then one query per related list: fields, priority areas, participants,
    # funding lines, outputs, flows (owner joined).
    with django_assert_num_queries(7):
        projects = list(access.readable(Project.objects.all(), None))
        for project in projects:
            list(project.participations.all())
            list(project.funding_lines.all())


def test_a_hidden_single_related_record_is_shown_as_nothing(zone_editor):
    draft_parent = FacilityFactory(publication=DRAFT)
    facility = FacilityFactory(parent=draft_parent)
    loaded = access.readable(Facility.objects.all(), None, ["parent"]).get(pk=facility.pk)

    assert access.shown(None, loaded.parent) is None
    assert access.shown(zone_editor, loaded.parent) == draft_parent
    assert access.shown(None, None) is None


def test_a_lookup_finds_the_record_a_tombstone_or_nothing(hong_kong_partner, hong_kong_partner_org):
    published = ProjectFactory()
    successor = ProjectFactory()
    retracted = ProjectFactory(
        publication=RETRACTED, retraction_reason="Duplicate", successor=successor
    )
    draft_successor = ProjectFactory(publication=DRAFT)
    retracted_to_a_draft = ProjectFactory(publication=RETRACTED, successor=draft_successor)
    own_retracted = ProjectFactory(publication=RETRACTED, owner=hong_kong_partner_org)
    everything = Project.objects.all()

    assert access.lookup(everything, published.public_id, None).record == published
    found = access.lookup(everything, retracted.public_id, None)
    assert (found.record, found.tombstone, found.successor) == (None, retracted, successor)
    assert access.lookup(everything, retracted_to_a_draft.public_id, None).successor is None
    assert access.lookup(everything, draft_successor.public_id, None) == access.Lookup()
    assert access.lookup(everything, "prj-nonsense", None) == access.Lookup()
    # A partner sees the record its organisation owns, retracted or not: no tombstone.
    assert access.lookup(everything, own_retracted.public_id, hong_kong_partner).record == (
        own_retracted
    )


# -- writing -----------------------------------------------------------------------------------
def test_a_partners_new_record_is_its_organisations_and_waits_in_review(
    shenzhen_partner, shenzhen_partner_org
):
    project = workflow.create(
        Project, user=shenzhen_partner, values={"title_en": "Shared sensors", "status": "active"}
    )

    stored = Project.objects.get(pk=project.pk)
    assert stored.owner == shenzhen_partner_org
    # The section follows the owner's jurisdiction: the mainland is the Shenzhen section's.
    assert stored.curating_section == Section.SHENZHEN
    assert stored.publication == Publication.IN_REVIEW
    assert stored.submitted_by == shenzhen_partner
    assert stored.submitted_at is not None
    assert stored.history.count() == 1


def test_a_curators_new_record_is_a_draft_of_the_section_they_curate(hong_kong_curator):
    project = workflow.create(
        Project, user=hong_kong_curator, values={"title_en": "Loop sensors", "status": "active"}
    )

    stored = Project.objects.get(pk=project.pk)
    assert (stored.curating_section, stored.publication) == (Section.HONG_KONG, DRAFT)
    assert stored.owner is None and stored.submitted_by is None


def test_a_zone_editor_must_say_which_section_curates_a_new_record(zone_editor):
    with pytest.raises(workflow.SectionNeeded):
        workflow.create(Project, user=zone_editor, values={"title_en": "x", "status": "active"})

    project = workflow.create(
        Project,
        user=zone_editor,
        values={"title_en": "x", "status": "active"},
        curating_section=Section.SHENZHEN,
    )
    assert Project.objects.get(pk=project.pk).curating_section == Section.SHENZHEN


def test_a_hong_kong_curator_cannot_add_a_shenzhen_record_and_nothing_is_stored(
    hong_kong_curator,
):
    with pytest.raises(workflow.NotPermitted):
        workflow.create(
            Project,
            user=hong_kong_curator,
            values={"title_en": "x", "status": "active"},
            curating_section=Section.SHENZHEN,
        )
    assert not Project.objects.exists()


def test_the_public_adds_nothing(the_public):
    with pytest.raises(workflow.NotPermitted):
        workflow.create(Project, user=the_public, values={"title_en": "x", "status": "active"})
    assert not Project.objects.exists()


def test_a_bad_value_is_named_by_its_field_and_nothing_is_stored(hong_kong_curator):
    values = {"title_en": "", "status": "dormant", "start_date": datetime.date(2026, 1, 1)}
    values["end_date"] = datetime.date(2025, 1, 1)

    with pytest.raises(ValidationError) as raised:
        workflow.create(Project, user=hong_kong_curator, values=values)

    problems = raised.value.message_dict
    assert "status" in problems
    assert "end_date" in problems
    assert "title_en" in problems or NON_FIELD_ERRORS in problems
    assert not Project.objects.exists()


def test_a_new_record_gets_its_many_to_many_values(hong_kong_curator):
    host = OrganisationFactory()
    facility = workflow.create(
        Facility,
        user=hong_kong_curator,
        values={
            "name_en": "Loop Lab",
            "kind": Facility.Kind.LABORATORY,
            "section": Facility.Location.HONG_KONG,
            "status": Facility.Status.OPERATIONAL,
            "hosts": [host],
        },
    )
    assert list(Facility.objects.get(pk=facility.pk).hosts.all()) == [host]


def test_an_update_from_a_stale_version_changes_nothing(hong_kong_curator):
    project = ProjectFactory(title_en="Before")
    version = project.version
    workflow.update(project, user=hong_kong_curator, values={"title_en": "First"})

    stale = Project.objects.get(pk=project.pk)
    with pytest.raises(StaleRecordError):
        workflow.update(
            stale, user=hong_kong_curator, values={"title_en": "Second"}, expected_version=version
        )
    assert Project.objects.get(pk=project.pk).title_en == "First"


def test_a_partner_cannot_change_its_published_record_directly_but_may_propose(
    hong_kong_partner, hong_kong_partner_org
):
    lab = FacilityFactory(owner=hong_kong_partner_org)
    field_of = lab.fields.model.objects.create(code="9.9", name_en="Testing")

    with pytest.raises(workflow.NotPermitted):
        workflow.update(lab, user=hong_kong_partner, values={"name_en": "Renamed"})
    request = workflow.propose(
        lab,
        user=hong_kong_partner,
        values={
            "name_en": "Renamed",
            "floor_area_m2": Decimal("120.5"),
            "opened_on": datetime.date(2025, 3, 1),
            "parent": FacilityFactory(),
            "fields": [field_of],
        },
        base_version=lab.version,
    )

    stored = ChangeRequest.objects.get(pk=request.pk)
    assert stored.state == ChangeRequest.State.OPEN
    assert stored.proposed["name_en"] == "Renamed"
    # Stored as JSON: decimals and dates as text, records by their primary keys.
    assert stored.proposed["floor_area_m2"] == "120.5"
    assert stored.proposed["opened_on"] == "2025-03-01"
    assert isinstance(stored.proposed["parent_id"], int)
    assert stored.proposed["fields"] == [field_of.pk]
    assert Facility.objects.get(pk=lab.pk).name_en != "Renamed"


def test_another_organisations_partner_may_not_even_propose(hong_kong_partner):
    with pytest.raises(workflow.NotPermitted):
        workflow.propose(
            FacilityFactory(), user=hong_kong_partner, values={"name_en": "x"}, base_version=1
        )
    assert not ChangeRequest.objects.exists()


def test_an_organisation_from_ror_is_curated_by_its_jurisdictions_section_and_published():
    now = datetime.datetime(2026, 12, 3, tzinfo=datetime.UTC)
    for jurisdiction, section in (
        (Organisation.Jurisdiction.MAINLAND, Section.SHENZHEN),
        (Organisation.Jurisdiction.HONG_KONG, Section.HONG_KONG),
        (Organisation.Jurisdiction.OVERSEAS, Section.HONG_KONG),
    ):
        organisation = Organisation(name_en="x", jurisdiction=jurisdiction)
        workflow.admit_from_ror(organisation, at=now)
        assert organisation.curating_section == section
        assert (organisation.publication, organisation.published_at) == (PUBLISHED, now)


# -- query strings -----------------------------------------------------------------------------
def errors_of(query: str, *, blank_allowed: bool = True) -> dict[str, list[str]]:
    data = QueryDict(query)
    filterset = filters.ProjectFilterSet(data, queryset=Project.objects.all())
    accepted = filters.accepted(filters.ProjectFilterSet, "page")
    found = filters.parameter_errors(
        data, accepted, filterset=filterset, blank_allowed=blank_allowed
    )
    return {name: [str(message) for message in messages] for name, messages in found.items()}


def test_a_good_query_has_no_problem():
    assert errors_of("status=active&page=2&q=") == {}


def test_problems_are_reported_one_kind_at_a_time_blank_then_unknown_then_malformed():
    query = "status=&colour=red&started_after=soon"

    assert errors_of(query, blank_allowed=False) == {
        "status": ["Give a value, or leave the parameter out."]
    }
    assert errors_of(query) == {"colour": ["Unknown parameter."]}
    assert list(errors_of("started_after=soon")) == ["started_after"]
    # A blank search is no problem anywhere: an empty search box searches for nothing.
    assert errors_of("q=", blank_allowed=False) == {}


# -- statistics --------------------------------------------------------------------------------
def test_statistics_count_what_each_reader_may_see(hong_kong_partner, hong_kong_partner_org):
    ProjectFactory(status="active")
    ProjectFactory(status="active", publication=DRAFT)
    ProjectFactory(status="completed", publication=DRAFT, owner=hong_kong_partner_org)

    assert statistics.counts(Project, None, "status") == {"active": 1}
    assert statistics.counts(Project, hong_kong_partner, "status") == {
        "active": 1,
        "completed": 1,
    }
    assert statistics.total(Project, None) == 1


def test_funding_totals_leave_out_lines_the_reader_may_not_see():
    project = ProjectFactory()
    FundingLineFactory(project=project, amount=Decimal("100"), currency="HKD", side="hong_kong")
    FundingLineFactory(project=project, amount=Decimal("50"), currency="HKD", side="hong_kong")
    hidden_funder = OrganisationFactory(publication=DRAFT)
    FundingLineFactory(project=project, amount=Decimal("7"), funder=hidden_funder)
    FundingLineFactory(project=ProjectFactory(publication=DRAFT), amount=Decimal("9"))

    totals = statistics.funding_by_currency_and_side(None)

    assert totals == {("HKD", "hong_kong"): (Decimal("150"), 2)}


# -- one field list per resource ---------------------------------------------------------------
@pytest.mark.parametrize("model", CURATED_MODELS, ids=lambda model: model.__name__)
def test_the_api_and_the_dumps_show_the_fields_resources_names(model):
    serializer_class = next(
        cls
        for cls in vars(serializers).values()
        if isinstance(cls, type)
        and issubclass(cls, serializers.CuratedSerializer)
        and getattr(cls.Meta, "model", None) is model
    )
    assert tuple(serializer_class().fields) == resources.api_fields(model)
    dumped = next(resource for resource in RESOURCES if resource.model is model)
    assert dumped.fields() == resources.api_fields(model)


@pytest.mark.parametrize("model", list(TABLES), ids=lambda model: model.__name__)
def test_a_table_carries_the_resources_own_plain_fields(model):
    columns = TABLES[model]._meta.fields
    plain = [name for name in resources.scalars(model) if name != "external_ids"]
    assert [name for name in columns if name in plain] == plain
