"""/<lang>/collaboration/: the two banks. One curve per pair of a Shenzhen-side and a Hong
Kong-side organisation sharing published projects, thicker for more, linked to those projects;
the same pairs in a table; narrowed by research field and priority area."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from registry.models import (
    Facility,
    Organisation,
    Participation,
    PriorityArea,
    Project,
    Publication,
    ResearchField,
    Section,
)
from registry.public import charts
from tests.conftest import built_for_the_module
from tests.factories import (
    FacilityFactory,
    OrganisationFactory,
    ParticipationFactory,
    ProjectFactory,
)
from tests.public import Element, parse

URL = "/en/collaboration/"


@dataclass
class Banks:
    alpha: Organisation  # Shenzhen side
    beta: Organisation  # Shenzhen side
    xi: Organisation  # Hong Kong side
    yuen: Organisation  # Hong Kong side
    alpha_xi: list[Project]
    beta_xi: list[Project]
    alpha_yuen: Project


def shenzhen_organisation(name: str, **kwargs: object) -> Organisation:
    return OrganisationFactory(
        name_en=name,
        jurisdiction=Organisation.Jurisdiction.MAINLAND,
        country="CN",
        curating_section=Section.SHENZHEN,
        **kwargs,
    )


def joint_project(
    *organisations: Organisation,
    field: str = "1.1",
    publication: str = Publication.PUBLISHED,
    title: str | None = None,
) -> Project:
    project = ProjectFactory(publication=publication, **({"title_en": title} if title else {}))
    project.fields.set(ResearchField.objects.filter(code=field))
    for organisation in organisations:
        ParticipationFactory(project=project, organisation=organisation)
    return project


@pytest.fixture(scope="module")
def built_banks(django_db_setup: None, django_db_blocker: Any) -> Iterator[Banks]:
    """Alpha–Xi share 3 projects, Beta–Xi 2, Alpha–Yuen 1 (in another field and priority
    area); Beta–Yuen only a draft project; a draft organisation works with Yuen; Xi takes part
    on both banks of one project, which pairs it with nobody. Built once for the module: its
    tests read them (one adds projects, rolled back after it)."""
    with built_for_the_module(django_db_blocker):
        yield make_banks()


@pytest.fixture
def banks(db: None, built_banks: Banks) -> Banks:
    return built_banks


def make_banks() -> Banks:
    call_command("loaddata", "reference", verbosity=0)
    alpha = shenzhen_organisation("Alpha Shenzhen Institute")
    beta = shenzhen_organisation("Beta Shenzhen Institute")
    xi = OrganisationFactory(name_en="Xi Hong Kong University", name_zh_hant="西香港大學")
    yuen = OrganisationFactory(name_en="Yuen Hong Kong University")
    hidden = shenzhen_organisation("Hidden Draft Company", publication=Publication.DRAFT)
    alpha_yuen = joint_project(alpha, yuen, field="2.2", title="Alpha and Yuen's robot")
    alpha_yuen.priority_areas.set(PriorityArea.objects.filter(code="quantum"))
    banks = Banks(
        alpha,
        beta,
        xi,
        yuen,
        alpha_xi=[joint_project(alpha, xi) for _ in range(3)],
        beta_xi=[joint_project(beta, xi) for _ in range(2)],
        alpha_yuen=alpha_yuen,
    )
    joint_project(beta, yuen, publication=Publication.DRAFT, title="Draft Beta Yuen project")
    joint_project(hidden, yuen)
    both_banks = joint_project(xi)
    ParticipationFactory(
        project=both_banks,
        organisation=xi,
        role=Participation.Role.HOST,
        facility=FacilityFactory(section=Facility.Location.SHENZHEN),
    )
    return banks


def drawing(page: Element) -> Element:
    return page.find("figure", id="two-banks-figure").find("svg")


def curves(page: Element) -> dict[str, tuple[str, float]]:
    """{accessible name of the curve: (where it links, stroke width)}"""
    result = {}
    for link in drawing(page).find_all("a"):
        (path,) = link.find_all("path", class_="pair")
        result[link.attrs["aria-label"]] = (link.attrs["href"], float(path.attrs["stroke-width"]))
    return result


def pair_label(shenzhen: Organisation, hong_kong: Organisation, count: int) -> str:
    noun = "project" if count == 1 else "projects"
    return f"{shenzhen.name_en} and {hong_kong.name_en}: {count} shared {noun}"


def detail(project: Project, language: str = "en") -> str:
    with translation.override(language):
        return reverse("public:project-detail", args=[project.public_id])


# The demo data alone: first in the module, before the banks are built for the tests below.
def test_the_demo_data_draws_its_cross_border_pairs(client, db) -> None:
    call_command("loaddata", "reference", "demo", verbosity=0)

    page = parse(client.get(URL).content)

    rows = page.find("section", **{"aria-labelledby": "pairs"}).find("tbody").find_all("tr")
    assert len(curves(page)) == len(rows) > 0
    for row in rows:
        for link in row.find_all("td")[-1].find_all("a"):
            public_id = link.attrs["href"].rstrip("/").rsplit("/", 1)[-1]
            assert Project.objects.get(public_id=public_id).publication == Publication.PUBLISHED


def test_one_curve_per_pair_sharing_published_projects_thicker_for_more(client, banks) -> None:
    page = parse(client.get(URL).content)

    drawn = curves(page)

    alpha_xi = pair_label(banks.alpha, banks.xi, 3)
    beta_xi = pair_label(banks.beta, banks.xi, 2)
    alpha_yuen = pair_label(banks.alpha, banks.yuen, 1)
    assert set(drawn) == {alpha_xi, beta_xi, alpha_yuen}
    assert drawn[alpha_xi][1] > drawn[beta_xi][1] > drawn[alpha_yuen][1]
    svg = drawing(page)
    assert svg.find("title", id=svg.attrs["aria-labelledby"]).text
    # Drafts, and organisations that are drafts, stay off the page.
    content = client.get(URL).content.decode()
    assert "Hidden Draft Company" not in content
    assert "Draft Beta Yuen project" not in content
    banks_text = [t.text for g in svg.find_all("g", class_="bank") for t in g.find_all("text")]
    assert sorted(banks_text) == sorted(
        [banks.alpha.name_en, banks.beta.name_en, banks.xi.name_en, banks.yuen.name_en]
    )


def test_each_curve_links_to_exactly_the_shared_projects(client, banks) -> None:
    """A curve for one project links to it; a curve for several links to the pair's row in
    the table, which links to each of them (a repeated ``organisation`` parameter means OR, so
    no project listing URL could list just the shared ones)."""
    page = parse(client.get(URL).content)

    drawn = curves(page)

    assert drawn[pair_label(banks.alpha, banks.yuen, 1)][0] == detail(banks.alpha_yuen)
    for shenzhen, projects in ((banks.alpha, banks.alpha_xi), (banks.beta, banks.beta_xi)):
        href = drawn[pair_label(shenzhen, banks.xi, len(projects))][0]
        assert href == f"#pair-{shenzhen.public_id}-{banks.xi.public_id}"
        row = page.find("tr", id=href.removeprefix("#"))
        cells = [c for c in row.children if isinstance(c, Element)]
        assert [c.text for c in cells[:3]] == [
            shenzhen.name_en,
            banks.xi.name_en,
            str(len(projects)),
        ]
        assert {a.attrs["href"] for a in cells[3].find_all("a")} == {detail(p) for p in projects}


def test_the_pairs_table_lists_every_pair_with_links(client, banks) -> None:
    page = parse(client.get(URL).content)

    table = page.find("section", **{"aria-labelledby": "pairs"}).find("table")

    assert table.find("caption").text
    rows = table.find("tbody").find_all("tr")
    assert [(r.find("th").text, int(r.find("td", class_="number").text)) for r in rows] == [
        (banks.alpha.name_en, 3),
        (banks.beta.name_en, 2),
        (banks.alpha.name_en, 1),
    ]
    assert rows[0].find("th").attrs["scope"] == "row"
    assert rows[0].find("th").find("a").attrs["href"] == reverse(
        "public:organisation-detail", args=[banks.alpha.public_id]
    )
    # A phone reads the table row by row (table.stack): each cell names its column.
    assert "stack" in table.attrs["class"].split()
    columns = [th.text for th in table.find("thead").find_all("th")]
    for row in rows:
        cells = [cell for cell in row.children if isinstance(cell, Element)]
        assert [cell.attrs.get("data-label") for cell in cells] == columns


@pytest.mark.parametrize("query", ["field=2.2", "field=2", "priority_area=quantum"])
def test_filtering_narrows_the_pairs(client, banks, query: str) -> None:
    page = parse(client.get(f"{URL}?{query}").content)

    assert set(curves(page)) == {pair_label(banks.alpha, banks.yuen, 1)}
    name, value = query.split("=")
    selected = page.find("select", id=name).find("option", value=value)
    assert "selected" in selected.attrs


def test_the_filters_are_labelled_selects_in_a_get_form(client, banks) -> None:
    page = parse(client.get(URL).content)

    form = page.find("form")

    assert form.attrs["method"] == "get"
    for name in ("field", "priority_area"):
        assert form.find("label", **{"for": name}).text
        assert form.find("select", id=name).attrs["name"] == name


def test_nothing_in_common_says_so(client, banks, django_assert_num_queries) -> None:
    with django_assert_num_queries(3):
        response = client.get(f"{URL}?field=1.1&priority_area=quantum")

    assert response.status_code == 200
    assert b"matching these filters" in response.content
    assert not parse(response.content).find_all("svg")


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("field=not+a+code!", "field"),
        ("priority_area=%3Cb%3E", "priority_area"),
        ("kind=x", "kind"),
    ],
)
def test_a_bad_value_or_unknown_parameter_is_a_400_naming_it(
    client, banks, query: str, parameter: str
) -> None:
    response = client.get(f"{URL}?{query}")

    assert response.status_code == 400
    assert f"<code>{parameter}</code>".encode() in response.content


def test_the_page_costs_four_queries(client, banks, django_assert_num_queries) -> None:
    """Research fields and priority areas for the form, the pairs with their counts, and the
    shared projects of those pairs."""
    with django_assert_num_queries(4):
        assert client.get(URL).status_code == 200
    for _ in range(5):
        joint_project(banks.beta, banks.yuen)
    with django_assert_num_queries(4):
        assert client.get(f"{URL}?field=1.1").status_code == 200


def test_the_page_holds_no_inline_script_or_style(client, banks) -> None:
    response = client.get(URL)

    page = parse(response.content)
    assert not [e for e in page.iter() if "style" in e.attrs]
    assert not page.find_all("script")
    assert not page.find_all("style")
    assert not re.search(rb"<(script|style)\b|\sstyle\s*=", response.content, re.IGNORECASE)
    assert len(page.find_all("h1")) == 1


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant"])
def test_the_page_answers_in_each_language(client, banks, language: str) -> None:
    response = client.get(f"/{language}/collaboration/")

    assert response.status_code == 200
    page = parse(response.content)
    assert page.find("html").attrs["lang"] == language
    hrefs = {href for href, _width in curves(page).values()}
    assert detail(banks.alpha_yuen, language) in hrefs
    assert "Accept-Language" in response["Vary"]
    assert "max-age=300" in response["Cache-Control"]
    if language == "zh-hant":
        assert "西香港大學" in response.content.decode()


def test_a_phone_gets_the_two_banks_drawn_to_its_width_with_the_same_curves(client, banks) -> None:
    """Drawn again 340 wide for a phone: the same linked curves, names shortened with an
    ellipsis where too long, with the whole name as the tooltip."""
    page = parse(client.get(URL).content)

    wide, narrow = page.find("figure", id="two-banks-figure").find_all("svg")
    assert (wide.attrs["class"], narrow.attrs["class"]) == ("wide", "narrow")
    assert float(narrow.attrs["width"]) == charts.NARROW

    def linked(svg: Element) -> dict[str, tuple[str, str]]:
        return {
            a.attrs["aria-label"]: (a.attrs["href"], a.find("path").attrs["stroke-width"])
            for a in svg.find_all("a")
        }

    assert linked(narrow) == linked(wide)

    def names(svg: Element) -> set[str]:
        texts = [t for g in svg.find_all("g", class_="bank") for t in g.find_all("text")]
        # A shortened name carries the whole one as its tooltip.
        return {(t.find_all("title") or [t])[0].text for t in texts}

    assert names(narrow) == names(wide)


def test_a_long_name_is_cut_with_an_ellipsis_to_fit_the_phone() -> None:
    name = "Hong Kong University of Science and Technology Shenzhen Research Institute"

    short = charts.shortened(name, 200)

    assert short.endswith("…") and name.startswith(short[:-1])
    assert charts.text_width(short) <= 200
    assert charts.shortened("Shenzhen University", 200) == "Shenzhen University"
