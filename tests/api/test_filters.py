"""The FilterSets of registry/filters.py through the API (docs/architecture.md §6): the
filters DESIGN names, ranges, OR over repeated parameters, ``__n`` negation, cross-script
``q``, a whitelisted ``ordering``, ``updated_since`` everywhere, and a 400 naming any unknown
parameter or bad value. One test fails when a model field meant to be filterable has none."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import django_filters
import pytest
from django.db import models
from django.utils import timezone

from registry import filters
from registry.models import (
    Facility,
    Factor,
    FactorFlow,
    FundingCeiling,
    Organisation,
    Output,
    Participation,
    PolicyInstrument,
    PriorityArea,
    Publication,
    ResearchField,
    Section,
    Side,
    SubArea,
    Verification,
)
from tests.api.conftest import PAGED_LISTS, named_parameters, problem_of
from tests.factories import (
    FACTORIES,
    FacilityFactory,
    FactorFlowFactory,
    FundingLineFactory,
    FundingSchemeFactory,
    OrganisationFactory,
    OutputFactory,
    ParticipationFactory,
    PolicyInstrumentFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

# Each resource's model, FilterSet and factory, from the one registry of each.
CURATED = {
    resource: (factory._meta.model, filters.FILTERSETS[factory._meta.model], factory)
    for resource, factory in FACTORIES.items()
}


def ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.content[:500]
    return {row["id"] for row in response.json()["results"]}


def ordered_ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [row["id"] for row in response.json()["results"]]


def research_field(code: str, parent: ResearchField | None = None) -> ResearchField:
    return ResearchField.objects.create(code=code, name_en=f"Field {code}", parent=parent)


# -- the filters DESIGN names ---------------------------------------------------------------
DESIGN_FILTERS = {
    "organisations": {"kind", "jurisdiction", "country", "ror_id", "status"},
    "facilities": {"kind", "section", "status", "field", "priority_area", "host"},
    "projects": {
        "status",
        "field",
        "priority_area",
        "organisation",
        "facility",
        "cross_border",
        "started_after",
        "started_before",
        "funder",
        "key_achievement",
    },
    "outputs": {"kind", "key_achievement"},
    "flows": {"factor", "direction", "mechanism", "status"},
    "policies": {"status", "factor"},
    "funding-schemes": {"funder"},
}


@pytest.mark.parametrize("resource", CURATED)
def test_every_curated_resource_has_the_filters_design_names(resource):
    _model, filterset, _factory = CURATED[resource]

    expected = {"q", "ordering", "updated_since"} | DESIGN_FILTERS[resource]

    assert expected <= set(filterset.base_filters), expected - set(filterset.base_filters)


# -- organisations ------------------------------------------------------------------------
def test_organisations_filter_by_kind_jurisdiction_country_and_status(api):
    university = OrganisationFactory(country="HK")
    funder = OrganisationFactory(kind=Organisation.Kind.FUNDER, country="HK")
    mainland = OrganisationFactory(jurisdiction=Organisation.Jurisdiction.MAINLAND, country="CN")
    inactive = OrganisationFactory(status=Organisation.Status.INACTIVE, country="GB")

    assert ids(api.get("/api/v1/organisations/", {"kind": "funder"})) == {funder.public_id}
    assert ids(api.get("/api/v1/organisations/", {"jurisdiction": "mainland"})) == {
        mainland.public_id
    }
    assert ids(api.get("/api/v1/organisations/", {"country": "cn"})) == {mainland.public_id}
    assert ids(api.get("/api/v1/organisations/", {"status": "inactive"})) == {inactive.public_id}
    assert ids(api.get("/api/v1/organisations/", {"status__n": "inactive"})) == {
        university.public_id,
        funder.public_id,
        mainland.public_id,
    }
    every_status = {"status__n": [value for value, _ in Organisation.Status.choices]}
    assert ids(api.get("/api/v1/organisations/", every_status)) == set()


def test_organisations_filter_by_ror_id_as_url_or_the_bare_nine_characters(api):
    hkust = OrganisationFactory(ror_id="https://ror.org/00q4vv597")
    OrganisationFactory(ror_id="https://ror.org/02zhqgq86")

    by_url = api.get("/api/v1/organisations/", {"ror_id": "https://ror.org/00q4vv597"})
    by_bare = api.get("/api/v1/organisations/", {"ror_id": "00q4vv597"})

    assert ids(by_url) == ids(by_bare) == {hkust.public_id}


def test_organisations_filter_by_the_year_they_were_established(api):
    old = OrganisationFactory(established=1911)
    young = OrganisationFactory(established=1991)

    assert ids(api.get("/api/v1/organisations/", {"established_after": 1950})) == {young.public_id}
    assert ids(api.get("/api/v1/organisations/", {"established_before": 1950})) == {old.public_id}


# -- search ---------------------------------------------------------------------------------
def test_q_in_traditional_script_finds_a_name_stored_in_simplified(api):
    bay = FacilityFactory(name_en="", name_zh_hans="深圳湾实验室")
    FacilityFactory(name_en="Another Lab")

    assert ids(api.get("/api/v1/facilities/", {"q": "深圳灣"})) == {bay.public_id}


def test_q_in_simplified_script_finds_a_name_stored_in_traditional(api):
    bay = OrganisationFactory(name_en="", name_zh_hant="深圳灣創新中心")
    OrganisationFactory(name_en="Elsewhere Institute")

    assert ids(api.get("/api/v1/organisations/", {"q": "深圳湾"})) == {bay.public_id}


def test_q_ignores_case_and_width_and_finds_acronyms(api):
    hkust = OrganisationFactory(name_en="Hong Kong University of Science and Technology")
    hkust.acronym = "HKUST"
    hkust.save()
    OrganisationFactory(name_en="Other University")

    assert ids(api.get("/api/v1/organisations/", {"q": "hkust"})) == {hkust.public_id}
    assert ids(api.get("/api/v1/organisations/", {"q": "ＨＫＵＳＴ"})) == {hkust.public_id}
    assert ids(api.get("/api/v1/organisations/", {"q": "science  TECHNOLOGY"})) == {hkust.public_id}


# -- facilities -----------------------------------------------------------------------------
def test_facilities_filter_by_kind_with_repeats_meaning_or_and_kind__n_excluding(api):
    lab = FacilityFactory(kind=Facility.Kind.LABORATORY)
    cluster = FacilityFactory(kind=Facility.Kind.LAB_CLUSTER)
    incubator = FacilityFactory(kind=Facility.Kind.INCUBATOR)

    either = api.get("/api/v1/facilities/?kind=laboratory&kind=lab_cluster")
    neither = api.get("/api/v1/facilities/?kind__n=laboratory&kind__n=lab_cluster")

    assert ids(either) == {lab.public_id, cluster.public_id}
    assert ids(neither) == {incubator.public_id}


def test_facilities_filter_by_section_status_and_sub_area(api):
    loop = SubArea.objects.create(code="loop_t", name_en="Loop", section=Section.HONG_KONG)
    shenzhen = FacilityFactory(section=Facility.Location.SHENZHEN)
    planned = FacilityFactory(status=Facility.Status.PLANNED, sub_area=loop)
    FacilityFactory(section=Facility.Location.OUTSIDE)

    assert ids(api.get("/api/v1/facilities/", {"section": "shenzhen"})) == {shenzhen.public_id}
    assert ids(api.get("/api/v1/facilities/", {"status": "planned"})) == {planned.public_id}
    assert ids(api.get("/api/v1/facilities/", {"sub_area": "loop_t"})) == {planned.public_id}


def test_facilities_filter_by_host_parent_field_and_priority_area(api):
    host = OrganisationFactory()
    site = FacilityFactory(kind=Facility.Kind.SITE)
    major = research_field("9")
    physics = research_field("9.1", parent=major)
    chemistry = research_field("9.2", parent=major)
    quantum = PriorityArea.objects.create(code="quantum_t", name_en="Quantum")
    hosted = FacilityFactory(parent=site)
    hosted.hosts.set([host])
    hosted.fields.set([physics])
    other = FacilityFactory()
    other.fields.set([chemistry])
    other.priority_areas.set([quantum])

    assert ids(api.get("/api/v1/facilities/", {"host": host.public_id})) == {hosted.public_id}
    assert ids(api.get("/api/v1/facilities/", {"parent": site.public_id})) == {hosted.public_id}
    assert ids(api.get("/api/v1/facilities/", {"field": "9.1"})) == {hosted.public_id}
    # A major field matches all of its fields.
    assert ids(api.get("/api/v1/facilities/", {"field": "9"})) == {
        hosted.public_id,
        other.public_id,
    }
    assert ids(api.get("/api/v1/facilities/", {"priority_area": "quantum_t"})) == {other.public_id}


def test_a_facility_with_two_matching_hosts_is_listed_once(api):
    first, second = OrganisationFactory.create_batch(2)
    facility = FacilityFactory()
    facility.hosts.set([first, second])

    response = api.get(f"/api/v1/facilities/?host={first.public_id}&host={second.public_id}")

    assert ordered_ids(response) == [facility.public_id]
    assert response.json()["count"] == 1


def test_facilities_filter_by_opening_date_and_floor_area_ranges(api):
    early = FacilityFactory(opened_on=datetime.date(2020, 5, 1), floor_area_m2=Decimal("800"))
    late = FacilityFactory(opened_on=datetime.date(2025, 5, 1), floor_area_m2=Decimal("12000"))

    assert ids(
        api.get(
            "/api/v1/facilities/", {"opened_after": "2021-01-01", "opened_before": "2026-01-01"}
        )
    ) == {late.public_id}
    assert ids(api.get("/api/v1/facilities/", {"floor_area_max": "1000"})) == {early.public_id}
    assert ids(api.get("/api/v1/facilities/", {"floor_area_min": "1000"})) == {late.public_id}


# -- projects -------------------------------------------------------------------------------
def test_projects_filter_by_participating_organisation_and_facility(api):
    lab = FacilityFactory(section=Facility.Location.SHENZHEN)
    university = OrganisationFactory()
    joint = ProjectFactory()
    ParticipationFactory(project=joint, organisation=university, facility=lab)
    ParticipationFactory(project=ProjectFactory())

    assert ids(api.get("/api/v1/projects/", {"organisation": university.public_id})) == {
        joint.public_id
    }
    assert ids(api.get("/api/v1/projects/", {"facility": lab.public_id})) == {joint.public_id}


def test_projects_filter_by_role_and_side_of_their_participants(api):
    led = ProjectFactory()
    ParticipationFactory(project=led, role=Participation.Role.LEAD)
    shenzhen_side = ProjectFactory()
    ParticipationFactory(
        project=shenzhen_side,
        organisation=OrganisationFactory(jurisdiction=Organisation.Jurisdiction.MAINLAND),
    )

    assert ids(api.get("/api/v1/projects/", {"role": "lead"})) == {led.public_id}
    assert ids(api.get("/api/v1/projects/", {"side": "shenzhen"})) == {shenzhen_side.public_id}


def test_projects_filter_by_cross_border(api):
    joint = ProjectFactory()
    ParticipationFactory(project=joint)  # a Hong Kong university
    ParticipationFactory(
        project=joint,
        organisation=OrganisationFactory(jurisdiction=Organisation.Jurisdiction.MAINLAND),
    )
    local = ProjectFactory()
    ParticipationFactory(project=local)

    assert ids(api.get("/api/v1/projects/", {"cross_border": "true"})) == {joint.public_id}
    assert ids(api.get("/api/v1/projects/", {"cross_border": "false"})) == {local.public_id}


def test_projects_filter_by_start_and_end_date_ranges(api):
    early = ProjectFactory(start_date=datetime.date(2022, 3, 1), end_date=datetime.date(2023, 1, 1))
    late = ProjectFactory(start_date=datetime.date(2025, 3, 1), end_date=datetime.date(2027, 1, 1))

    assert ids(api.get("/api/v1/projects/", {"started_after": "2024-01-01"})) == {late.public_id}
    assert ids(api.get("/api/v1/projects/", {"started_before": "2024-01-01"})) == {early.public_id}
    assert ids(
        api.get(
            "/api/v1/projects/", {"started_after": "2022-03-01", "started_before": "2022-03-01"}
        )
    ) == {early.public_id}
    assert ids(api.get("/api/v1/projects/", {"ended_before": "2024-01-01"})) == {early.public_id}
    assert ids(api.get("/api/v1/projects/", {"ended_after": "2024-01-01"})) == {late.public_id}


def test_ended_before_finds_projects_with_an_end_date_and_no_start_date_too(api):
    """The filter bounds the start date as well (a project starts before it ends), unless a
    project with no start date ended in the range: it is found all the same."""
    ended = ProjectFactory(start_date=datetime.date(2022, 3, 1), end_date=datetime.date(2023, 1, 1))
    ProjectFactory(start_date=datetime.date(2023, 6, 1), end_date=datetime.date(2025, 1, 1))
    ProjectFactory(start_date=None, end_date=None)
    assert ids(api.get("/api/v1/projects/", {"ended_before": "2024-01-01"})) == {ended.public_id}

    undated = ProjectFactory(start_date=None, end_date=datetime.date(2023, 6, 30))

    found = ids(api.get("/api/v1/projects/", {"ended_before": "2024-01-01"}))
    assert found == {ended.public_id, undated.public_id}
    assert ids(api.get("/api/v1/projects/", {"ended_before": "2023-03-01"})) == {ended.public_id}


def test_projects_filter_by_funder_scheme_currency_and_amount(api):
    commission = OrganisationFactory(kind=Organisation.Kind.FUNDER)
    scheme = FundingSchemeFactory()
    big = ProjectFactory()
    FundingLineFactory(
        project=big, funder=commission, scheme=scheme, currency="HKD", amount=Decimal("4000000")
    )
    small = ProjectFactory()
    FundingLineFactory(project=small, currency="CNY", amount=Decimal("500000"), side=Side.SHENZHEN)

    assert ids(api.get("/api/v1/projects/", {"funder": commission.public_id})) == {big.public_id}
    assert ids(api.get("/api/v1/projects/", {"scheme": scheme.public_id})) == {big.public_id}
    assert ids(api.get("/api/v1/projects/", {"currency": "cny"})) == {small.public_id}
    assert ids(api.get("/api/v1/projects/", {"amount_min": "1000000"})) == {big.public_id}
    assert ids(api.get("/api/v1/projects/", {"amount_max": "1000000"})) == {small.public_id}
    # The amount compared in the currency asked for: no HKD line is below 1,000,000.
    assert ids(api.get("/api/v1/projects/", {"amount_max": "1000000", "currency": "HKD"})) == set()


def test_projects_filter_by_whether_they_have_a_key_achievement(api):
    achieved = ProjectFactory()
    OutputFactory(project=achieved, key_achievement=True)
    plain = ProjectFactory()
    OutputFactory(project=plain)

    assert ids(api.get("/api/v1/projects/", {"key_achievement": "true"})) == {achieved.public_id}
    assert ids(api.get("/api/v1/projects/", {"key_achievement": "false"})) == {plain.public_id}


def test_projects_filter_by_field_and_priority_area(api):
    major = research_field("9")
    research_field("9.1", parent=major)
    area = PriorityArea.objects.create(code="energy_t", name_en="Energy")
    tagged = ProjectFactory()
    tagged.fields.set([ResearchField.objects.get(code="9.1")])
    tagged.priority_areas.set([area])
    ProjectFactory()

    assert ids(api.get("/api/v1/projects/", {"field": "9"})) == {tagged.public_id}
    assert ids(api.get("/api/v1/projects/", {"priority_area": "energy_t"})) == {tagged.public_id}


# -- outputs, flows, policies, funding schemes -------------------------------------------------
def test_outputs_filter_by_kind_key_achievement_project_and_date(api):
    project = ProjectFactory()
    patent = OutputFactory(kind=Output.Kind.PATENT, date=datetime.date(2024, 6, 1))
    key = OutputFactory(project=project, key_achievement=True, date=datetime.date(2026, 1, 1))

    assert ids(api.get("/api/v1/outputs/", {"kind": "patent"})) == {patent.public_id}
    assert ids(api.get("/api/v1/outputs/", {"kind__n": "patent"})) == {key.public_id}
    assert ids(api.get("/api/v1/outputs/", {"key_achievement": "true"})) == {key.public_id}
    assert ids(api.get("/api/v1/outputs/", {"project": project.public_id})) == {key.public_id}
    assert ids(api.get("/api/v1/outputs/", {"date_before": "2025-01-01"})) == {patent.public_id}
    assert ids(api.get("/api/v1/outputs/", {"date_after": "2025-01-01"})) == {key.public_id}


def test_flows_filter_by_factor_direction_mechanism_and_status(api):
    white_list = PolicyInstrumentFactory()
    samples = FactorFlowFactory(
        factor=Factor.BIOLOGICAL_SAMPLES,
        direction=FactorFlow.Direction.SOUTHBOUND,
        mechanism=white_list,
        status=FactorFlow.Status.BLOCKED,
    )
    people = FactorFlowFactory()

    assert ids(api.get("/api/v1/flows/", {"factor": "biological_samples"})) == {samples.public_id}
    assert ids(api.get("/api/v1/flows/", {"factor__n": "biological_samples"})) == {people.public_id}
    assert ids(api.get("/api/v1/flows/", {"direction": "northbound"})) == {people.public_id}
    assert ids(api.get("/api/v1/flows/", {"mechanism": white_list.public_id})) == {
        samples.public_id
    }
    assert ids(api.get("/api/v1/flows/?status=blocked&status=cleared")) == {samples.public_id}


def test_flows_filter_by_value_quantity_currency_and_period(api):
    funds = FactorFlowFactory(
        factor=Factor.FUNDS,
        value=Decimal("3000000"),
        currency="HKD",
        period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 12, 31),
    )
    people = FactorFlowFactory(quantity=Decimal("12"), unit="researchers")

    assert ids(api.get("/api/v1/flows/", {"value_min": "1000000"})) == {funds.public_id}
    assert ids(api.get("/api/v1/flows/", {"value_max": "1000000"})) == set()
    assert ids(api.get("/api/v1/flows/", {"currency": "HKD"})) == {funds.public_id}
    assert ids(api.get("/api/v1/flows/", {"quantity_min": "10"})) == {people.public_id}
    assert ids(api.get("/api/v1/flows/", {"period_after": "2024-06-01"})) == {funds.public_id}
    assert ids(api.get("/api/v1/flows/", {"period_before": "2026-01-01"})) == {funds.public_id}


def test_policies_filter_by_the_factors_they_cover_issuer_and_dates(api):
    customs = OrganisationFactory()
    measures = PolicyInstrumentFactory(
        issuer=customs,
        factors=[Factor.PERSONNEL, Factor.EQUIPMENT],
        issued_on=datetime.date(2026, 2, 9),
        effective_on=datetime.date(2026, 2, 10),
    )
    data_rules = PolicyInstrumentFactory(
        factors=[Factor.PERSONAL_DATA],
        issued_on=datetime.date(2023, 1, 1),
        status=PolicyInstrument.Status.SUPERSEDED,
    )

    assert ids(api.get("/api/v1/policies/", {"factor": "equipment"})) == {measures.public_id}
    # "personal_data" must not match "data" in another item, nor "personnel" a prefix of it.
    assert ids(api.get("/api/v1/policies/?factor=personal_data&factor=materials")) == {
        data_rules.public_id
    }
    assert ids(api.get("/api/v1/policies/", {"issuer": customs.public_id})) == {measures.public_id}
    assert ids(api.get("/api/v1/policies/", {"issued_after": "2025-01-01"})) == {measures.public_id}
    assert ids(api.get("/api/v1/policies/", {"effective_before": "2026-12-31"})) == {
        measures.public_id
    }
    assert ids(api.get("/api/v1/policies/", {"status": "superseded"})) == {data_rules.public_id}


def test_funding_schemes_filter_by_funder_and_ceiling_currency(api):
    commission = OrganisationFactory(kind=Organisation.Kind.FUNDER)
    itf = FundingSchemeFactory(funder=commission)
    FundingCeiling.objects.create(
        scheme=itf, side=Side.HONG_KONG, currency="HKD", amount=Decimal("10000000")
    )
    FundingSchemeFactory()

    assert ids(api.get("/api/v1/funding-schemes/", {"funder": commission.public_id})) == {
        itf.public_id
    }
    assert ids(api.get("/api/v1/funding-schemes/", {"currency": "HKD"})) == {itf.public_id}


def test_reference_data_filters_by_search_level_and_parent(api):
    major = research_field("9")
    research_field("9.1", parent=major)
    ResearchField.objects.create(
        code="9.2", name_en="Field 9.2", name_zh_hans="测试化学", parent=major
    )

    assert ids(api.get("/api/v1/fields/", {"parent": "9"})) == {"9.1", "9.2"}
    assert ids(api.get("/api/v1/fields/", {"level": "major", "q": "9"})) == {"9"}
    assert ids(api.get("/api/v1/fields/", {"q": "测试化学"})) == {"9.2"}


# -- what every curated resource shares ------------------------------------------------------
@pytest.mark.parametrize("resource", CURATED)
def test_updated_since_lists_only_records_changed_since_then(api, resource):
    _model, _filterset, factory = CURATED[resource]
    older = factory()
    since = timezone.now()
    newer = factory()
    older_still = type(older).objects.get(pk=older.pk)
    assert older_still.updated_at < since <= newer.updated_at

    listed = ids(api.get(f"/api/v1/{resource}/", {"updated_since": since.isoformat()}))

    assert newer.public_id in listed
    assert older.public_id not in listed


@pytest.mark.parametrize("resource", CURATED)
def test_common_filters_work_on_every_curated_resource(api, resource, zone_editor, api_as):
    _model, _filterset, factory = CURATED[resource]
    owner = OrganisationFactory()
    shenzhen = factory(
        curating_section=Section.SHENZHEN, owner=owner, verification=Verification.VERIFIED_PRIMARY
    )
    draft = factory(publication=Publication.DRAFT)
    curator = api_as(zone_editor)
    url = f"/api/v1/{resource}/"

    assert shenzhen.public_id in ids(api.get(url, {"curating_section": "shenzhen"}))
    assert ids(api.get(url, {"owner": owner.public_id})) == {shenzhen.public_id}
    assert ids(api.get(url, {"verification": "verified_primary"})) == {shenzhen.public_id}
    assert shenzhen.public_id not in ids(api.get(url, {"verification__n": "verified_primary"}))
    assert draft.public_id in ids(curator.get(url, {"publication": "draft"}))
    # Filtering never widens what one may see.
    assert draft.public_id not in ids(api.get(url, {"publication": "draft"}))


ORDERINGS = {
    "organisations": "name_en",
    "facilities": "name_en",
    "projects": "start_date",
    "outputs": "date",
    "flows": "period_start",
    "policies": "issued_on",
    "funding-schemes": "name_en",
}


@pytest.mark.parametrize("resource", CURATED)
def test_ordering_sorts_by_a_whitelisted_field_both_ways(api, resource):
    _model, _filterset, factory = CURATED[resource]
    key = ORDERINGS[resource]
    values = {
        "name_en": ["Alpha", "Beta"],
        "start_date": [datetime.date(2020, 1, 1), datetime.date(2024, 1, 1)],
        "date": [datetime.date(2020, 1, 1), datetime.date(2024, 1, 1)],
        "period_start": [datetime.date(2020, 1, 1), datetime.date(2024, 1, 1)],
        "issued_on": [datetime.date(2020, 1, 1), datetime.date(2024, 1, 1)],
    }[key]
    first = factory(**{key: values[0]})
    second = factory(**{key: values[1]})

    ascending = ordered_ids(api.get(f"/api/v1/{resource}/", {"ordering": key}))
    descending = ordered_ids(api.get(f"/api/v1/{resource}/", {"ordering": f"-{key}"}))

    assert ascending == [first.public_id, second.public_id]
    assert descending == [second.public_id, first.public_id]


@pytest.mark.parametrize("direction", ["", "-"])
def test_records_sorted_by_a_value_they_share_page_through_once_each_in_public_id_order(
    api, direction
):
    """Ties are broken by public id, in the direction of the sort: a partner paging through
    projects that all started on one day gets each exactly once, in a stable order."""
    day = datetime.date(2023, 5, 4)
    made = sorted(ProjectFactory(start_date=day).public_id for _ in range(7))
    seen = []
    for page in (1, 2, 3, 4):
        response = api.get(
            "/api/v1/projects/",
            {
                "ordering": f"{direction}start_date",
                "started_after": day,
                "started_before": day,
                "page_size": 2,
                "page": page,
            },
        )
        seen += ordered_ids(response)

    assert seen == (made if direction == "" else made[::-1])


@pytest.mark.parametrize("resource", CURATED)
@pytest.mark.parametrize("ordering", ["search_text", "owner__name_en", "version", "-public_id"])
def test_an_ordering_outside_the_whitelist_is_a_400_naming_ordering(api, resource, ordering):
    body = problem_of(api.get(f"/api/v1/{resource}/", {"ordering": ordering}), 400)

    assert named_parameters(body) == {"ordering"}


@pytest.mark.parametrize("resource", PAGED_LISTS)
def test_an_unknown_parameter_is_a_400_naming_it(api, resource):
    body = problem_of(api.get(f"/api/v1/{resource}/", {"colour": "red"}), 400)

    assert named_parameters(body) == {"colour"}
    assert "colour" in body["detail"]


def test_a_misspelt_filter_is_refused_not_ignored(api):
    body = problem_of(api.get("/api/v1/facilities/", {"kinds": "laboratory"}), 400)

    assert named_parameters(body) == {"kinds"}


@pytest.mark.parametrize(
    ("resource", "parameter", "value"),
    [
        ("organisations", "kind", "castle"),
        ("organisations", "country", "China"),
        ("organisations", "ror_id", "https://ror.org/not-a-ror"),
        ("organisations", "ror_id", "12345"),
        ("organisations", "established_after", "long ago"),
        ("organisations", "updated_since", "yesterday"),
        ("organisations", "owner", "org-0000000"),
        ("facilities", "host", "fac-123"),
        ("facilities", "section", "kowloon"),
        ("facilities", "field", "Natural Sciences!"),
        ("facilities", "opened_after", "2025-13-01"),
        ("facilities", "floor_area_min", "big"),
        ("facilities", "q", "x" * 201),
        ("projects", "started_after", "next spring"),
        ("projects", "cross_border", "perhaps"),
        ("projects", "organisation", "prj-12345678"),
        ("projects", "role", "boss"),
        ("projects", "side", "north"),
        ("projects", "currency", "XXY"),
        ("projects", "amount_min", "lots"),
        ("projects", "key_achievement", "sometimes"),
        ("outputs", "kind__n", "novel"),
        ("outputs", "key_achievement", "maybe"),
        ("outputs", "date_after", "2025-02-30"),
        ("flows", "direction", "sideways"),
        ("flows", "mechanism", "pol-zzzzzz"),
        ("flows", "value_min", "1e999999"),
        ("policies", "factor", "luck"),
        ("funding-schemes", "funder", "sch-12345678"),
        ("fields", "level", "minor"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(api, resource, parameter, value):
    body = problem_of(api.get(f"/api/v1/{resource}/", {parameter: value}), 400)

    assert named_parameters(body) == {parameter}, body


def test_a_repeated_bad_value_is_named_even_after_a_good_one(api):
    body = problem_of(api.get("/api/v1/facilities/?kind=laboratory&kind=castle"), 400)

    assert named_parameters(body) == {"kind"}


# -- every field meant to be filterable has a filter -------------------------------------------
# Fields deliberately left without a filter, each with the reason. Anything else of a filterable
# sort (choices, dates, relations, booleans) that no filter reaches fails the test below.
NOT_FILTERED = {
    # Audit: who/when a row was written. Clients sync through updated_since and the change feed.
    "created_at": "audit",
    "created_by": "audit (a user, never shown through the API)",
    "updated_by": "audit (a user, never shown through the API)",
    # Workflow bookkeeping written only by registry/workflow.py; publication is the filter.
    "submitted_by": "workflow bookkeeping (a user)",
    "submitted_at": "workflow bookkeeping",
    "published_at": "workflow bookkeeping",
    "retracted_at": "workflow bookkeeping",
    "successor": "tombstone pointer, shown with the 410",
    # The provenance date. the design names no filter for it (verification has one); it is
    # listed here so that the choice stays visible rather than silently unfiltered.
    "as_of": "provenance date: no filter named in docs/architecture.md",
    # Shown in each record's provenance.derived; curators find the unconfirmed ones with the
    # admin's list filter.
    "derived_script": "derived-text mark: shown in provenance, filtered in the admin",
}

# Filters with a ``method`` reach model fields the test cannot see: say which.
METHOD_FILTER_FIELDS = {
    ("PolicyInstrumentFilterSet", "factor"): {"factors"},
    ("ResearchFieldFilterSet", "level"): {"parent"},
}


def filterable_fields(model: type[models.Model]) -> set[str]:
    """Concrete fields with choices, dates, forward relations and booleans of ``model``."""
    names = set()
    for field in model._meta.get_fields():
        if field.auto_created or not (field.concrete or field.many_to_many):
            continue
        if field.primary_key:
            continue
        if (
            getattr(field, "choices", None)
            or isinstance(field, models.DateField | models.BooleanField)
            or field.many_to_one
            or field.one_to_one
            or field.many_to_many
        ):
            names.add(field.name)
    return names


def fields_reached_by(filterset: type[django_filters.FilterSet]) -> set[str]:
    """The model fields a FilterSet's filters reach: the first step of each ``field_name``;
    for filters matched ``through`` a subquery, the many-to-many whose table it reads."""
    model = filterset._meta.model
    model_fields = {field.name for field in model._meta.get_fields()}
    reached: set[str] = set()
    for name, declared in filterset.base_filters.items():
        reached |= METHOD_FILTER_FIELDS.get((filterset.__name__, name), set())
        through = getattr(declared, "through", None)
        if through is not None:
            query = through(["probe"], None).query  # an EXISTS over the linking rows
            tables = {table.table_name for table in query.alias_map.values()}
            reached |= {
                field.name
                for field in model._meta.many_to_many
                if field.remote_field.through._meta.db_table in tables
            }
        elif declared.method is None and declared.field_name:
            first_step = declared.field_name.split("__")[0]
            if first_step in model_fields:
                reached.add(first_step)
    return reached


FILTERSETS = [
    pytest.param(filterset, id=filterset.__name__)
    for filterset in (
        *(entry[1] for entry in CURATED.values()),
        filters.ResearchFieldFilterSet,
        filters.PriorityAreaFilterSet,
    )
]


@pytest.mark.parametrize("filterset", FILTERSETS)
def test_every_filterable_model_field_has_a_filter(filterset):
    model = filterset._meta.model

    missing = filterable_fields(model) - fields_reached_by(filterset) - set(NOT_FILTERED)

    assert not missing, f"{model.__name__} fields with no filter in {filterset.__name__}: {missing}"


def test_the_exclusions_name_real_fields_of_curated_records():
    """A renamed field must not hide behind a stale entry in NOT_FILTERED."""
    curated_fields = {field.name for field in Organisation._meta.get_fields()}

    assert set(NOT_FILTERED) <= curated_fields


def test_the_coverage_check_notices_a_missing_filter():
    """The check above is only worth something if it fails: drop a filter and see."""

    class WithoutKind(filters.FacilityFilterSet):
        class Meta(filters.FacilityFilterSet.Meta):
            pass

    del WithoutKind.base_filters["kind"]
    del WithoutKind.base_filters["kind__n"]
    del WithoutKind.base_filters["host"]

    missing = filterable_fields(Facility) - fields_reached_by(WithoutKind) - set(NOT_FILTERED)

    assert missing == {"kind", "hosts"}


def test_a_well_formed_id_with_wrong_check_digits_matches_nothing(api):
    """A typo in an id finds nothing (as a mistyped id's page is a 404), never another record."""
    owner = OrganisationFactory()
    FacilityFactory(owner=owner)
    typo = owner.public_id[:-2] + ("00" if owner.public_id[-2:] != "00" else "01")
    response = api.get("/api/v1/facilities/", {"owner": typo})
    assert response.status_code == 200 and response.json()["count"] == 0


@pytest.mark.parametrize(
    "query",
    ["https://ror.org/05sn8t512", "ror.org/05sn8t512", "05sn8t512", " HTTPS://ROR.ORG/05SN8T512 "],
)
def test_a_ror_id_in_any_form_finds_its_organisation_exactly(api, query):
    hkust = OrganisationFactory(name_en="HKUST", ror_id="https://ror.org/05sn8t512")
    OrganisationFactory(name_en="Partner of HKUST", aliases=["05sn8t512 (its ROR id)"])

    assert ids(api.get("/api/v1/organisations/", {"q": query})) == {hkust.public_id}


def test_a_public_id_in_q_finds_that_record_and_not_one_that_mentions_it(api):
    lab = FacilityFactory(name_en="Bay Lab")
    FacilityFactory(name_en=f"Annex of {lab.public_id}")

    assert ids(api.get("/api/v1/facilities/", {"q": lab.public_id.upper()})) == {lab.public_id}


def test_a_word_shaped_like_a_ror_id_with_wrong_check_digits_is_searched_as_text(api):
    named = OrganisationFactory(name_en="Unit 05sn8t513")

    assert ids(api.get("/api/v1/organisations/", {"q": "05sn8t513"})) == {named.public_id}
