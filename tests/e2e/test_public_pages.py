"""The public pages in real Chromium (issue #5, points 8 and 9).

- axe-core (bundled with axe-playwright-python: nothing is fetched) finds no serious or critical
  violation on any page type, in any of the three languages, at 375 and at 1280 px;
- nothing scrolls sideways at 375 or at 1280 px: neither the page nor a box inside it (a
  table or a chart a reader would have to pan on a phone);
- with JavaScript off, a listing is filtered through its facet links and search form, and paged;
- a reader of 繁體 on a phone and on a desk finds a Hong Kong Park record named in Traditional
  characters by typing 简体, opens its project, switches to 简体, follows a participant and
  switches to English without losing the record.

Screenshots of every page and of every step go to var/screenshots/ for a person to look at.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from registry import access
from registry.models import Facility, Organisation, Project, Publication
from registry.public.views import PAGE_SIZE
from registry.search import filter_queryset

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WIDTHS = (375, 1280)
LANGUAGES = ("en", "zh-hans", "zh-hant")
SERIOUS = {"serious", "critical"}


@pytest.fixture
def demo(settings: Any, tmp_path: Path) -> dict[str, Any]:
    """The demo registry with an open-data dump, and a published record of each kind to open
    (a retracted one for the 410 page)."""
    call_command("load_demo_data", verbosity=0)
    settings.REGISTRY_DUMP_DIR = tmp_path / "dumps"
    call_command("export_dump", str(settings.REGISTRY_DUMP_DIR), verbosity=0)
    published = Publication.PUBLISHED
    retracted = next(
        record
        for model in (Facility, Project, Organisation)
        for record in model.objects.filter(publication=Publication.RETRACTED)
    )
    return {
        "facility": Facility.objects.filter(publication=published).first(),
        "project": Project.objects.filter(publication=published, cross_border=True).first(),
        "organisation": Organisation.objects.filter(publication=published).first(),
        "retracted": retracted,
    }


def page_types(demo: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """Every public page type: its path under the language prefix, and its status."""
    retracted = demo["retracted"]
    return {
        "home": ("", 200),
        "facilities": ("facilities/", 200),
        "facilities-filtered": ("facilities/?section=hong_kong&q=park&ordering=-opened_on", 200),
        "facilities-page-2": ("facilities/?page=2", 200),
        "facilities-none": ("facilities/?q=zzzzzz", 200),
        "projects": ("projects/", 200),
        "organisations": ("organisations/", 200),
        "facility": (f"facilities/{demo['facility'].public_id}/", 200),
        "project": (f"projects/{demo['project'].public_id}/", 200),
        "organisation": (f"organisations/{demo['organisation'].public_id}/", 200),
        "statistics": ("statistics/", 200),
        "collaboration": ("collaboration/", 200),
        "data": ("data/", 200),
        "retracted": (f"{retracted.RESOURCE}/{retracted.public_id}/", 410),
        "not-found": ("facilities/fac-00000000/", 404),
        "not-found-path": ("no-such-page/", 404),
        "bad-request": ("facilities/?section=atlantis", 400),
    }


def horizontal_overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def boxes_scrolling_sideways(page: Any) -> list[str]:
    """The boxes inside the page whose content is wider than the box (a table or a chart in a
    scroll box), each as its tag, id or class, and by how many pixels."""
    return page.evaluate(
        """() => [...document.querySelectorAll("main *")]
            .filter(e => e.scrollWidth > e.clientWidth + 1
                && ["auto", "scroll"].includes(getComputedStyle(e).overflowX))
            .map(e => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}`
                + `${e.className && typeof e.className === "string" ? "." + e.className : ""}`
                + ` by ${e.scrollWidth - e.clientWidth}px`)"""
    )


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page, one readable line each."""
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:3])
        + (f" (+{len(v['nodes']) - 3} more)" if len(v["nodes"]) > 3 else "")
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


def in_language(language: str, text: Any) -> str:
    """A catalogue string as a page in ``language`` shows it."""
    with translation.override(language):
        return str(text)


def follow(page: Any, link: Any) -> None:
    """Click a link (or a form's submit button) and wait until the page it leads to has
    loaded, so the next checks read the new page and never the one it replaces."""
    with page.expect_navigation():
        link.click()


def card_names(page: Any) -> list[str]:
    return page.locator(".cards li a").all_inner_texts()


def test_the_checks_catch_a_page_that_breaks_them(page: Any) -> None:
    """The two checks below can fail: axe-core runs offline in this Chromium and reports an
    unlabelled field, an image without alt text and a page without a language; a box wider
    than a phone is measured as sideways scrolling."""
    page.set_viewport_size({"width": 375, "height": 900})
    page.set_content(
        "<!DOCTYPE html><html><head><title>t</title></head><body><main>"
        '<input type="text"><img src="chart.png">'
        '<div style="width: 1000px">wide</div>'
        '<div style="overflow-x: auto"><table><tr><td style="min-width: 900px">x</td></tr>'
        "</table></div></main></body></html>"
    )
    found = {violation.split(" ", 1)[0] for violation in serious_violations(page)}
    assert {"label", "image-alt", "html-has-lang"} <= found, found
    assert horizontal_overflow(page) > 0
    assert [box.split(" by ")[0] for box in boxes_scrolling_sideways(page)] == ["div"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_public_page_passes_axe_and_fits_a_phone_and_a_desk(
    live_server: Any, page: Any, demo: dict[str, Any], lang: str, screenshot_dir: Path
) -> None:
    problems = []
    for name, (path, status) in page_types(demo).items():
        url = f"{live_server.url}/{lang}/{path}"
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(url)
            assert response.status == status, (url, response.status)
            assert page.locator("html").get_attribute("lang") == lang, url
            page.screenshot(
                path=screenshot_dir / f"pages-{width}-{name}-{lang}.png", full_page=True
            )
            if (overflow := horizontal_overflow(page)) > 0:
                problems.append(f"{name} at {width}px scrolls sideways by {overflow}px")
            problems.extend(
                f"{name} at {width}px: {box} scrolls sideways"
                for box in boxes_scrolling_sideways(page)
            )
            problems.extend(
                f"{name} at {width}px: {violation}" for violation in serious_violations(page)
            )

    assert problems == [], f"/{lang}/ pages:\n" + "\n".join(problems)


def test_a_listing_is_filtered_searched_and_paged_with_javascript_off(
    browser: Any, live_server: Any, demo: dict[str, Any]
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    published = access.public(Facility.objects.all())
    in_shenzhen = published.filter(section=Facility.Location.SHENZHEN)
    in_hong_kong = published.filter(section=Facility.Location.HONG_KONG)
    # The demo data is big enough to page through, filtered too.
    assert in_shenzhen.count() > PAGE_SIZE

    page.goto(f"{live_server.url}/en/facilities/")
    assert page.locator("h2#results").inner_text() == f"{published.count()} results"

    # A facet is a plain link.
    follow(page, page.locator(".facets a[href='?section=hong_kong']"))
    assert re.search(r"[?&]section=hong_kong\b", page.url)
    assert page.locator("h2#results").inner_text() == f"{in_hong_kong.count()} results"
    assert sorted(card_names(page)) == sorted(f.display_name("en") for f in in_hong_kong)

    # The search form is a plain GET form that keeps the facet, and sorts.
    page.fill("#q", "park")
    page.select_option("#ordering", "name_en")
    follow(page, page.locator("form.search button[type=submit]"))
    assert "q=park" in page.url and "section=hong_kong" in page.url
    assert "ordering=name_en" in page.url
    expected = filter_queryset(in_hong_kong, "park").order_by("name_en")
    assert 0 < expected.count() < in_hong_kong.count()
    assert card_names(page) == [f.display_name("en") for f in expected]

    # Paging is plain links too, and keeps the filter.
    page.goto(f"{live_server.url}/en/facilities/")
    follow(page, page.locator(".facets a[href='?section=shenzhen']"))
    first_page = card_names(page)
    assert len(first_page) == PAGE_SIZE
    follow(page, page.locator("a[rel=next]"))
    assert "section=shenzhen" in page.url and "page=2" in page.url
    second_page = card_names(page)
    assert len(second_page) == in_shenzhen.count() - PAGE_SIZE
    assert not set(first_page) & set(second_page)
    assert page.locator("a[rel=next]").count() == 0
    follow(page, page.locator("a[rel=prev]"))
    assert "section=shenzhen" in page.url and "page=1" in page.url
    assert card_names(page) == first_page
    context.close()


@pytest.fixture
def lab_named_in_traditional(demo: dict[str, Any]) -> Facility:
    """A Hong Kong Park laboratory whose Chinese name is stored in Traditional characters only,
    hosting a published cross-border project (saved as a curator's edit would save it)."""
    lab = Facility.objects.get(name_en="Organoid Drug-Screening Laboratory (illustrative)")
    lab.name_zh_hant = "類器官藥物篩選實驗室（示例）"
    lab.name_zh_hans = ""
    lab.save()
    assert lab.section == Facility.Location.HONG_KONG
    assert projects_shown_on(lab), "the lab takes part in no published project"
    return lab


def projects_shown_on(facility: Facility) -> list[Project]:
    """The projects a facility's public page lists."""
    return list(access.public(Project.objects.filter(participations__facility=facility).distinct()))


@pytest.mark.parametrize("width", WIDTHS)
def test_a_reader_of_traditional_chinese_finds_opens_follows_and_switches_language(
    live_server: Any,
    page: Any,
    lab_named_in_traditional: Facility,
    width: int,
    screenshot_dir: Path,
) -> None:
    lab = lab_named_in_traditional
    project = projects_shown_on(lab)[0]

    def shot(step: str) -> None:
        page.screenshot(path=screenshot_dir / f"public-{width}-{step}.png", full_page=True)
        assert horizontal_overflow(page) <= 0, f"{step} scrolls sideways at {width}px"
        assert boxes_scrolling_sideways(page) == [], f"{step} at {width}px"

    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/zh-hant/facilities/")
    assert page.locator("html").get_attribute("lang") == "zh-hant"
    assert page.locator("h1").inner_text() == in_language("zh-hant", _("Facilities"))
    shot("01-facilities-zh-hant")

    # Filter to the Hong Kong Park (the section facet).
    follow(page, page.locator(".facets a[href='?section=hong_kong']"))
    assert "section=hong_kong" in page.url
    selected = page.locator(".facets a[aria-current=true]")
    assert selected.count() == 1
    assert selected.inner_text().startswith(
        in_language("zh-hant", Facility.Location.HONG_KONG.label)
    )
    shot("02-hong-kong-park-zh-hant")

    # Search in Simplified characters: the record named in Traditional ones is found.
    page.fill("#q", "类器官药物")
    follow(page, page.locator("form.search button[type=submit]"))
    assert "section=hong_kong" in page.url
    assert card_names(page) == ["類器官藥物篩選實驗室（示例）"]
    shot("03-simplified-search-finds-traditional-zh-hant")

    # Open it, then the project it takes part in.
    follow(page, page.locator(".cards li a"))
    assert page.url.endswith(f"/zh-hant/facilities/{lab.public_id}/")
    assert page.locator("h1").inner_text() == "類器官藥物篩選實驗室（示例）"
    shot("04-facility-zh-hant")
    to_project = f"section[aria-labelledby=projects] a[href$='/{project.public_id}/']"
    follow(page, page.locator(to_project))
    assert page.url.endswith(f"/zh-hant/projects/{project.public_id}/")
    assert page.locator("h1").inner_text() == project.title_zh_hant
    assert page.locator("#participants").is_visible()
    shot("05-project-zh-hant")

    # Switch to 简体: the same project, its title now in Simplified characters.
    follow(page, page.locator("nav.languages a[hreflang=zh-hans]"))
    assert page.url.endswith(f"/zh-hans/projects/{project.public_id}/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text() == project.title_zh_hans != project.title_zh_hant
    assert page.locator("#participants").inner_text() == in_language("zh-hans", _("Participants"))
    shot("06-same-project-zh-hans")

    # Follow a participant.
    participant = page.locator("section[aria-labelledby=participants] a[href*='/organisations/']")
    organisation_id = participant.first.get_attribute("href").rstrip("/").rsplit("/", 1)[-1]
    follow(page, participant.first)
    assert page.url.endswith(f"/zh-hans/organisations/{organisation_id}/")
    organisation = Organisation.objects.get(public_id=organisation_id)
    assert page.locator("h1").inner_text() == organisation.display_name("zh-hans")
    shot("07-participant-zh-hans")

    # Switch to English: the same organisation, the page now in English.
    follow(page, page.locator("nav.languages a[hreflang=en]"))
    assert page.url.endswith(f"/en/organisations/{organisation_id}/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == organisation.display_name("en")
    assert page.locator("header.site nav a").first.inner_text() == "Facilities"
    assert page.locator("section[aria-labelledby=projects] h2").inner_text() == "Projects"
    shot("08-same-organisation-en")


def headers_off_their_numbers(page: Any) -> list[str]:
    """Right-aligned numbers whose column header is not right-aligned over them: the header's
    right edge and its numbers' differ (each number stood under the next column's header)."""
    return page.evaluate(
        """() => [...document.querySelectorAll("table")].flatMap(table => {
            const headers = [...table.querySelectorAll("thead th")];
            return [...table.querySelectorAll("tbody tr")].flatMap(row =>
                [...row.children].map((cell, column) => [cell, headers[column]])
                    .filter(([cell, header]) => cell.matches("td.number") && header)
                    .filter(([cell, header]) => {
                        const style = getComputedStyle(cell);
                        const numberRight = cell.getBoundingClientRect().right
                            - parseFloat(style.paddingRight);
                        const headerStyle = getComputedStyle(header);
                        const range = document.createRange();
                        range.selectNodeContents(header);
                        const textRight = range.getBoundingClientRect().right;
                        const headerRight = header.getBoundingClientRect().right
                            - parseFloat(headerStyle.paddingRight);
                        return Math.abs(textRight - headerRight) > 2
                            || Math.abs(numberRight - headerRight) > 2;
                    })
                    .map(([cell, header]) => `${header.innerText.trim()}: ${cell.innerText}`));
        })"""
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_number_stands_under_its_own_column_s_header(
    live_server: Any, page: Any, demo: dict[str, Any], lang: str
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    off = {}
    for name in ("statistics", "collaboration", "data", "project"):
        path, _status = page_types(demo)[name]
        page.goto(f"{live_server.url}/{lang}/{path}")
        if wrong := headers_off_their_numbers(page):
            off[name] = wrong[:5]

    assert off == {}
