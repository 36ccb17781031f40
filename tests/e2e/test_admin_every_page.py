"""Every admin page type in real Chromium, in English, 简体 and 繁體, in a 1280×900 window
(issue #14, point 3):

- nothing scrolls sideways: the page is no wider than the window, and a change form's inline
  tables are no wider than their box (registry/static/registry/admin/admin.css lets their
  cells shrink);
- axe-core finds no serious or critical violation;
- the object tools (Import, Export, Add, History, the workflow buttons…) never overlap the
  page's title;
- the object tools are offered only to those who may use them: every link there opens for the
  curator it is shown to, no workflow button is shown on a record of the other section, and
  neither the ROR upload (zone editors') nor hard delete (the superuser's) is shown to a
  curator.

A full-page screenshot of every page in every language goes to
var/screenshots/admin/<page>-<language>.png for a person to look at.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse

from registry.models import (
    ChangeRequest,
    Facility,
    FactorFlow,
    FundingScheme,
    Organisation,
    Output,
    PolicyInstrument,
    Project,
    Section,
)
from tests.conftest import (
    make_hong_kong_curator,
    make_shenzhen_curator,
    make_superuser,
    make_zone_editor,
)
from tests.e2e.admin_helpers import log_in
from tests.factories import (
    FundingLineFactory,
    OrganisationFactory,
    OutputFactory,
    ParticipationFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LANGUAGES = ("en", "zh-hans", "zh-hant")
# A file a curator imports: one organisation to add, one row with a kind that does not exist.
IMPORTED = (
    "id,name_en,name_zh_hans,name_zh_hant,kind,jurisdiction,country,curating_section,sources,"
    "verification,as_of\n"
    ",Hetao Synthetic Biology Institute,河套合成生物研究院,,research_institute,mainland,CN,"
    "shenzhen,https://example.org/x,verified_secondary,2026-01-15\n"
    ",Orbital Research Launchpad,,,spaceship,mainland,CN,shenzhen,https://example.org/y,"
    "verified_secondary,2026-01-15\n"
)
ROR = Path(__file__).resolve().parents[2] / "fixtures" / "ror"


def ror_upload(folder: Path) -> Path:
    """One file of two ROR records as a zone editor would upload them over the demo data: CUHK
    changed (inactive, another website: listed with its changes) and SZBL as it is."""
    changed = json.loads((ROR / "00t33hh48.json").read_text(encoding="utf-8"))
    changed["status"] = "inactive"
    changed["links"] = [{"type": "website", "value": "https://www.cuhk.edu.hk/english/"}]
    same = json.loads((ROR / "00sdcjz77.json").read_text(encoding="utf-8"))
    path = folder / "ror-records.json"
    path.write_text(json.dumps([changed, same]), encoding="utf-8")
    return path


WINDOW = {"width": 1280, "height": 900}
SERIOUS = {"serious", "critical"}
CURATED_LISTS = (
    Organisation,
    Facility,
    Project,
    Output,
    FactorFlow,
    PolicyInstrument,
    FundingScheme,
)


# Built for each test, not once for the module: a live_server test runs in a transactional
# database that is emptied after each test, which built_for_the_module (tests/conftest.py)
# cannot serve. The demo data loads in about a second; each test then walks every page in one
# language, in one browser context, signed in once.
@pytest.fixture
def records() -> dict[str, Any]:
    """The demo registry (real names in the three scripts); a project with rows in every
    inline (participants, funding lines, outputs, flows), longer ones added, and a second
    history row; an organisation with relations; a facility with flows and an open change
    request."""
    call_command("load_demo_data", verbosity=0)
    project = (
        Project.objects.filter(
            participations__isnull=False,
            funding_lines__isnull=False,
            outputs__isnull=False,
            flows__isnull=False,
        )
        .distinct()
        .order_by("pk")
        .first()
    )
    ParticipationFactory(
        project=project,
        organisation=OrganisationFactory(
            name_en="Hong Kong Science and Technology Parks Corporation"
        ),
    )
    FundingLineFactory(project=project)
    OutputFactory(
        project=project,
        curating_section=project.curating_section,
        title_en="A cross-boundary data corridor for clinical trials in the Loop",
        title_zh_hans="河套深港科技创新合作区跨境临床试验数据通道",
        title_zh_hant="河套深港科技創新合作區跨境臨床試驗數據通道",
        identifier="https://doi.org/10.1234/hetao.2026.000123",
    )
    project.summary_en += " Revised."
    project.save()  # a second history row: the history has a change to show
    facility = Facility.objects.filter(flows__isnull=False).order_by("pk").first()
    request = ChangeRequest.objects.create(
        target_type=ContentType.objects.get_for_model(facility),
        target_id=facility.pk,
        base_version=facility.version,
        proposed={"address": "1 Lok Ma Chau Loop Road", "website": "https://loop.example.org"},
        created_by=UserFactory(username="loop-partner"),
    )
    return {
        "project": project,
        "facility": facility,
        "organisation": Organisation.objects.filter(relations__isnull=False).first(),
        "request": request,
    }


def url(name: str, *args: Any) -> str:
    return reverse(f"admin:{name}", args=args)


def admin_pages(records: dict[str, Any]) -> dict[str, str]:
    """Every admin page type: its name (the screenshot's) and its path."""
    project, facility = records["project"], records["facility"]
    organisation = records["organisation"]
    first_version = project.history.order_by("history_id").first()
    return {
        "index": url("index"),
        **{
            f"{model._meta.model_name}-list": url(f"registry_{model._meta.model_name}_changelist")
            for model in CURATED_LISTS
        },
        "organisation-add": url("registry_organisation_add"),
        "organisation-change": url("registry_organisation_change", organisation.pk),
        "facility-add": url("registry_facility_add"),
        "facility-change": url("registry_facility_change", facility.pk),
        "project-add": url("registry_project_add"),
        "project-change": url("registry_project_change", project.pk),
        "project-history": url("registry_project_history", project.pk),
        "project-history-version": url(
            "registry_project_simple_history", project.pk, first_version.history_id
        ),
        "project-delete": url("registry_project_delete", project.pk),
        "project-retract": url("registry_project_transition", project.pk, "retract"),
        "project-deleted": url("registry_project_deleted"),
        "organisation-import": url("registry_organisation_import"),
        "organisation-export": url("registry_organisation_export"),
        "organisation-import-ror": url("registry_organisation_import_ror"),
        "review-queue": url("registry_review_queue"),
        "changerequest-list": url("registry_changerequest_changelist"),
        "changerequest-change": url("registry_changerequest_change", records["request"].pk),
        "changeevent-list": url("registry_changeevent_changelist"),
        "password-change": url("password_change"),
    }


def signed_in(browser: Any, live_server: Any, user: Any, language: str) -> Any:
    """A page of a browser context of its own, 1280×900, asking for ``language``, with
    ``user`` signed in through the admin's form."""
    context = browser.new_context(viewport=WINDOW, extra_http_headers={"Accept-Language": language})
    page = context.new_page()
    log_in(page, live_server, user)
    return page


def sideways_overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def past_the_window(page: Any) -> list[str]:
    """The innermost elements reaching past the window's right edge: what pushes it."""
    return page.evaluate(
        """() => [...document.querySelectorAll("body *")]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                && ![...e.children].some(c => c.getBoundingClientRect().right
                                                > window.innerWidth + 1))
            .slice(0, 5)
            .map(e => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}`
                + `${typeof e.className === "string" && e.className
                     ? "." + e.className.trim().split(/\\s+/).join(".") : ""}`
                + ` to ${Math.round(e.getBoundingClientRect().right)}px`)"""
    )


def inlines_wider_than_their_box(page: Any) -> list[str]:
    """The inline tables wider than their group: they need not push the page sideways to
    leave their last columns outside the form."""
    return page.evaluate(
        """() => [...document.querySelectorAll(".inline-group")]
            .filter(group => group.querySelector("table"))
            .map(group => [group.id, group.querySelector("table").getBoundingClientRect().right
                                     - group.getBoundingClientRect().right])
            .filter(([id, excess]) => excess > 1)
            .map(([id, excess]) => `${id} is ${Math.round(excess)}px wider than its box`)"""
    )


def tools_over_the_title(page: Any) -> list[str]:
    """The object tools whose box overlaps the title's: the h1, and on a change form the h2
    naming the record."""
    return page.evaluate(
        """() => {
            const titles = [...document.querySelectorAll("#content > h1, #content > h2")];
            const tools = [...document.querySelectorAll(".object-tools li")];
            const overlap = (a, b) => a.left < b.right && b.left < a.right
                && a.top < b.bottom && b.top < a.bottom;
            return tools.flatMap(tool => titles
                .filter(title => overlap(tool.getBoundingClientRect(),
                                         title.getBoundingClientRect()))
                .map(title => `"${tool.innerText.trim()}" over "${title.innerText.trim()}"`));
        }"""
    )


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page."""
    return [
        violation
        for violation in Axe().run(page).response["violations"]
        if violation["impact"] in SERIOUS
    ]


def described(violation: dict[str, Any]) -> str:
    nodes = violation["nodes"]
    return (
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(" ".join(node["target"]) for node in nodes[:3])
        + (f" (+{len(nodes) - 3} more)" if len(nodes) > 3 else "")
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_admin_page_fits_1280px_passes_axe_and_keeps_its_tools_off_the_title(
    live_server: Any,
    browser: Any,
    records: dict[str, Any],
    language: str,
    screenshot_dir: Path,
    tmp_path: Path,
) -> None:
    # The superuser reaches every page there is (the delete confirmation is theirs alone).
    page = signed_in(browser, live_server, make_superuser(), language)
    folder = screenshot_dir / "admin"
    folder.mkdir(exist_ok=True)
    problems, axe_totals = [], {}

    def check(name: str) -> None:
        assert page.locator("html").get_attribute("lang") == language, name
        page.screenshot(path=folder / f"{name}-{language}.png", full_page=True)
        if (overflow := sideways_overflow(page)) > 0:
            problems.append(
                f"{name}: scrolls sideways by {overflow}px: " + ", ".join(past_the_window(page))
            )
        problems.extend(f"{name}: {wide}" for wide in inlines_wider_than_their_box(page))
        problems.extend(f"{name}: {clash}" for clash in tools_over_the_title(page))
        violations = serious_violations(page)
        axe_totals[name] = len(violations)
        problems.extend(f"{name}: {described(violation)}" for violation in violations)

    for name, path in admin_pages(records).items():
        response = page.goto(live_server.url + path)
        assert response.status == 200, (name, path, response.status)
        check(name)
    # The pages an upload leads to: the tabular import's preview (its dry run, a bad row named)
    # and the report of a ROR dry run.
    upload = tmp_path / "organisations.csv"
    upload.write_text(IMPORTED, encoding="utf-8")
    page.goto(live_server.url + url("registry_organisation_import"))
    page.set_input_files("#id_import_file", str(upload))
    page.select_option("#id_format", label="csv")
    page.locator("#content form input[type=submit]").click()
    page.wait_for_selector("table.import-preview")
    check("organisation-import-preview")
    page.goto(live_server.url + url("registry_organisation_import_ror"))
    page.set_input_files("#id_files", str(ror_upload(tmp_path)))
    page.locator("#content form input[type=submit]").click()
    page.wait_for_selector(".registry-ror-summary")
    assert page.locator("#content table tbody tr").count() == 1  # CUHK, changed
    check("organisation-import-ror-report")
    page.context.close()
    print(f"serious or critical axe violations by page, {language}: {axe_totals}")  # for -rP
    assert problems == [], f"admin pages in {language}:\n" + "\n".join(problems)


def test_the_object_tools_are_offered_only_to_those_who_may_use_them(
    live_server: Any, browser: Any, records: dict[str, Any]
) -> None:
    hong_kong_project = records["project"]
    assert hong_kong_project.curating_section == Section.HONG_KONG
    shenzhen_project = Project.objects.filter(curating_section=Section.SHENZHEN).first()
    lists = [url(f"registry_{name}_changelist") for name in ("organisation", "facility", "project")]
    forms = {
        Section.HONG_KONG: url("registry_project_change", hong_kong_project.pk),
        Section.SHENZHEN: url("registry_project_change", shenzhen_project.pk),
    }
    ror_upload = f".object-tools a[href='{url('registry_organisation_import_ror')}']"
    workflow_buttons = ".object-tools .registry-workflow, .object-tools [class^=registry-workflow-]"
    refused = []
    for user, section in (
        (make_shenzhen_curator(), Section.SHENZHEN),
        (make_hong_kong_curator(), Section.HONG_KONG),
    ):
        page = signed_in(browser, live_server, user, "en")
        for path in [*lists, *forms.values()]:
            page.goto(live_server.url + path)
            links = page.locator(".object-tools a").evaluate_all("links => links.map(a => a.href)")
            refused.extend(
                f"{user.username} on {path}: {link} answers {status}"
                for link in links
                if (status := page.request.get(link).status) != 200
            )
        page.goto(live_server.url + url("registry_organisation_changelist"))
        assert page.locator(ror_upload).count() == 0, user.username
        for form_section, path in forms.items():
            page.goto(live_server.url + path)
            assert page.locator("a.deletelink").count() == 0, (user.username, path)
            # Their own section's record offers its transitions; the other section's none.
            offered = page.locator(workflow_buttons).count()
            assert (offered > 0) == (form_section == section), (user.username, path, offered)
        page.context.close()
    assert refused == []

    page = signed_in(browser, live_server, make_zone_editor(), "en")
    page.goto(live_server.url + url("registry_organisation_changelist"))
    assert page.locator(ror_upload).count() == 1
    page.context.close()
