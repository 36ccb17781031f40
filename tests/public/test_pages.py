"""The home page, the three listings and the detail pages, as a visitor without an account
meets them: published records only, in the chosen language and script, with facets, search,
sorting, paging and relations; 410 for a retracted record, 404 for an unpublished or unknown
one; cacheable headers under a strict Content-Security-Policy. Query counts: test_page_queries.py.
"""

from __future__ import annotations

import datetime
import itertools
import json
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from django.http import HttpResponse
from django.utils import translation

from registry import identifiers, paging
from registry.models import (
    Facility,
    Factor,
    FactorFlow,
    Organisation,
    OrganisationRelation,
    Output,
    Participation,
    PriorityArea,
    Project,
    Publication,
    ResearchField,
    SubArea,
    Verification,
    ZoneSection,
)
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
from tests.public import Element, parse, table_cells

pytestmark = pytest.mark.django_db
PUBLISHED, DRAFT, IN_REVIEW, RETRACTED = (
    Publication.PUBLISHED,
    Publication.DRAFT,
    Publication.IN_REVIEW,
    Publication.RETRACTED,
)
LANGUAGES = ("en", "zh-hans", "zh-hant")
# The three kinds with public pages, by the name of their listing (FACTORIES has the same names).
LISTINGS = ("facilities", "projects", "organisations")


# -- reading a page -------------------------------------------------------------------------
def card_names(response: HttpResponse) -> list[str]:
    """The names of the records listed, in the order shown."""
    results = parse(response.content).find("section", class_="results")
    return [item.find("a").text for item in results.find("ul", class_="cards").find_all("li")]


def facet(response: HttpResponse, heading: str) -> dict[str, str]:
    """{option with its count: where its link leads} for one group of the facets."""
    for group in parse(response.content).find("aside", class_="facets").find_all("section"):
        if group.find("h3").text == heading:
            return {link.text: link.attrs["href"] for link in group.find_all("a")}
    raise AssertionError(f"no facet {heading!r}")


def facts(page: Element) -> dict[str, str]:
    """The record's facts list as {term: description}."""
    listing = page.find("dl", class_="facts")
    terms = [child for child in listing.children if isinstance(child, Element)]
    return {
        term.text: description.text
        for term, description in itertools.pairwise(terms)
        if term.tag == "dt" and description.tag == "dd"
    }


def section(page: Element, labelled_by: str) -> Element:
    return page.find("section", aria_labelledby=labelled_by)


def links(element: Element) -> dict[str, str]:
    return {a.text: a.attrs["href"] for a in element.find_all("a")}


def json_ld(response: HttpResponse) -> dict:
    (script,) = parse(response.content).find_all("script", type="application/ld+json")
    return json.loads(script.text)


def query_of(href: str) -> list[tuple[str, str]]:
    return parse_qsl(href.removeprefix("?"))


# -- languages ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("accept", "prefix"),
    [
        ("zh-TW", "/zh-hant/"),
        ("zh-HK", "/zh-hant/"),
        ("zh-Hant-HK,zh;q=0.8", "/zh-hant/"),
        ("zh-CN", "/zh-hans/"),
        ("zh-CN,en;q=0.5", "/zh-hans/"),
        ("en-GB", "/en/"),
        ("fr", "/en/"),
        ("", "/en/"),
    ],
)
def test_the_root_sends_each_visitor_to_their_language(client, accept, prefix):
    response = client.get("/", headers={"accept-language": accept})

    assert response.status_code == 302
    assert response["Location"] == prefix
    # A shared cache must not send the next visitor to the first visitor's language.
    assert "Accept-Language" in response["Vary"]


def test_an_address_without_a_language_keeps_its_path_and_query(client):
    response = client.get("/projects/?status=active", headers={"accept-language": "zh-HK"})

    assert response.status_code == 302
    assert response["Location"] == "/zh-hant/projects/?status=active"


@pytest.fixture
def one_of_each() -> dict[str, str]:
    """A published facility, organisation and project: the public ids of each."""
    organisation = OrganisationFactory(name_en="Loop University", name_zh_hant="河套大學")
    facility = FacilityFactory(name_en="Loop Lab", name_zh_hant="河套實驗室")
    facility.hosts.add(organisation)
    project = ProjectFactory(title_en="Loop robotics", title_zh_hant="河套機械人")
    ParticipationFactory(project=project, organisation=organisation, facility=facility)
    return {
        "facility": facility.public_id,
        "organisation": organisation.public_id,
        "project": project.public_id,
    }


EVERY_PAGE = {
    "home": "/{lang}/",
    "facilities": "/{lang}/facilities/?section=hong_kong&q=loop",
    "projects": "/{lang}/projects/?status=active&ordering=title_en",
    "organisations": "/{lang}/organisations/?kind=university&page=1",
    "facility": "/{lang}/facilities/{facility}/",
    "project": "/{lang}/projects/{project}/",
    "organisation": "/{lang}/organisations/{organisation}/",
    "statistics": "/{lang}/statistics/",
    "collaboration": "/{lang}/collaboration/?priority_area=ai",
    "data": "/{lang}/data/",
}


@pytest.mark.parametrize("page_type", EVERY_PAGE)
def test_every_page_answers_400_naming_an_unknown_parameter(
    client, one_of_each, settings, tmp_path, page_type
):
    """A mistyped filter (or a tracking tag) never looks like the page without it."""
    settings.REGISTRY_DUMP_DIR = tmp_path
    url = EVERY_PAGE[page_type].format(lang="en", **one_of_each)

    response = client.get(url + ("&" if "?" in url else "?") + "utm_source=mail")

    assert response.status_code == 400
    assert "utm_source" in response.content.decode()


# Parametrised as "page_type", never "page": pytest-playwright would take it for its browser
# page and move the test among the browser tests.
@pytest.mark.parametrize("page_type", [*EVERY_PAGE, "not found"])
def test_the_language_switcher_leads_to_the_same_page_in_each_language(
    client, one_of_each, settings, tmp_path, page_type
):
    settings.REGISTRY_DUMP_DIR = tmp_path
    PriorityArea.objects.create(code="ai", name_en="AI and data science")
    pattern = EVERY_PAGE.get(page_type, "/{lang}/nowhere/?q=lab")
    url = pattern.format(lang="zh-hans", **one_of_each)

    response = client.get(url)

    assert response.status_code == (404 if page_type == "not found" else 200)
    switcher = parse(response.content).find("nav", class_="languages")
    offered = {a.attrs["hreflang"]: a.attrs["href"] for a in switcher.find_all("a")}
    assert offered == {lang: pattern.format(lang=lang, **one_of_each) for lang in LANGUAGES}
    current = [a.attrs["hreflang"] for a in switcher.find_all("a", aria_current="true")]
    assert current == ["zh-hans"]


def test_following_the_switcher_gives_the_page_in_that_language(client, one_of_each):
    page = parse(client.get(f"/en/facilities/{one_of_each['facility']}/").content)
    switcher = page.find("nav", class_="languages")

    traditional = parse(client.get(switcher.find("a", hreflang="zh-hant").attrs["href"]).content)

    assert traditional.find("html").attrs["lang"] == "zh-hant"
    assert traditional.find("h1").text == "河套實驗室"


NAMES = {"en": "Loop Lab", "zh_hans": "河套实验室", "zh_hant": "河套實驗室"}


@pytest.mark.parametrize(
    ("language", "given", "shown"),
    [
        ("en", ("en", "zh_hans", "zh_hant"), "Loop Lab"),
        ("zh-hans", ("en", "zh_hans", "zh_hant"), "河套实验室"),
        ("zh-hant", ("en", "zh_hans", "zh_hant"), "河套實驗室"),
        # Missing in the chosen script: English first, then 繁體, then 简体 (registry/scripts.py);
        # a Chinese script missing is converted from the other one (OpenCC) when saved.
        ("zh-hans", ("en", "zh_hant"), "河套实验室"),
        ("zh-hant", ("en", "zh_hans"), "河套實驗室"),
        ("en", ("zh_hans", "zh_hant"), "河套實驗室"),
        ("en", ("zh_hans",), "河套實驗室"),
        ("zh-hans", ("zh_hant",), "河套实验室"),
        ("zh-hant", ("zh_hans",), "河套實驗室"),
        ("zh-hant", ("en",), "Loop Lab"),
    ],
)
def test_a_record_is_named_in_the_chosen_script_or_the_next_one_given(
    client, language, given, shown
):
    names = {f"name_{script}": NAMES[script] if script in given else "" for script in NAMES}
    facility = FacilityFactory(**names)

    detail = client.get(f"/{language}/facilities/{facility.public_id}/")
    listing = client.get(f"/{language}/facilities/")

    assert parse(detail.content).find("h1").text == shown
    assert json_ld(detail)["name"] == shown
    assert card_names(listing) == [shown]


def test_a_description_missing_in_the_chosen_script_falls_back_too(client):
    project = ProjectFactory(
        title_en="Loop robotics",
        title_zh_hant="河套機械人",
        summary_en="Robots that cross the river.",
        summary_zh_hans="过河的机器人。",
    )

    page = parse(client.get(f"/zh-hant/projects/{project.public_id}/").content)

    assert page.find("h1").text == "河套機械人"
    assert "Robots that cross the river." in page.find("main").text
    assert "过河的机器人。" not in page.find("main").text


# -- home -------------------------------------------------------------------------------------
@pytest.fixture
def two_parks() -> None:
    ZoneSection.objects.create(
        code="shenzhen", name_en="Shenzhen Park", name_zh_hant="深圳園區", area_km2=Decimal("3.02")
    )
    ZoneSection.objects.create(code="hong_kong", name_en="Hong Kong Park", area_km2=Decimal("0.87"))
    SubArea.objects.create(
        code="futian-bonded-zone",
        section="shenzhen",
        name_en="Futian Bonded Zone",
        name_zh_hant="福田保稅區",
        area_km2=Decimal("1.35"),
    )
    SubArea.objects.create(code="huanggang-port", section="shenzhen", name_en="Huanggang Port Area")
    SubArea.objects.create(code="loop", section="hong_kong", name_en="Lok Ma Chau Loop")


def park(page: Element, code: str) -> Element:
    return page.find("section", aria_labelledby=f"park-{code}")


def test_the_home_page_shows_both_parks_with_their_sub_areas_and_areas(client, two_parks):
    page = parse(client.get("/en/").content)

    shenzhen, hong_kong = park(page, "shenzhen"), park(page, "hong_kong")
    assert shenzhen.find("h2").text == "Shenzhen Park"
    assert "3.02 km²" in shenzhen.text
    assert [li.text for li in shenzhen.find_all("ul")[-1].find_all("li")] == [
        "Futian Bonded Zone (1.35 km²)",
        "Huanggang Port Area",
    ]
    assert hong_kong.find("h2").text == "Hong Kong Park"
    assert [li.text for li in hong_kong.find_all("ul")[-1].find_all("li")] == ["Lok Ma Chau Loop"]


def test_the_home_page_names_the_parks_in_the_chosen_script(client, two_parks):
    page = parse(client.get("/zh-hant/").content)

    assert park(page, "shenzhen").find("h2").text == "深圳園區"
    assert "福田保稅區" in park(page, "shenzhen").text
    assert park(page, "hong_kong").find("h2").text == "Hong Kong Park"  # no 繁體 name: English


def test_the_home_page_counts_published_facilities_by_park_and_kind(client, two_parks):
    FacilityFactory.create_batch(2, section=Facility.Location.SHENZHEN)
    FacilityFactory(section=Facility.Location.SHENZHEN, kind=Facility.Kind.INCUBATOR)
    FacilityFactory(section=Facility.Location.HONG_KONG)
    for state in (DRAFT, IN_REVIEW, RETRACTED):
        FacilityFactory(section=Facility.Location.SHENZHEN, publication=state)
        FacilityFactory(section=Facility.Location.HONG_KONG, publication=state)

    page = parse(client.get("/en/").content)

    shenzhen, hong_kong = park(page, "shenzhen"), park(page, "hong_kong")
    assert links(shenzhen)["3 facilities"] == "/en/facilities/?section=shenzhen"
    assert sorted(li.text for li in shenzhen.find_all("ul")[0].find_all("li")) == [
        "Incubator: 1",
        "Laboratory: 2",
    ]
    assert links(hong_kong)["1 facility"] == "/en/facilities/?section=hong_kong"
    assert [li.text for li in hong_kong.find_all("ul")[0].find_all("li")] == ["Laboratory: 1"]


def test_the_key_figures_count_published_records_only(client, two_parks):
    sz, hk = Organisation.Jurisdiction.MAINLAND, Organisation.Jurisdiction.HONG_KONG
    joint = ProjectFactory()
    ParticipationFactory(project=joint, organisation=OrganisationFactory(jurisdiction=sz))
    ParticipationFactory(project=joint, organisation=OrganisationFactory(jurisdiction=hk))
    ProjectFactory()  # one bank only
    hidden = ProjectFactory(publication=DRAFT)
    ParticipationFactory(project=hidden, organisation=OrganisationFactory(jurisdiction=sz))
    ParticipationFactory(project=hidden, organisation=OrganisationFactory(jurisdiction=hk))
    ProjectFactory(publication=IN_REVIEW)
    OrganisationFactory(publication=DRAFT)
    FacilityFactory.create_batch(2, section=Facility.Location.OUTSIDE)
    FacilityFactory(section=Facility.Location.OUTSIDE, publication=DRAFT)

    figures = parse(client.get("/en/").content).find("ul", class_="figures")

    assert [li.text for li in figures.find_all("li")] == [
        "2 joint projects",
        "1 with partners on both banks",
        "4 organisations",
        "2 cooperating facilities outside the zone",
    ]


def test_the_home_page_lists_the_latest_published_projects(client):
    now = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    for days in range(8):
        ProjectFactory(title_en=f"Project {days}", published_at=now - datetime.timedelta(days))
    ProjectFactory(title_en="Imported without a date", published_at=None)
    ProjectFactory(title_en="Draft project", publication=DRAFT, published_at=now)
    ProjectFactory(title_en="Withdrawn project", publication=RETRACTED, published_at=now)

    latest = section(parse(client.get("/en/").content), "latest")

    assert [a.text for a in latest.find_all("a")] == [f"Project {n}" for n in range(6)]


# -- listings ---------------------------------------------------------------------------------
@pytest.fixture
def taxonomy() -> dict[str, object]:
    engineering = ResearchField.objects.create(code="2", name_en="Engineering and technology")
    return {
        "electrical": ResearchField.objects.create(
            code="2.2", name_en="Electrical engineering", parent=engineering
        ),
        "medicine": ResearchField.objects.create(code="3.1", name_en="Basic medicine"),
        "ai": PriorityArea.objects.create(code="ai", name_en="AI and data science"),
        "health": PriorityArea.objects.create(code="health", name_en="Life and health"),
    }


def test_the_facilities_listing_counts_published_records_in_every_facet(client, taxonomy):
    robotics = FacilityFactory(section=Facility.Location.SHENZHEN)
    robotics.fields.add(taxonomy["electrical"])
    robotics.priority_areas.add(taxonomy["ai"])
    clinic = FacilityFactory(kind=Facility.Kind.INCUBATOR, status=Facility.Status.PLANNED)
    clinic.fields.add(taxonomy["medicine"], taxonomy["electrical"])
    clinic.priority_areas.add(taxonomy["health"])
    FacilityFactory()
    for state in (DRAFT, IN_REVIEW, RETRACTED):
        hidden = FacilityFactory(publication=state, kind=Facility.Kind.SITE)
        hidden.fields.add(taxonomy["medicine"])
        hidden.priority_areas.add(taxonomy["ai"])

    response = client.get("/en/facilities/")

    assert len(card_names(response)) == 3
    assert facet(response, "Park") == {
        "Shenzhen Park (1)": "?section=shenzhen",
        "Hong Kong Park (2)": "?section=hong_kong",
    }
    assert facet(response, "Kind") == {
        "Laboratory (2)": "?kind=laboratory",
        "Incubator (1)": "?kind=incubator",
    }
    assert facet(response, "Status") == {
        "Planned (1)": "?status=planned",
        "Operational (2)": "?status=operational",
    }
    assert facet(response, "Research field") == {
        "Electrical engineering (2)": "?field=2.2",
        "Basic medicine (1)": "?field=3.1",
    }
    assert facet(response, "Priority area") == {
        "AI and data science (1)": "?priority_area=ai",
        "Life and health (1)": "?priority_area=health",
    }


def test_the_projects_listing_has_status_cross_border_field_and_priority_facets(client, taxonomy):
    joint = ProjectFactory(status=Project.Status.COMPLETED)
    ParticipationFactory(
        project=joint,
        organisation=OrganisationFactory(jurisdiction=Organisation.Jurisdiction.MAINLAND),
    )
    ParticipationFactory(project=joint)
    joint.fields.add(taxonomy["electrical"])
    joint.priority_areas.add(taxonomy["ai"])
    ProjectFactory.create_batch(2)
    ProjectFactory(publication=DRAFT, status=Project.Status.SUSPENDED)

    response = client.get("/en/projects/")

    assert facet(response, "Status") == {
        "Active (2)": "?status=active",
        "Completed (1)": "?status=completed",
    }
    assert facet(response, "Cross-border") == {
        "Both banks (1)": "?cross_border=True",
        "One bank (2)": "?cross_border=False",
    }
    assert facet(response, "Research field") == {"Electrical engineering (1)": "?field=2.2"}
    assert facet(response, "Priority area") == {"AI and data science (1)": "?priority_area=ai"}
    both_banks = client.get("/en/projects/?cross_border=True")
    assert card_names(both_banks) == [joint.title_en]


def test_the_organisations_listing_has_jurisdiction_and_kind_facets(client):
    OrganisationFactory(jurisdiction=Organisation.Jurisdiction.MAINLAND)
    OrganisationFactory(kind=Organisation.Kind.FUNDER)
    OrganisationFactory()
    OrganisationFactory(publication=DRAFT, jurisdiction=Organisation.Jurisdiction.MACAO)

    response = client.get("/en/organisations/")

    assert facet(response, "Jurisdiction") == {
        "Mainland China (1)": "?jurisdiction=mainland",
        "Hong Kong (2)": "?jurisdiction=hong_kong",
    }
    assert facet(response, "Kind") == {
        "University (2)": "?kind=university",
        "Funder (1)": "?kind=funder",
    }


def test_choosing_a_facet_narrows_the_results_and_the_other_counts(client):
    FacilityFactory(name_en="Shenzhen Lab", section=Facility.Location.SHENZHEN)
    FacilityFactory(
        name_en="Shenzhen Incubator",
        section=Facility.Location.SHENZHEN,
        kind=Facility.Kind.INCUBATOR,
    )
    FacilityFactory(name_en="Loop Lab", section=Facility.Location.HONG_KONG)

    response = client.get("/en/facilities/?section=shenzhen")

    assert card_names(response) == ["Shenzhen Incubator", "Shenzhen Lab"]
    assert facet(response, "Kind") == {
        "Laboratory (1)": "?section=shenzhen&kind=laboratory",
        "Incubator (1)": "?section=shenzhen&kind=incubator",
    }
    selected = parse(response.content).find("aside").find("a", aria_current="true")
    assert selected.text == "Shenzhen Park (2)"
    assert selected.attrs["href"] == "?"  # clicked again, the choice is taken off


def test_a_facet_link_keeps_every_other_choice_and_starts_again_at_page_one(client):
    FacilityFactory(section=Facility.Location.HONG_KONG, kind=Facility.Kind.LABORATORY)

    response = client.get("/en/facilities/?q=lab&section=hong_kong&ordering=name_en&page=1")

    kind = facet(response, "Kind")["Laboratory (1)"]
    assert query_of(kind) == [
        ("q", "lab"),
        ("section", "hong_kong"),
        ("ordering", "name_en"),
        ("kind", "laboratory"),
    ]
    assert query_of(facet(response, "Park")["Hong Kong Park (1)"]) == [
        ("q", "lab"),
        ("ordering", "name_en"),
    ]


def test_the_search_form_carries_the_current_choices(client):
    FacilityFactory(section=Facility.Location.HONG_KONG)

    page = parse(client.get("/en/facilities/?q=lab&section=hong_kong&ordering=-opened_on").content)

    form = page.find("form", role="search")
    assert form.attrs["method"] == "get"
    assert form.find("input", name="q").attrs["value"] == "lab"
    assert form.find("input", type="hidden").attrs == {
        "type": "hidden",
        "name": "section",
        "value": "hong_kong",
    }
    chosen = form.find("select", name="ordering").find_all("option", selected="")
    assert [option.attrs["value"] for option in chosen] == ["-opened_on"]


@pytest.mark.parametrize(
    ("listing", "stored", "query"),
    [
        ("facilities", {"name_zh_hant": "港深創新及科技園"}, "港深创新"),
        ("facilities", {"name_zh_hans": "深圳湾实验室"}, "深圳灣實驗室"),
        ("organisations", {"name_zh_hans": "深圳湾实验室"}, "深圳灣"),
        ("organisations", {"name_zh_hant": "香港科技大學", "acronym": "HKUST"}, "hkust"),
        ("projects", {"title_zh_hant": "河套數據中心"}, "河套数据"),
        ("projects", {"title_zh_hans": "河套数据中心"}, "數據中心"),
    ],
)
def test_a_search_in_one_script_finds_a_record_named_in_the_other(client, listing, stored, query):
    factory = FACTORIES[listing]
    stem = "title" if listing == "projects" else "name"
    found = factory(**{f"{stem}_en": "", **stored})
    factory(**{f"{stem}_en": "Elsewhere"})
    factory(**{f"{stem}_en": "", **stored, "publication": DRAFT})

    response = client.get(f"/zh-hans/{listing}/", {"q": query})

    assert card_names(response) == [found.display_name("zh-hans")]


SORTS = {
    "facilities": (
        FacilityFactory,
        [
            {"name_en": "Alpha", "opened_on": datetime.date(2020, 1, 1), "floor_area_m2": 100},
            {"name_en": "Bravo", "opened_on": datetime.date(2024, 1, 1), "floor_area_m2": 50},
            {"name_en": "Charlie", "opened_on": datetime.date(2022, 1, 1), "floor_area_m2": 300},
        ],
        {
            "name_en": ["Alpha", "Bravo", "Charlie"],
            "-opened_on": ["Bravo", "Charlie", "Alpha"],
            "-floor_area_m2": ["Charlie", "Alpha", "Bravo"],
        },
    ),
    "projects": (
        ProjectFactory,
        [
            {"title_en": "Alpha", "start_date": datetime.date(2020, 1, 1)},
            {"title_en": "Bravo", "start_date": datetime.date(2024, 1, 1)},
            {"title_en": "Charlie", "start_date": datetime.date(2022, 1, 1)},
        ],
        {
            "-start_date": ["Bravo", "Charlie", "Alpha"],
            "start_date": ["Alpha", "Charlie", "Bravo"],
            "title_en": ["Alpha", "Bravo", "Charlie"],
        },
    ),
    "organisations": (
        OrganisationFactory,
        [
            {"name_en": "Alpha", "established": 1990},
            {"name_en": "Bravo", "established": 2010},
            {"name_en": "Charlie", "established": 2000},
        ],
        {"name_en": ["Alpha", "Bravo", "Charlie"], "-established": ["Bravo", "Charlie", "Alpha"]},
    ),
}


@pytest.mark.parametrize("listing", SORTS)
def test_every_sort_offered_orders_the_results(client, listing):
    factory, records, expected = SORTS[listing]
    for fields in reversed(records):
        factory(**fields)
    form = parse(client.get(f"/en/{listing}/").content).find("form", role="search")
    offered = [o.attrs["value"] for o in form.find("select", name="ordering").find_all("option")]

    assert offered == ["", *expected]
    for ordering, names in expected.items():
        assert card_names(client.get(f"/en/{listing}/?ordering={ordering}")) == names, ordering


def test_a_long_listing_is_paged_and_each_page_is_an_address(client):
    for n in range(25):
        FacilityFactory(name_en=f"Lab {n:02d}", section=Facility.Location.HONG_KONG)
    FacilityFactory(name_en="Shenzhen Lab", section=Facility.Location.SHENZHEN)

    first = client.get("/en/facilities/?section=hong_kong&ordering=name_en")
    second = client.get("/en/facilities/?section=hong_kong&ordering=name_en&page=2")

    assert card_names(first) == [f"Lab {n:02d}" for n in range(20)]
    assert card_names(second) == [f"Lab {n:02d}" for n in range(20, 25)]
    assert parse(first.content).find("h2", id="results").text == "25 results"
    pages = parse(first.content).find("nav", class_="pages")
    assert "Page 1 of 2" in pages.text
    assert not pages.find_all("a", rel="prev")
    assert pages.find("a", rel="next").attrs["href"] == "?section=hong_kong&ordering=name_en&page=2"
    back = parse(second.content).find("nav", class_="pages")
    assert not back.find_all("a", rel="next")
    assert back.find("a", rel="prev").attrs["href"] == "?section=hong_kong&ordering=name_en&page=1"


def test_a_listing_with_more_results_than_the_cap_says_more_and_lists_facets_uncounted(
    client, monkeypatch
):
    """Counting stops at the cap (1,000; 20 here): the listing says "more than", offers
    every facet option without a count, and pages on to the last record."""
    monkeypatch.setattr(paging, "COUNT_CAP", 20)
    for n in range(45):
        section = Facility.Location.SHENZHEN if n >= 40 else Facility.Location.HONG_KONG
        FacilityFactory(name_en=f"Lab {n:02d}", section=section)

    first = client.get("/en/facilities/?ordering=name_en")
    third = client.get("/en/facilities/?ordering=name_en&page=3")

    assert parse(first.content).find("h2", id="results").text == "More than 20 results"
    assert facet(first, "Park") == {
        "Shenzhen Park": "?ordering=name_en&section=shenzhen",
        "Hong Kong Park": "?ordering=name_en&section=hong_kong",
        "Outside the zone (cooperating)": "?ordering=name_en&section=outside",
    }
    assert "Page 1" in parse(first.content).find("nav", class_="pages").text
    assert card_names(third) == [f"Lab {n:02d}" for n in range(40, 45)]
    last = parse(third.content).find("nav", class_="pages")
    assert "Page 3" in last.text and not last.find_all("a", rel="next")
    assert client.get("/en/facilities/?ordering=name_en&page=4").status_code == 404
    # Narrowed below the cap, the counts are back.
    narrowed = client.get("/en/facilities/?section=shenzhen")
    assert parse(narrowed.content).find("h2", id="results").text == "5 results"
    assert facet(narrowed, "Park") == {"Shenzhen Park (5)": "?"}


def test_a_page_beyond_the_last_is_a_404(client):
    FacilityFactory()

    assert client.get("/en/facilities/?page=2").status_code == 404
    assert client.get("/en/facilities/?page=1").status_code == 200


@pytest.mark.parametrize(
    ("listing", "query", "parameter"),
    [
        ("facilities", "section=atlantis", "section"),
        ("facilities", "colour=red", "colour"),
        ("facilities", "ordering=secret", "ordering"),
        ("facilities", "field=Not+a+code", "field"),
        ("facilities", "opened_after=last+year", "opened_after"),
        ("facilities", "page=abc", "page"),
        ("facilities", "page=0", "page"),
        ("projects", "cross_border=maybe", "cross_border"),
        ("projects", "status=finished", "status"),
        ("projects", "organisation=hkust", "organisation"),
        ("projects", "page=-1", "page"),
        ("organisations", "jurisdiction=atlantis", "jurisdiction"),
        ("organisations", "q=" + "x" * 201, "q"),
        ("organisations", "ror_id=nonsense", "ror_id"),
    ],
)
def test_a_listing_with_a_bad_parameter_explains_which_one(client, listing, query, parameter):
    response = client.get(f"/en/{listing}/?{query}")

    assert response.status_code == 400
    main = parse(response.content).find("main")
    (problem,) = main.find("ul").find_all("li")
    assert problem.find("code").text == parameter
    assert len(problem.text) > len(parameter) + 5  # a message, not only the name
    assert links(main)["Show the listing without them"] == f"/en/{listing}/"


@pytest.mark.parametrize("listing", LISTINGS)
def test_a_listing_never_shows_an_unpublished_record(client, listing):
    factory = FACTORIES[listing]
    stem = "title" if listing == "projects" else "name"
    shown = factory(**{f"{stem}_en": "Published record"})
    for state in (DRAFT, IN_REVIEW, RETRACTED):
        factory(**{f"{stem}_en": f"Record {state}", "publication": state})

    everything = client.get(f"/en/{listing}/")
    searched = client.get(f"/en/{listing}/?q=record")

    assert card_names(everything) == [shown.display_name()]
    assert card_names(searched) == [shown.display_name()]
    assert parse(searched.content).find("h2", id="results").text == "1 result"


# -- detail pages -----------------------------------------------------------------------------
def test_a_facility_page_shows_its_fields_and_published_relations(client, taxonomy):
    loop = SubArea.objects.create(code="loop", section="hong_kong", name_en="Lok Ma Chau Loop")
    site = FacilityFactory(name_en="Loop Site", kind=Facility.Kind.SITE)
    facility = FacilityFactory(
        name_en="Loop Lab",
        name_zh_hans="河套实验室",
        name_zh_hant="河套實驗室",
        parent=site,
        sub_area=loop,
        opened_on=datetime.date(2024, 5, 1),
        floor_area_m2=Decimal("1200.5"),
        address="1 Loop Road",
        website="https://lab.example.org/",
        description_en="Robots and sensors.",
    )
    facility.fields.add(taxonomy["electrical"])
    facility.priority_areas.add(taxonomy["ai"])
    host = OrganisationFactory(name_en="Loop University")
    facility.hosts.add(host, OrganisationFactory(name_en="Secret Host", publication=DRAFT))
    annex = FacilityFactory(name_en="Loop Annex", parent=facility)
    FacilityFactory(name_en="Secret Annex", parent=facility, publication=DRAFT)
    project = ProjectFactory(title_en="Loop robotics")
    ParticipationFactory(project=project, facility=facility)
    ParticipationFactory(project=ProjectFactory(title_en="Secret project", publication=DRAFT))
    FactorFlowFactory(
        project=None,
        facility=facility,
        factor=Factor.EQUIPMENT,
        direction=FactorFlow.Direction.SOUTHBOUND,
        mechanism=PolicyInstrumentFactory(name_en="Equipment measures"),
    )
    FactorFlowFactory(
        project=None,
        facility=facility,
        factor=Factor.RESEARCH_DATA,
        mechanism=PolicyInstrumentFactory(name_en="Secret measures", publication=DRAFT),
    )
    FactorFlowFactory(project=None, facility=facility, factor=Factor.FUNDS, publication=DRAFT)

    page = parse(client.get(f"/en/facilities/{facility.public_id}/").content)

    assert page.find("h1").text == "Loop Lab"
    assert facts(page) == {
        "Names": "Loop Lab · 河套实验室 · 河套實驗室",
        "Kind": "Laboratory",
        "Location": "Hong Kong Park · Lok Ma Chau Loop",
        "Status": "Operational",
        "Part of": "Loop Site",
        "Opened on": "2024-05-01",
        "Floor area": "1200.5 m²",
        "Address": "1 Loop Road",
        "Website": "https://lab.example.org/",
        "Research fields": "Electrical engineering",
        "Priority areas": "AI and data science",
    }
    assert (
        links(page.find("dl", class_="facts"))["Loop Site"] == f"/en/facilities/{site.public_id}/"
    )
    assert "Robots and sensors." in page.find("main").text
    assert links(section(page, "hosts")) == {
        "Loop University": f"/en/organisations/{host.public_id}/"
    }
    assert links(section(page, "children")) == {"Loop Annex": f"/en/facilities/{annex.public_id}/"}
    assert links(section(page, "projects")) == {
        "Loop robotics": f"/en/projects/{project.public_id}/"
    }
    assert [li.text for li in section(page, "flows").find_all("li")] == [
        "Equipment · Southbound (Shenzhen → Hong Kong) · Planned · Equipment measures",
        "Research data · Northbound (Hong Kong → Shenzhen) · Planned",
    ]
    assert "Secret" not in page.find("main").text


def test_an_organisation_page_shows_its_fields_and_published_relations(client):
    organisation = OrganisationFactory(
        name_en="Hong Kong University of Science and Technology",
        name_zh_hant="香港科技大學",
        acronym="HKUST",
        aliases=["港科大", "Hong Kong UST"],
        city="Hong Kong",
        established=1991,
        ror_id="https://ror.org/00q4vv597",
        website="https://hkust.edu.hk/",
        description_en="A research university in Clear Water Bay.",
    )
    campus = OrganisationFactory(name_en="HKUST (Guangzhou)")
    OrganisationRelation.objects.create(
        source=organisation, kind=OrganisationRelation.Kind.CHILD, target=campus
    )
    OrganisationRelation.objects.create(
        source=organisation,
        kind=OrganisationRelation.Kind.RELATED,
        target=OrganisationFactory(
            name_en="Secret Partner", publication=DRAFT, ror_id="https://ror.org/02zhqgq86"
        ),
        target_label="Partner as ROR names it",
    )
    OrganisationRelation.objects.create(
        source=organisation,
        kind=OrganisationRelation.Kind.PARENT,
        target_ror_id="05qbk4x57",
        target_label="Not yet in the registry",
    )
    facility = FacilityFactory(name_en="Loop Lab")
    facility.hosts.add(organisation)
    FacilityFactory(name_en="Secret Lab", publication=DRAFT).hosts.add(organisation)
    project = ProjectFactory(title_en="Loop robotics")
    ParticipationFactory(project=project, organisation=organisation)
    ParticipationFactory(
        project=ProjectFactory(title_en="Secret project", publication=DRAFT),
        organisation=organisation,
    )

    page = parse(client.get(f"/en/organisations/{organisation.public_id}/").content)

    assert facts(page) == {
        "Names": "Hong Kong University of Science and Technology · 香港科技大学 · 香港科技大學",
        "Acronym": "HKUST",
        "Aliases": "港科大 · Hong Kong UST",
        "Kind": "University",
        "Jurisdiction": "Hong Kong · Hong Kong · HK",
        "Status": "Active",
        "Established": "1991",
        "ROR": "https://ror.org/00q4vv597",
        "Website": "https://hkust.edu.hk/",
    }
    assert "A research university in Clear Water Bay." in page.find("main").text
    assert links(section(page, "facilities")) == {
        "Loop Lab": f"/en/facilities/{facility.public_id}/"
    }
    assert links(section(page, "projects")) == {
        "Loop robotics": f"/en/projects/{project.public_id}/"
    }
    relations = section(page, "relationships")
    assert sorted(li.text for li in relations.find_all("li")) == [
        "Child: HKUST (Guangzhou)",
        "Parent: Not yet in the registry · https://ror.org/05qbk4x57",
        "Related: Partner as ROR names it · https://ror.org/02zhqgq86",
    ]
    assert links(relations) == {  # the unpublished organisation is not linked
        "HKUST (Guangzhou)": f"/en/organisations/{campus.public_id}/",
        "https://ror.org/05qbk4x57": "https://ror.org/05qbk4x57",
        "https://ror.org/02zhqgq86": "https://ror.org/02zhqgq86",
    }
    assert "Secret" not in page.find("main").text


@pytest.fixture
def joint_project() -> Project:
    project = ProjectFactory(
        title_en="Loop robotics",
        title_zh_hant="河套機械人",
        acronym="LOOPBOT",
        summary_en="Robots that cross the river.",
        start_date=datetime.date(2025, 7, 1),
        end_date=datetime.date(2027, 6, 30),
    )
    shenzhen_lab = FacilityFactory(name_en="Futian Lab", section=Facility.Location.SHENZHEN)
    ParticipationFactory(
        project=project,
        organisation=OrganisationFactory(
            name_en="Shenzhen Institute", jurisdiction=Organisation.Jurisdiction.MAINLAND
        ),
        facility=shenzhen_lab,
        role=Participation.Role.LEAD,
    )
    ParticipationFactory(
        project=project,
        organisation=OrganisationFactory(name_en="Loop University"),
        facility=FacilityFactory(name_en="Secret Lab", publication=DRAFT),
    )
    ParticipationFactory(
        project=project,
        organisation=OrganisationFactory(name_en="Secret Startup", publication=DRAFT),
    )
    FundingLineFactory(
        project=project,
        currency="HKD",
        amount=Decimal("4000000"),
        funder=OrganisationFactory(name_en="Innovation and Technology Fund"),
        scheme=FundingSchemeFactory(name_en="Mainland–Hong Kong Joint Funding Scheme"),
    )
    FundingLineFactory(
        project=project,
        currency="CNY",
        amount=Decimal("2000000"),
        side="shenzhen",
        funder=OrganisationFactory(name_en="Secret Funder", publication=DRAFT),
        scheme=FundingSchemeFactory(name_en="Secret Scheme", publication=DRAFT),
    )
    OutputFactory(
        project=project,
        title_en="Gripper patent",
        kind=Output.Kind.PATENT,
        date=datetime.date(2026, 3, 1),
        identifier="CN123456789A",
        key_achievement=True,
    )
    OutputFactory(project=project, title_en="Secret paper", publication=DRAFT)
    FactorFlowFactory(project=project, factor=Factor.PERSONNEL)
    FactorFlowFactory(project=project, factor=Factor.FUNDS, publication=DRAFT)
    return project


def test_a_project_page_shows_its_fields_participants_funding_outputs_and_flows(
    client, joint_project, taxonomy
):
    joint_project.fields.add(taxonomy["electrical"])
    joint_project.priority_areas.add(taxonomy["ai"])
    lab = Facility.objects.get(name_en="Futian Lab")

    page = parse(client.get(f"/en/projects/{joint_project.public_id}/").content)

    assert facts(page) == {
        "Titles": "Loop robotics · 河套机械人 · 河套機械人",
        "Acronym": "LOOPBOT",
        "Status": "Active",
        "Period": "2025-07-01 – 2027-06-30",
        "Cross-border": "Yes: partners on both banks",
        "Research fields": "Electrical engineering",
        "Priority areas": "AI and data science",
    }
    assert "Robots that cross the river." in page.find("main").text
    participants = section(page, "participants")
    assert [h.text for h in participants.find_all("h3")] == ["Shenzhen side", "Hong Kong side"]
    assert [li.text for li in participants.find_all("li")] == [
        "Shenzhen Institute · Lead · Futian Lab",
        "Loop University · Partner",
    ]
    assert links(participants)["Futian Lab"] == f"/en/facilities/{lab.public_id}/"
    funding = section(page, "funding")
    # The line of a funder that is not published is not shown, as the API leaves it out.
    assert [h.text for h in funding.find_all("h3")] == ["HKD"]
    (hkd,) = (table_cells(table)[1] for table in funding.find_all("table"))
    # A phone reads each funding line as a block, every value after its column's name.
    for table in funding.find_all("table"):
        assert "stack" in table.attrs["class"].split()
        columns = table_cells(table)[0]
        for row in table.find("tbody").find_all("tr"):
            assert [td.attrs.get("data-label") for td in row.find_all("td")] == columns
    assert "CNY" not in funding.text
    assert hkd == [
        [
            "Innovation and Technology Fund",
            "Mainland–Hong Kong Joint Funding Scheme",
            "Hong Kong side",
            "HKD 4,000,000",
        ]
    ]
    assert [li.text for li in section(page, "outputs").find_all("li")] == [
        "Gripper patent · Patent · 2026-03-01 · CN123456789A · key achievement"
    ]
    assert [li.text for li in section(page, "flows").find_all("li")] == [
        "Personnel · Northbound (Hong Kong → Shenzhen) · Planned"
    ]
    assert "Secret" not in page.find("main").text


@pytest.mark.parametrize("lang", ["zh-hans", "zh-hant"])
def test_chinese_pages_write_amounts_in_thousands_with_commas(client, joint_project, lang):
    """As the zone's own Chinese publications do (Django's Chinese default is 4000000)."""
    FundingLineFactory(project=joint_project, currency="CNY", amount=Decimal("2000000"))
    page = parse(client.get(f"/{lang}/projects/{joint_project.public_id}/").content)

    amounts = [
        row[-1]
        for table in section(page, "funding").find_all("table")
        for row in table_cells(table)[1]
    ]
    assert amounts == ["CNY 2,000,000", "HKD 4,000,000"]


def test_a_detail_page_shows_where_its_facts_come_from(client):
    facility = FacilityFactory(
        sources=["https://www.example.org/a", "https://www.example.org/b"],
        verification=Verification.VERIFIED_PRIMARY,
        as_of=datetime.date(2026, 3, 31),
    )

    page = parse(client.get(f"/en/facilities/{facility.public_id}/").content)

    provenance = page.find("section", class_="provenance")
    assert "Verification: Verified against a primary source · as of 2026-03-31" in provenance.text
    assert [a.attrs["href"] for a in provenance.find_all("a")] == [
        "https://www.example.org/a",
        "https://www.example.org/b",
    ]
    assert facility.public_id in provenance.find("code").text


def test_an_illustrative_record_says_so(client):
    made_up = FacilityFactory(verification=Verification.ILLUSTRATIVE)
    real = FacilityFactory(verification=Verification.VERIFIED_SECONDARY)

    assert parse(client.get(f"/en/facilities/{made_up.public_id}/").content).find_all(
        "p", class_="badge"
    )
    assert not parse(client.get(f"/en/facilities/{real.public_id}/").content).find_all(
        "p", class_="badge"
    )


@pytest.mark.parametrize(
    ("kind", "schema_type"),
    [
        ("laboratory", "ResearchOrganization"),
        ("site", "Place"),
        ("organisation", "Organization"),
        ("project", "ResearchProject"),
    ],
)
def test_a_detail_page_carries_schema_org_json_ld_in_the_page_language(client, kind, schema_type):
    if kind == "organisation":
        record = OrganisationFactory(
            name_zh_hant="香港科技大學", ror_id="https://ror.org/00q4vv597", established=1991
        )
        extra = {"sameAs": ["https://ror.org/00q4vv597"], "foundingDate": "1991"}
    elif kind == "project":
        record = ProjectFactory(title_zh_hant="河套機械人", start_date=datetime.date(2025, 7, 1))
        extra = {"startDate": "2025-07-01"}
    else:
        record = FacilityFactory(
            name_zh_hant="河套實驗室",
            kind=kind,
            latitude=Decimal("22.51"),
            longitude=Decimal("114.08"),
        )
        extra = {"geo": {"@type": "GeoCoordinates", "latitude": 22.51, "longitude": 114.08}}
    url = f"/zh-hant/{record.RESOURCE}/{record.public_id}/"

    data = json_ld(client.get(url))

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == schema_type
    assert data["name"] == record.display_name("zh-hant")
    assert data["identifier"] == record.public_id
    assert data["url"] == f"http://testserver{url}"
    assert {key: data[key] for key in extra} == extra


def test_no_text_in_a_record_can_break_out_of_the_json_ld(client):
    facility = FacilityFactory(name_en='Lab </script><script>alert("x")</script>')

    response = client.get(f"/en/facilities/{facility.public_id}/")

    scripts = parse(response.content).find_all("script")
    assert [s.attrs.get("type") for s in scripts] == ["application/ld+json"]
    assert json_ld(response)["name"] == facility.name_en


@pytest.mark.parametrize("state", [DRAFT, IN_REVIEW])
@pytest.mark.parametrize("kind", LISTINGS)
def test_an_unpublished_record_is_a_404(client, state, kind):
    factory = FACTORIES[kind]
    record = factory(publication=state)

    response = client.get(f"/en/{kind}/{record.public_id}/")

    assert response.status_code == 404
    assert record.display_name() not in response.content.decode()


def test_an_unknown_or_mistyped_id_is_a_404(client):
    facility = FacilityFactory()
    body = facility.public_id.removeprefix("fac-")
    mistyped = f"fac-{body[:-1]}{(int(body[-1]) + 1) % 10}"  # check digits no longer match
    unknown = identifiers.mint("fac")

    for public_id in (mistyped, unknown, "fac-nonsense", facility.public_id.upper()[:-1]):
        assert client.get(f"/en/facilities/{public_id}/").status_code == 404, public_id
    # Another resource's page never shows the record, even with its exact id.
    assert client.get(f"/en/projects/{facility.public_id}/").status_code == 404
    assert client.get(f"/en/facilities/{facility.public_id}/").status_code == 200


@pytest.mark.parametrize("kind", LISTINGS)
def test_a_retracted_record_is_gone_with_its_tombstone_and_successor(client, kind):
    factory = FACTORIES[kind]
    stem = "title" if kind == "projects" else "name"
    successor = factory(**{f"{stem}_en": "The new record"})
    old = factory(
        **{f"{stem}_en": "The old record"},
        publication=RETRACTED,
        retraction_reason="Merged into the new one",
        retracted_at=datetime.datetime(2026, 10, 1, 12, tzinfo=datetime.UTC),
        successor=successor,
    )

    response = client.get(f"/en/{kind}/{old.public_id}/")

    assert response.status_code == 410
    main = parse(response.content).find("main")
    assert main.find("code").text == old.public_id
    assert "The old record" in main.text
    assert "Reason: Merged into the new one" in main.text
    assert "Retracted on 2026-10-01" in main.text
    assert links(main) == {"The new record": f"/en/{kind}/{successor.public_id}/"}


def test_a_tombstone_does_not_point_to_an_unpublished_successor(client):
    successor = FacilityFactory(name_en="Secret successor", publication=DRAFT)
    old = FacilityFactory(publication=RETRACTED, successor=successor)

    response = client.get(f"/en/facilities/{old.public_id}/")

    assert response.status_code == 410
    assert links(parse(response.content).find("main")) == {}
    assert "Secret successor" not in response.content.decode()


# -- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/en/nowhere/", "Page not found"),
        ("/en/facilities/fac-00000000/", "Page not found"),
        ("/en/facilities/%00/", "Page not found"),
        ("/en/facilities/..%2F..%2Fetc/", "Page not found"),
        ("/zh-hans/nowhere/", "zh-hans"),
        ("/zh-hant/facilities/fac-00000000/", "zh-hant"),
    ],
)
def test_an_unknown_address_is_a_404_page_in_the_visitors_language(client, settings, url, heading):
    settings.DEBUG = False
    if heading in LANGUAGES:  # the catalogue's words, which translators may reword
        with translation.override(heading):
            heading = translation.gettext("Page not found")
        assert heading != "Page not found"

    response = client.get(url)

    assert response.status_code == 404
    page = parse(response.content)
    assert page.find("h1").text == heading
    assert page.find("nav", class_="languages")
    searches = [a.attrs["href"] for a in page.find("main").find_all("a")]
    prefix = url.split("/")[1]
    assert searches == [f"/{prefix}/{listing}/" for listing in LISTINGS]


# -- headers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("page_type", EVERY_PAGE)
def test_every_page_can_be_cached_and_revalidated(
    client, one_of_each, settings, tmp_path, page_type
):
    settings.REGISTRY_DUMP_DIR = tmp_path
    PriorityArea.objects.create(code="ai", name_en="AI and data science")
    url = EVERY_PAGE[page_type].format(lang="en", **one_of_each)

    response = client.get(url)

    assert response.status_code == 200
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"public", "max-age=300"} <= cache_control
    again = client.get(url, headers={"if-none-match": response["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    changed = client.get(url, headers={"if-none-match": '"something-else"'})
    assert changed.status_code == 200


def test_a_cached_page_is_not_reported_unchanged_when_a_related_record_changed(client, one_of_each):
    """A project page shows its participants: adding one changes the page but not the
    project's own record, so a revalidation by date alone must not be answered 304."""
    url = f"/en/projects/{one_of_each['project']}/"
    before = client.get(url)
    validators = {"if-modified-since": before.get("Last-Modified", "")}
    validators["if-none-match"] = before["ETag"]
    assert client.get(url, headers=validators).status_code == 304

    project = Project.objects.get(public_id=one_of_each["project"])
    ParticipationFactory(project=project, organisation=OrganisationFactory(name_en="Newcomer"))

    for header in ("if-modified-since", "if-none-match"):
        again = client.get(url, headers={header: validators[header]})
        assert again.status_code == 200, header
        assert "Newcomer" in section(parse(again.content), "participants").text


ERROR_PAGES = {
    "bad request": ("/en/facilities/?section=atlantis", 400),
    "not found": ("/en/nowhere/", 404),
    "gone": ("/en/facilities/{retracted}/", 410),
}


@pytest.mark.parametrize("page_type", [*EVERY_PAGE, *ERROR_PAGES])
def test_no_page_needs_inline_script_or_style(client, one_of_each, settings, tmp_path, page_type):
    settings.REGISTRY_DUMP_DIR = tmp_path
    PriorityArea.objects.create(code="ai", name_en="AI and data science")
    retracted = FacilityFactory(publication=RETRACTED).public_id
    pattern, status = ERROR_PAGES.get(page_type, (EVERY_PAGE.get(page_type), 200))

    response = client.get(pattern.format(lang="en", retracted=retracted, **one_of_each))

    assert response.status_code == status
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in response["Content-Security-Policy"].split(";")
        if directive.strip()
    }
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    document = parse(response.content)
    scripts = document.find_all("script")
    assert all(s.attrs.get("type") == "application/ld+json" for s in scripts)
    assert all("src" not in s.attrs for s in scripts)
    assert not document.find_all("style")
    inline = [
        e.tag
        for e in document.iter()
        if "style" in e.attrs or any(name.startswith("on") for name in e.attrs)
    ]
    assert inline == []


# -- structure --------------------------------------------------------------------------------
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


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Hetao Shenzhen–Hong Kong"),
        ("zh-hans", "河套深港科技创新合作区"),
        ("zh-hant", "河套深港科技創新合作區"),
    ],
)
@pytest.mark.parametrize("path", ["", "facilities/", "projects/", "statistics/", "data/"])
def test_every_public_page_describes_itself_to_search_engines_in_its_language(
    client, language, words, path
):
    page = parse(client.get(f"/{language}/{path}").content)

    description = page.find("meta", name="description").attrs["content"]
    assert words in description
    assert page.find("link", rel="icon").attrs["href"].endswith(".svg")


def test_the_icon_browsers_ask_for_is_the_registry_s(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].startswith("/static/registry/favicon")
    assert response["Location"].endswith(".svg")
