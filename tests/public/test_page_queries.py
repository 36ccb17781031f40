"""What each public page costs in queries: pinned per page type, and the same with a few
records as with many (3 or 25 of each on a listing, 1 or 5 of each relation on a detail page),
so that no page runs a query per record shown (docs/architecture.md §3, rule 3)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.http import HttpResponse

from registry.models import (
    Facility,
    Organisation,
    OrganisationRelation,
    PriorityArea,
    Project,
    Publication,
    ResearchField,
    SubArea,
    ZoneSection,
)
from tests.factories import (
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
from tests.public import parse

pytestmark = pytest.mark.django_db


@pytest.fixture
def reference(settings, tmp_path) -> dict[str, object]:
    """The parks, their sub-areas and the taxonomies the pages show or offer as facets; no
    open-data dump (the data page reads files, never the database)."""
    settings.REGISTRY_DUMP_DIR = tmp_path
    for code, name in (("shenzhen", "Shenzhen Park"), ("hong_kong", "Hong Kong Park")):
        ZoneSection.objects.create(code=code, name_en=name, area_km2=Decimal("1.5"))
        SubArea.objects.create(code=f"{code}-core", section=code, name_en=f"{name} core")
    engineering = ResearchField.objects.create(code="2", name_en="Engineering and technology")
    return {
        "sub_area": SubArea.objects.get(code="hong_kong-core"),
        "field": ResearchField.objects.create(
            code="2.2", name_en="Electrical engineering", parent=engineering
        ),
        "priority_area": PriorityArea.objects.create(code="ai", name_en="AI and data science"),
    }


def add_records(n: int, reference: dict[str, object]) -> dict[str, str]:
    """n published organisations, facilities and joint projects, each with every relation its
    pages show (and an unpublished one of each beside them); the public ids of the last."""
    for _ in range(n):
        shenzhen = OrganisationFactory(
            name_en="Shenzhen university", jurisdiction=Organisation.Jurisdiction.MAINLAND
        )
        hong_kong = OrganisationFactory(name_en="Hong Kong university")
        OrganisationRelation.objects.create(
            source=hong_kong, kind=OrganisationRelation.Kind.RELATED, target=shenzhen
        )
        site = FacilityFactory(kind=Facility.Kind.SITE, sub_area=reference["sub_area"])
        facility = FacilityFactory(
            name_en="Loop laboratory", parent=site, sub_area=reference["sub_area"]
        )
        FacilityFactory(parent=facility)
        facility.hosts.add(hong_kong)
        facility.fields.add(reference["field"])
        facility.priority_areas.add(reference["priority_area"])
        FacilityFactory(publication=Publication.DRAFT).hosts.add(hong_kong)

        project = ProjectFactory(title_en="Loop project")
        project.fields.add(reference["field"])
        project.priority_areas.add(reference["priority_area"])
        ParticipationFactory(project=project, organisation=hong_kong, facility=facility)
        ParticipationFactory(project=project, organisation=shenzhen)
        FundingLineFactory(project=project, scheme=FundingSchemeFactory())
        FundingLineFactory(project=project, currency="CNY", side="shenzhen")
        OutputFactory(project=project)
        FactorFlowFactory(project=project, facility=facility, mechanism=PolicyInstrumentFactory())
        ProjectFactory(publication=Publication.DRAFT)
    return {
        "facility": facility.public_id,
        "project": project.public_id,
        "organisation": hong_kong.public_id,
        "retracted": FacilityFactory(publication=Publication.RETRACTED).public_id,
    }


FACILITY_FILTERS = (
    "section=hong_kong&kind=laboratory&status=operational&field=2.2&priority_area=ai"
    "&q=laboratory&ordering=name_en"
)
PROJECT_FILTERS = (
    "status=active&cross_border=true&field=2&priority_area=ai&q=loop&ordering=-start_date"
)
ORGANISATION_FILTERS = "jurisdiction=hong_kong&kind=university&q=university&ordering=name_en"

# Each page's queries, in the order it runs them.
PINNED: dict[str, tuple[str, int]] = {
    # facilities by park and kind; the parks; their sub-areas; 3 counts (projects,
    # cross-border projects, organisations); the latest projects.
    "home": ("/en/", 7),
    # the research fields and priority areas (facet choices); the count; the page (with its
    # sub-areas joined); one GROUP BY per facet: park, kind, status, field, priority area.
    "facilities": ("/en/facilities/", 9),
    "facilities, filtered and searched": (f"/en/facilities/?{FACILITY_FILTERS}", 9),
    # the facet choices; the count; the page; status, cross-border, field, priority area.
    "projects": ("/en/projects/", 8),
    "projects, filtered and searched": (f"/en/projects/?{PROJECT_FILTERS}", 8),
    # the count; the page; jurisdiction, kind.
    "organisations": ("/en/organisations/", 4),
    "organisations, filtered and searched": (f"/en/organisations/?{ORGANISATION_FILTERS}", 4),
    # the facility with its owner, sub-area and parent; its fields; its priority areas; its
    # published hosts; children; projects; flows with their mechanisms.
    "facility": ("/en/facilities/{facility}/", 7),
    # the project with its owner; fields; priority areas; participations with organisations
    # and facilities; funding lines with funders and schemes; outputs; flows.
    "project": ("/en/projects/{project}/", 7),
    # the organisation with its owner; its relations with their targets; the facilities it
    # hosts; its projects.
    "organisation": ("/en/organisations/{organisation}/", 4),
    # no published record with that id; the retracted one with its successor.
    "retracted record": ("/en/facilities/{retracted}/", 2),
    # one GROUP BY per chart: projects, facilities, funding, factor flows.
    "statistics": ("/en/statistics/", 4),
    # research fields and priority areas (the filter form); the pairs; their shared projects.
    "collaboration": ("/en/collaboration/", 4),
    "collaboration, filtered": ("/en/collaboration/?field=2.2&priority_area=ai", 4),
    # the latest dump's manifest, from files.
    "data": ("/en/data/", 0),
}


LISTINGS = [name for name in PINNED if name.startswith(("facilities", "projects", "organisations"))]


def cards_shown(response: HttpResponse) -> int:
    results = parse(response.content).find("section", class_="results")
    return len(results.find("ul", class_="cards").find_all("a"))


def open_every_page(client, django_assert_num_queries, ids: dict[str, str]) -> dict[str, int]:
    """Open each page within its pinned number of queries; how many records each listing
    shows."""
    shown = {}
    for page_type, (url, pinned) in PINNED.items():
        with django_assert_num_queries(pinned, info=page_type):
            response = client.get(url.format(**ids))
        expected = 410 if page_type == "retracted record" else 200
        assert response.status_code == expected, page_type
        if page_type in LISTINGS:
            shown[page_type] = cards_shown(response)
    return shown


def test_every_page_costs_its_pinned_queries_with_3_records_and_with_20(
    client, reference, django_assert_num_queries
):
    with_3 = open_every_page(client, django_assert_num_queries, add_records(3, reference))

    with_20 = open_every_page(client, django_assert_num_queries, add_records(17, reference))

    # The same queries although every listing shows several times more records.
    assert with_3 == dict.fromkeys(LISTINGS, 3) | {"facilities": 9, "organisations": 12}
    assert with_20 == dict.fromkeys(LISTINGS, 20)


# One more of each relation a detail page shows, for the record with this public id.
def more_for_facility(public_id: str) -> None:
    facility = Facility.objects.get(public_id=public_id)
    organisation = OrganisationFactory()
    facility.hosts.add(organisation)
    FacilityFactory(parent=facility)
    ParticipationFactory(organisation=organisation, facility=facility)
    FactorFlowFactory(project=None, facility=facility, mechanism=PolicyInstrumentFactory())


def more_for_project(public_id: str) -> None:
    project = Project.objects.get(public_id=public_id)
    ParticipationFactory(project=project, facility=FacilityFactory())
    ParticipationFactory(
        project=project,
        organisation=OrganisationFactory(jurisdiction=Organisation.Jurisdiction.MAINLAND),
    )
    FundingLineFactory(project=project, scheme=FundingSchemeFactory())
    OutputFactory(project=project)
    FactorFlowFactory(project=project, mechanism=PolicyInstrumentFactory())


def more_for_organisation(public_id: str) -> None:
    organisation = Organisation.objects.get(public_id=public_id)
    FacilityFactory().hosts.add(organisation)
    ParticipationFactory(organisation=organisation)
    OrganisationRelation.objects.create(
        source=organisation, kind=OrganisationRelation.Kind.RELATED, target=OrganisationFactory()
    )


MORE: dict[str, Callable[[str], None]] = {
    "facility": more_for_facility,
    "project": more_for_project,
    "organisation": more_for_organisation,
}


def links_in_main(response: HttpResponse) -> int:
    return len(parse(response.content).find("main").find_all("a"))


@pytest.mark.parametrize("kind", MORE)
def test_a_detail_page_costs_the_same_with_one_or_five_of_each_relation(
    client, reference, django_assert_num_queries, kind
):
    public_id = add_records(1, reference)[kind]
    url, pinned = PINNED[kind]
    with django_assert_num_queries(pinned):
        one = client.get(url.format(**{kind: public_id}))

    for _ in range(4):
        MORE[kind](public_id)
    with django_assert_num_queries(pinned):
        five = client.get(url.format(**{kind: public_id}))

    assert one.status_code == five.status_code == 200
    assert links_in_main(five) >= links_in_main(one) + 8  # the new relations are shown
