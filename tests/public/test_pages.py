"""The home page, the three listings and the detail pages, as a visitor without an account
meets them: published records only, in the chosen language, with facets, search, sorting,
paging and relations; 410 for a retracted record, 404 for an unpublished one; cacheable
headers; and a query count that does not grow with the data."""

from __future__ import annotations

import datetime
import itertools
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.models import Facility, Organisation, Participation, Project, Publication
from tests.factories import (
    FacilityFactory,
    FactorFlowFactory,
    FundingLineFactory,
    OrganisationFactory,
    OutputFactory,
    ParticipationFactory,
    ProjectFactory,
)
from tests.public import parse

pytestmark = pytest.mark.django_db
PUBLISHED, DRAFT = Publication.PUBLISHED, Publication.DRAFT


def texts(html: bytes, selector_tag: str, **attrs: str) -> list[str]:
    return [element.text for element in parse(html).find_all(selector_tag, **attrs)]


def card_names(response) -> list[str]:
    cards = parse(response.content).find("ul", class_="cards")
    return [a.text for a in cards.find_all("a")]


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


# -- languages ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("accept", "prefix"),
    [("zh-TW", "/zh-hant/"), ("zh-HK", "/zh-hant/"), ("zh-CN", "/zh-hans/"), ("fr", "/en/")],
)
def test_the_root_sends_each_visitor_to_their_language(client, accept, prefix):
    response = client.get("/", headers={"accept-language": accept})

    assert response.status_code == 302
    assert response["Location"] == prefix


def test_the_language_switcher_keeps_the_record_and_the_query(client):
    facility = FacilityFactory(name_en="Loop Lab", name_zh_hant="河套實驗室")

    response = client.get(f"/zh-hant/facilities/{facility.public_id}/?utm=x")

    links = {
        a.attrs["hreflang"]: a.attrs["href"]
        for a in parse(response.content).find("nav", class_="languages").find_all("a")
    }
    assert links == {
        "en": f"/en/facilities/{facility.public_id}/?utm=x",
        "zh-hans": f"/zh-hans/facilities/{facility.public_id}/?utm=x",
        "zh-hant": f"/zh-hant/facilities/{facility.public_id}/?utm=x",
    }
    assert parse(response.content).find("h1").text == "河套實驗室"


def test_a_record_without_a_name_in_the_chosen_script_falls_back_to_another(client):
    facility = FacilityFactory(name_en="Loop Lab", name_zh_hans="", name_zh_hant="")

    response = client.get(f"/zh-hans/facilities/{facility.public_id}/")

    assert parse(response.content).find("h1").text == "Loop Lab"


# -- home -------------------------------------------------------------------------------------
def test_the_home_page_counts_published_records_only(client):
    FacilityFactory.create_batch(2, section=Facility.Location.HONG_KONG)
    FacilityFactory(section=Facility.Location.SHENZHEN)
    FacilityFactory(section=Facility.Location.HONG_KONG, publication=DRAFT)
    ProjectFactory(title_en="Published project", cross_border=False)
    ProjectFactory(title_en="Draft project", publication=DRAFT)

    response = client.get("/en/")

    figures = texts(response.content, "li")
    assert "1 joint projects" in figures
    assert "Published project" in response.content.decode()
    assert "Draft project" not in response.content.decode()


# -- listings ---------------------------------------------------------------------------------
def test_a_listing_shows_published_records_with_facet_counts(client):
    FacilityFactory(name_en="Shenzhen Lab", section=Facility.Location.SHENZHEN)
    FacilityFactory(name_en="Loop Lab A", section=Facility.Location.HONG_KONG)
    FacilityFactory(name_en="Loop Lab B", section=Facility.Location.HONG_KONG)
    FacilityFactory(name_en="Hidden Lab", publication=DRAFT)

    response = client.get("/en/facilities/")

    assert sorted(card_names(response)) == ["Loop Lab A", "Loop Lab B", "Shenzhen Lab"]
    facets = parse(response.content).find("aside", class_="facets")
    park = {a.attrs["href"]: a.text for a in facets.find_all("a") if "section=" in a.attrs["href"]}
    assert park == {
        "?section=hong_kong": "Hong Kong Park (2)",
        "?section=shenzhen": "Shenzhen Park (1)",
    }


def test_a_facet_link_keeps_the_other_choices_in_the_url(client):
    FacilityFactory(section=Facility.Location.HONG_KONG, kind=Facility.Kind.LABORATORY)

    response = client.get("/en/facilities/?q=lab&section=hong_kong")

    hrefs = [a.attrs["href"] for a in parse(response.content).find("aside").find_all("a")]
    assert "?q=lab&section=hong_kong&kind=laboratory" in hrefs
    assert "?q=lab" in hrefs  # the selected park, clicked again, is taken off


def test_a_simplified_search_finds_a_record_named_in_traditional(client):
    FacilityFactory(name_en="", name_zh_hans="", name_zh_hant="港深創新及科技園")
    FacilityFactory(name_en="Elsewhere")

    response = client.get("/zh-hans/facilities/?q=港深创新")

    assert card_names(response) == ["港深創新及科技園"]


def test_listings_sort_and_page_through_results(client):
    for n in range(25):
        FacilityFactory(name_en=f"Lab {n:02d}")

    first = client.get("/en/facilities/?ordering=name_en")
    second = client.get("/en/facilities/?ordering=name_en&page=2")

    assert card_names(first)[:2] == ["Lab 00", "Lab 01"]
    assert card_names(second) == [f"Lab {n}" for n in range(20, 25)]
    assert parse(first.content).find("a", rel="next").attrs["href"] == "?ordering=name_en&page=2"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("?section=atlantis", "section"), ("?colour=red", "colour"), ("?ordering=secret", "ordering")],
)
def test_a_listing_with_a_bad_parameter_explains_which_one(client, query, parameter):
    response = client.get(f"/en/facilities/{query}")

    assert response.status_code == 400
    assert parameter in parse(response.content).find("main").text


def test_a_page_beyond_the_last_is_a_404(client):
    FacilityFactory()

    assert client.get("/en/facilities/?page=9").status_code == 404


# -- detail pages -----------------------------------------------------------------------------
@pytest.fixture
def joint_project() -> Project:
    project = ProjectFactory(title_en="Loop robotics", start_date=datetime.date(2025, 7, 1))
    ParticipationFactory(
        project=project,
        organisation=OrganisationFactory(
            name_en="Shenzhen Institute", jurisdiction=Organisation.Jurisdiction.MAINLAND
        ),
        role=Participation.Role.LEAD,
    )
    ParticipationFactory(
        project=project,
        organisation=OrganisationFactory(name_en="Loop University"),
    )
    FundingLineFactory(project=project, currency="HKD", amount=Decimal("4000000"))
    FundingLineFactory(project=project, currency="CNY", amount=Decimal("2000000"))
    OutputFactory(project=project, title_en="Gripper patent")
    FactorFlowFactory(project=project)
    return project


def test_a_project_page_shows_participants_by_side_funding_by_currency_and_outputs(
    client, joint_project
):
    response = client.get(f"/en/projects/{joint_project.public_id}/")

    page = parse(response.content)
    participants = page.find("section", aria_labelledby="participants")
    assert [h.text for h in participants.find_all("h3")] == ["Shenzhen side", "Hong Kong side"]
    assert "Shenzhen Institute" in participants.text and "Loop University" in participants.text
    funding = page.find("section", aria_labelledby="funding")
    assert [h.text for h in funding.find_all("h3")] == ["CNY", "HKD"]
    assert "Gripper patent" in page.find("section", aria_labelledby="outputs").text
    assert page.find("section", aria_labelledby="flows")
    assert "https://" in page.find("section", class_="provenance").text


def test_a_detail_page_carries_schema_org_json_ld(client, joint_project):
    response = client.get(f"/en/projects/{joint_project.public_id}/")

    script = parse(response.content).find("script", type="application/ld+json")
    data = json.loads(script.text)
    assert data["@type"] == "ResearchProject"
    assert data["name"] == "Loop robotics"
    assert data["identifier"] == joint_project.public_id
    assert data["startDate"] == "2025-07-01"


def test_an_unpublished_participant_is_not_named_nor_linked(client, joint_project):
    ParticipationFactory(
        project=joint_project,
        organisation=OrganisationFactory(name_en="Secret Startup", publication=DRAFT),
    )

    response = client.get(f"/en/projects/{joint_project.public_id}/")

    assert "Secret Startup" not in response.content.decode()


@pytest.mark.parametrize("state", [Publication.DRAFT, Publication.IN_REVIEW])
def test_an_unpublished_record_is_a_404(client, state):
    facility = FacilityFactory(publication=state)

    assert client.get(f"/en/facilities/{facility.public_id}/").status_code == 404


def test_a_retracted_record_is_gone_with_its_tombstone_and_successor(client):
    successor = FacilityFactory(name_en="New Loop Lab")
    old = FacilityFactory(
        name_en="Old Loop Lab",
        publication=Publication.RETRACTED,
        retraction_reason="Merged into the new lab",
        successor=successor,
    )

    response = client.get(f"/en/facilities/{old.public_id}/")

    assert response.status_code == 410
    main = parse(response.content).find("main")
    assert "Merged into the new lab" in main.text
    assert f"/en/facilities/{successor.public_id}/" in [a.attrs["href"] for a in main.find_all("a")]


# -- headers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["", "facilities/", "projects/", "organisations/", "detail"])
def test_every_page_can_be_cached_and_revalidated(client, path):
    facility = FacilityFactory()
    url = f"/en/facilities/{facility.public_id}/" if path == "detail" else f"/en/{path}"

    response = client.get(url)

    assert "max-age" in response["Cache-Control"] and "public" in response["Cache-Control"]
    assert response.has_header("ETag") or response.has_header("Last-Modified")
    again = client.get(url, headers={"if-none-match": response.get("ETag", "")})
    if response.has_header("ETag"):
        assert again.status_code == 304
    csp = response["Content-Security-Policy"]
    assert "script-src" in csp and "'unsafe-inline'" not in csp
    scripts = parse(response.content).find_all("script")
    assert all(s.attrs.get("type") == "application/ld+json" for s in scripts)
    assert all("style" not in e.attrs for e in parse(response.content).iter())


# -- queries ----------------------------------------------------------------------------------
def make_records(n: int) -> dict[str, str]:
    """n of each, published, with relations; the ids of one of each to open."""
    project = None
    for i in range(n):
        organisation = OrganisationFactory()
        facility = FacilityFactory()
        facility.hosts.add(organisation)
        project = ProjectFactory(cross_border=True)
        ParticipationFactory(project=project, organisation=organisation)
        ParticipationFactory(
            project=project,
            organisation=OrganisationFactory(jurisdiction=Organisation.Jurisdiction.MAINLAND),
            facility=facility,
        )
        FundingLineFactory(project=project, currency=("HKD", "CNY")[i % 2])
        OutputFactory(project=project)
        FactorFlowFactory(project=project, facility=facility)
    return {
        "facility": Facility.objects.last().public_id,
        "project": project.public_id,
        "organisation": Organisation.objects.filter(participations__isnull=False).last().public_id,
    }


# Home: facility counts by section and by kind, sections, sub-areas, 3 counts, latest projects.
# A listing: its facets' choices (fields, priority areas), the count, the page, one GROUP BY per
# facet. A detail: the record with its relations, then the related lists it shows.
PINNED = {
    "home": ("/en/", 7),
    "facilities": ("/en/facilities/", 9),
    "facilities, filtered": ("/en/facilities/?section=hong_kong&q=test&ordering=name_en", 9),
    "projects": ("/en/projects/", 8),
    "projects, filtered": ("/en/projects/?cross_border=True&q=test&ordering=-start_date", 7),
    "organisations": ("/en/organisations/", 4),
    "organisations, filtered": ("/en/organisations/?jurisdiction=hong_kong&q=test", 4),
    "facility": ("/en/facilities/{facility}/", 8),
    "project": ("/en/projects/{project}/", 7),
    "organisation": ("/en/organisations/{organisation}/", 4),
}


# (Not "page": pytest-playwright would take it for its browser page and move the test.)
@pytest.mark.parametrize("page_type", PINNED)
def test_a_page_costs_the_same_queries_with_few_or_many_records(client, page_type):
    path, pinned = PINNED[page_type]
    few = queries(client, path.format(**make_records(2)))
    many = queries(client, path.format(**make_records(8)))

    assert (few, many) == (pinned, pinned)


@pytest.mark.parametrize(
    ("url", "heading"),
    [("/en/nowhere/", "Page not found"), ("/zh-hant/facilities/fac-00000000/", "找不到頁面")],
)
def test_an_unknown_address_is_a_404_page_in_the_visitors_language(client, url, heading):
    response = client.get(url)

    assert response.status_code == 404
    page = parse(response.content)
    assert page.find("h1").text == heading
    assert page.find("nav", class_="languages")


def heading_levels(html: bytes) -> list[int]:
    tags = ("h1", "h2", "h3", "h4", "h5", "h6")
    return [int(e.tag[1]) for e in parse(html).iter() if e.tag in tags]


def test_every_page_has_one_title_and_a_heading_outline_without_gaps(client, joint_project):
    facility = FacilityFactory()
    organisation = joint_project.participations.first().organisation
    retracted = FacilityFactory(publication=Publication.RETRACTED, retraction_reason="Closed")
    urls = [
        "/en/",
        "/en/facilities/",
        "/en/projects/",
        "/en/organisations/",
        f"/en/facilities/{facility.public_id}/",
        f"/en/projects/{joint_project.public_id}/",
        f"/en/organisations/{organisation.public_id}/",
        "/en/statistics/",
        "/en/collaboration/",
        "/en/data/",
        f"/en/facilities/{retracted.public_id}/",
        "/en/nowhere/",
        "/en/facilities/?section=atlantis",
    ]
    problems = []
    for url in urls:
        levels = heading_levels(client.get(url).content)
        if levels.count(1) != 1 or levels[0] != 1:
            problems.append(f"{url}: headings {levels}")
        problems += [
            f"{url}: h{a} followed by h{b}" for a, b in itertools.pairwise(levels) if b > a + 1
        ]

    assert problems == []
