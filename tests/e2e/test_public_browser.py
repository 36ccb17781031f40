"""The public pages in real Chromium: axe-core finds no serious or critical violation on any
page type in any language, nothing scrolls sideways at 375 or 1280 px, the pages work with
JavaScript off, and a reader of 繁體 finds a Hong Kong Park facility by typing 简体, opens a
project, follows a participant and switches language without losing the record.
Screenshots of every step at both widths go to var/screenshots/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.utils import translation

from registry.models import Facility, Organisation, Project, Publication

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WIDTHS = (375, 1280)
LANGUAGES = ("en", "zh-hans", "zh-hant")
SERIOUS = {"serious", "critical"}


@pytest.fixture
def demo(settings, tmp_path: Path) -> dict[str, Any]:
    """The demo registry with an open-data dump, and a record of each kind to open."""
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
    """Every public page type: its path under the language prefix and its status."""
    retracted = demo["retracted"]
    return {
        "home": ("", 200),
        "facilities": ("facilities/", 200),
        "facilities-filtered": ("facilities/?section=hong_kong&q=park&ordering=-opened_on", 200),
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
        "bad-request": ("facilities/?section=atlantis", 400),
    }


def horizontal_overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def serious_violations(page: Any) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_public_page_passes_axe_and_fits_a_phone_and_a_desk(
    live_server, page, demo, lang, screenshot_dir
):
    problems = []
    for name, (path, status) in page_types(demo).items():
        url = f"{live_server.url}/{lang}/{path}"
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(url)
            assert response.status == status, (url, response.status)
            if (overflow := horizontal_overflow(page)) > 0:
                problems.append(f"{name} at {width}px scrolls sideways by {overflow}px")
                page.screenshot(path=screenshot_dir / f"overflow-{lang}-{name}-{width}.png")
        for violation in serious_violations(page):
            problems.append(f"{name}: {violation}")

    assert problems == [], "\n".join(problems)


def test_the_public_pages_work_with_javascript_off(browser, live_server, demo):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/en/facilities/")
    total = Facility.objects.filter(publication=Publication.PUBLISHED).count()

    # A facet is a plain link; the search form a plain GET form.
    page.locator("a[href*='section=hong_kong']").first.click()
    assert "section=hong_kong" in page.url
    page.fill("#q", "park")
    page.click("form.search button[type=submit]")
    assert "q=park" in page.url and "section=hong_kong" in page.url
    assert page.locator(".cards li a").count() >= 1

    # Paging is plain links too.
    page.goto(f"{live_server.url}/en/facilities/")
    if total > 20:
        page.locator("a[rel=next]").click()
        assert "page=2" in page.url
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_reader_of_traditional_chinese_finds_opens_follows_and_switches_language(
    live_server, page, demo, width, screenshot_dir
):
    # The Hong Kong–Shenzhen I&T Park, named in Traditional characters only.
    park = Facility.objects.get(name_en="Hong Kong-Shenzhen Innovation and Technology Park")
    Facility.objects.filter(pk=park.pk).update(name_zh_hans="")
    park.refresh_from_db()
    park.save()  # search_text and history as a curator's edit would leave them
    assert park.name_zh_hant == "港深創新及科技園" and not park.name_zh_hans

    def shot(step: str) -> None:
        page.screenshot(path=screenshot_dir / f"public-{width}-{step}.png", full_page=True)

    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/zh-hant/facilities/")
    assert page.locator("html").get_attribute("lang") == "zh-hant"
    assert page.locator("h1").inner_text() == "設施"
    shot("01-facilities-zh-hant")

    # Filter to the Hong Kong Park.
    page.locator(".facets a[href='?section=hong_kong']").click()
    assert "section=hong_kong" in page.url
    selected = page.locator(".facets a[aria-current=true]")
    assert selected.count() == 1
    with translation.override("zh-hant"):
        assert selected.inner_text().startswith(str(Facility.Location.HONG_KONG.label))
    shot("02-hong-kong-park")

    # Search in Simplified characters; the record named in Traditional ones is found.
    page.fill("#q", "港深创新")
    page.click("form.search button[type=submit]")
    assert "section=hong_kong" in page.url
    results = page.locator(".cards li a")
    assert results.all_inner_texts() == ["港深創新及科技園"]
    shot("03-simplified-search-finds-traditional")

    # Open a cross-border project and follow a participant.
    project = demo["project"]
    page.goto(f"{live_server.url}/zh-hant/projects/")
    page.locator(f".cards a[href$='/projects/{project.public_id}/']").click()
    assert page.url.endswith(f"/zh-hant/projects/{project.public_id}/")
    assert page.locator("#participants").is_visible()
    shot("04-project")
    participant = page.locator("section[aria-labelledby=participants] a[href*='/organisations/']")
    href = participant.first.get_attribute("href")
    participant.first.click()
    organisation_id = href.rstrip("/").rsplit("/", 1)[-1]
    assert page.url.endswith(f"/zh-hant/organisations/{organisation_id}/")
    shot("05-participant")

    # Switch to English and stay on the same organisation.
    page.locator("nav.languages a[hreflang=en]").click()
    assert page.url.endswith(f"/en/organisations/{organisation_id}/")
    assert page.locator("html").get_attribute("lang") == "en"
    organisation = Organisation.objects.get(public_id=organisation_id)
    assert page.locator("h1").inner_text() == organisation.display_name("en")
    shot("06-same-organisation-in-english")
