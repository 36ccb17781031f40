"""A curator of the other section reads a record but cannot change it, in the page or around it."""

import pytest
from playwright.sync_api import expect

from registry.models import Project, Publication, Section
from tests.e2e.admin_helpers import admin_url, change_url, log_in
from tests.factories import ProjectFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_hong_kong_curator_sees_a_shenzhen_project_read_only_and_a_forged_post_is_refused(
    live_server, page, hong_kong_curator, screenshot_dir
):
    project = ProjectFactory(
        title_en="Shenzhen-only microfluidics line",
        curating_section=Section.SHENZHEN,
        publication=Publication.DRAFT,
    )
    before = Project.objects.values().get(pk=project.pk)
    history_rows = project.history.count()
    log_in(page, live_server, hong_kong_curator)

    url = change_url(live_server, project)
    page.goto(url)
    expect(page.locator("#content h1")).to_contain_text("View project")
    expect(page.locator(".registry-state")).to_contain_text(project.public_id)
    expect(page.locator("#content")).to_contain_text("Shenzhen-only microfluidics line")
    expect(page.locator("input[name=_save]")).to_have_count(0)
    expect(page.locator("input[name=_continue]")).to_have_count(0)
    expect(page.locator("input[type=submit]")).to_have_count(0)
    expect(page.locator("form.registry-workflow")).to_have_count(0)
    expect(page.locator("[class*=registry-workflow-]")).to_have_count(0)
    expect(page.get_by_role("button", name="Submit for review")).to_have_count(0)
    expect(page.locator("input[name=title_en]")).to_have_count(0)  # no editable field at all
    page.screenshot(path=screenshot_dir / "admin_other_section_read_only.png", full_page=True)

    # Posting the change form anyway, with a valid session and CSRF token, is refused.
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    forged = {
        "csrfmiddlewaretoken": csrf,
        "title_en": "Taken over from Hong Kong",
        "status": Project.Status.ACTIVE,
        "curating_section": Section.HONG_KONG,
        "sources": '["https://example.org/x"]',
        "verification": "unverified",
        "expected_version": str(project.version),
        "participations-TOTAL_FORMS": "0",
        "participations-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    response = page.request.post(url, form=forged, headers={"Referer": url})
    assert response.status == 403
    assert "CSRF" not in response.text()  # refused for want of permission, not for the token

    # So is the workflow behind the buttons it was not shown.
    for transition in ("submit", "publish", "reopen"):
        response = page.request.post(
            admin_url(live_server, "registry_project_transition", project.pk, transition),
            form={"csrfmiddlewaretoken": csrf, "transition": transition},
            headers={"Referer": url},
        )
        assert response.status == 403, transition
        assert "CSRF" not in response.text(), transition

    assert Project.objects.values().get(pk=project.pk) == before
    assert project.history.count() == history_rows
