"""Curators add records in a real browser and move them through review: submit, then publish by
a second pair of eyes."""

import re

import pytest
from playwright.sync_api import expect

from registry import workflow
from registry.models import Facility, Organisation, Project, Publication, Section, Verification
from tests.e2e.admin_helpers import (
    admin_url,
    change_url,
    log_in,
    pick_autocomplete,
    success_message,
)
from tests.factories import OrganisationFactory, ParticipationFactory, ProjectFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SOURCE = "https://example.org/x"


def test_a_shenzhen_curator_adds_a_facility_and_a_cross_border_project_and_submits_it(
    live_server, page, shenzhen_curator, screenshot_dir
):
    hong_kong_org = OrganisationFactory(
        name_en="Harbourside Polytechnic University",
        jurisdiction=Organisation.Jurisdiction.HONG_KONG,
        country="HK",
        curating_section=Section.HONG_KONG,
        publication=Publication.PUBLISHED,
    )
    shenzhen_org = OrganisationFactory(
        name_en="Futian Quantum Institute",
        kind=Organisation.Kind.RESEARCH_INSTITUTE,
        jurisdiction=Organisation.Jurisdiction.MAINLAND,
        country="CN",
        curating_section=Section.SHENZHEN,
        publication=Publication.PUBLISHED,
    )
    log_in(page, live_server, shenzhen_curator)

    # A facility, named in three scripts on one row.
    page.goto(admin_url(live_server, "registry_facility_add"))
    names = page.locator(".form-row.field-name_en")
    expect(names.locator("#id_name_zh_hans")).to_be_visible()
    expect(names.locator("#id_name_zh_hant")).to_be_visible()
    page.fill("#id_name_en", "Lok Ma Chau Photonics Laboratory")
    page.fill("#id_name_zh_hans", "落马洲光子实验室")
    page.fill("#id_name_zh_hant", "落馬洲光子實驗室")
    page.select_option("#id_kind", label="Laboratory")
    page.select_option("#id_status", label="Under construction")
    page.select_option("#id_section", label="Shenzhen Park")
    page.select_option("#id_curating_section", label="Shenzhen")
    page.fill("#id_sources_0", SOURCE)  # one field per address
    page.select_option("#id_verification", label="Verified against a secondary source")
    page.screenshot(path=screenshot_dir / "admin_facility_add_three_scripts.png", full_page=True)
    page.click("input[name=_save]")
    expect(success_message(page)).to_contain_text("Lok Ma Chau Photonics Laboratory")

    facility = Facility.objects.get(name_en="Lok Ma Chau Photonics Laboratory")
    assert facility.name_zh_hans == "落马洲光子实验室"
    assert facility.name_zh_hant == "落馬洲光子實驗室"
    assert facility.kind == Facility.Kind.LABORATORY
    assert facility.status == Facility.Status.UNDER_CONSTRUCTION
    assert facility.section == Facility.Location.SHENZHEN
    assert facility.curating_section == Section.SHENZHEN
    assert facility.sources == [SOURCE]
    assert facility.verification == Verification.VERIFIED_SECONDARY
    assert facility.publication == Publication.DRAFT
    assert facility.created_by == shenzhen_curator

    # A project with a Hong Kong and a Shenzhen participant, added as inline rows.
    page.goto(admin_url(live_server, "registry_project_add"))
    page.fill("#id_title_en", "Cross-river photonic sensing")
    page.fill("#id_title_zh_hans", "跨河光子传感")
    page.fill("#id_title_zh_hant", "跨河光子傳感")
    page.select_option("#id_status", label="Active")
    page.select_option("#id_curating_section", label="Shenzhen")
    page.fill("#id_sources_0", SOURCE)
    page.select_option("#id_verification", label="Unverified")

    add_row = page.locator("#participations-group .add-row a")
    add_row.click()
    add_row.click()
    expect(page.locator("#participations-group tr.form-row.dynamic-participations")).to_have_count(
        2
    )
    pick_autocomplete(
        page, "#participations-0 .field-organisation", "Harbourside", hong_kong_org.name_en
    )
    page.select_option("#id_participations-0-role", label="Lead")
    pick_autocomplete(page, "#participations-1 .field-organisation", "Futian", shenzhen_org.name_en)
    pick_autocomplete(page, "#participations-1 .field-facility", "Photonics", facility.name_en)
    page.select_option("#id_participations-1-role", label="Partner")
    page.screenshot(path=screenshot_dir / "admin_project_add_two_participants.png", full_page=True)
    page.click("input[name=_continue]")
    expect(success_message(page)).to_contain_text("Cross-river photonic sensing")

    project = Project.objects.get(title_en="Cross-river photonic sensing")
    assert project.publication == Publication.DRAFT
    assert project.participations.count() == 2

    # The change form offers the workflow: submit it for review.
    submit = page.locator("button.registry-workflow-submit")
    expect(submit).to_have_text("Submit for review")
    submit.click()
    # The admin's message list capitalises the first letter: "Prj-…".
    expect(success_message(page)).to_contain_text(
        re.compile(f"{project.public_id}: Submit for review", re.IGNORECASE)
    )
    expect(page.locator(".registry-state")).to_contain_text("In review")
    expect(page.locator("button.registry-workflow-publish")).to_have_count(0)  # four eyes
    page.screenshot(path=screenshot_dir / "admin_project_submitted_for_review.png", full_page=True)

    project.refresh_from_db()
    assert project.publication == Publication.IN_REVIEW
    assert project.submitted_by == shenzhen_curator
    assert project.submitted_at is not None
    assert project.participations.count() == 2
    assert set(project.participations.values_list("organisation", "role", "facility")) == {
        (hong_kong_org.pk, "lead", None),
        (shenzhen_org.pk, "partner", facility.pk),
    }
    assert project.cross_border is True
    assert project.created_by == shenzhen_curator


def _project_in_review(submitter) -> Project:
    project = ProjectFactory(
        title_en="Shenzhen River sediment sensing",
        curating_section=Section.SHENZHEN,
        publication=Publication.DRAFT,
    )
    ParticipationFactory(
        project=project,
        organisation=OrganisationFactory(jurisdiction=Organisation.Jurisdiction.HONG_KONG),
        role="lead",
    )
    ParticipationFactory(
        project=project,
        organisation=OrganisationFactory(
            jurisdiction=Organisation.Jurisdiction.MAINLAND,
            country="CN",
            curating_section=Section.SHENZHEN,
        ),
    )
    return workflow.submit(Project.objects.get(pk=project.pk), user=submitter)


def test_the_submitter_cannot_publish_but_a_second_shenzhen_curator_can(
    live_server, page, browser, shenzhen_curator, second_shenzhen_curator, screenshot_dir
):
    project = _project_in_review(shenzhen_curator)
    version = project.version

    # The submitter sees the record in review and no Publish button.
    log_in(page, live_server, shenzhen_curator)
    page.goto(change_url(live_server, project))
    expect(page.locator(".registry-state")).to_contain_text("In review")
    expect(page.locator("button.registry-workflow-publish")).to_have_count(0)
    expect(page.get_by_role("button", name="Publish")).to_have_count(0)
    expect(page.locator("button.registry-workflow-reopen")).to_be_visible()
    page.screenshot(path=screenshot_dir / "admin_submitter_sees_no_publish.png", full_page=True)

    # A second curator of the section publishes it.
    context = browser.new_context()
    try:
        other = context.new_page()
        log_in(other, live_server, second_shenzhen_curator)
        other.goto(change_url(live_server, project))
        publish = other.locator("button.registry-workflow-publish")
        expect(publish).to_have_text("Publish")
        publish.click()
        expect(success_message(other)).to_contain_text(
            re.compile(f"{project.public_id}: Publish", re.IGNORECASE)
        )
        expect(other.locator(".registry-state")).to_contain_text("Published")
        expect(other.locator("button.registry-workflow-publish")).to_have_count(0)
        expect(other.locator(".registry-workflow-retract")).to_be_visible()
        other.screenshot(path=screenshot_dir / "admin_second_curator_published.png", full_page=True)
    finally:
        context.close()

    project.refresh_from_db()
    assert project.publication == Publication.PUBLISHED
    assert project.published_at is not None
    assert project.submitted_by == shenzhen_curator
    assert project.updated_by == second_shenzhen_curator
    assert project.version == version + 1
    assert project.history.latest().history_change_reason == "publish"
