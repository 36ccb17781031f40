"""Every face runs under one strict Content-Security-Policy (no 'unsafe-inline'): in a real
Chromium, the admin, Swagger UI and Redoc work with nothing blocked but what would load from
elsewhere (Redoc's off-site logo, which it then leaves out)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from registry.models import Publication
from tests.e2e.admin_helpers import admin_url, change_url, log_in
from tests.factories import FacilityFactory, ProjectFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 375, "height": 812}


def blocked_by_the_policy(page: Page) -> list[str]:
    """Start collecting what the browser reports blocking on this page."""
    reports: list[str] = []
    page.on(
        "console",
        lambda message: (
            reports.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return reports


def test_a_curator_works_through_the_admin_and_the_policy_blocks_nothing(
    live_server, page, zone_editor
):
    facility = FacilityFactory(publication=Publication.PUBLISHED)
    project = ProjectFactory()
    reports = blocked_by_the_policy(page)
    log_in(page, live_server, zone_editor)
    for url in (
        admin_url(live_server, "index"),
        admin_url(live_server, "registry_facility_changelist") + "?q=lab",
        admin_url(live_server, "registry_project_add"),
        change_url(live_server, facility),
        change_url(live_server, project),
        admin_url(live_server, "registry_organisation_import"),
        admin_url(live_server, "registry_facility_history", facility.pk),
    ):
        response = page.goto(url)
        assert response.status == 200, url
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    # The inline rows' "add another" is the admin's own script at work.
    page.goto(admin_url(live_server, "registry_project_add"))
    rows = page.locator(".dynamic-participations")
    before = rows.count()
    page.locator("#participations-group .add-row a").click()
    assert rows.count() == before + 1
    assert reports == []


def test_a_partner_reads_swagger_ui_on_a_phone_with_nothing_blocked(live_server, page):
    page.set_viewport_size(PHONE)
    reports = blocked_by_the_policy(page)
    response = page.goto(live_server.url + "/api/v1/docs/")
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 40
    page.locator(".opblock-summary", has_text="/api/v1/projects/").first.click()
    page.locator(".opblock-body").first.wait_for()
    assert reports == []


def test_a_partner_reads_redoc_on_a_phone_with_only_its_off_site_logo_blocked(live_server, page):
    page.set_viewport_size(PHONE)
    reports = blocked_by_the_policy(page)
    response = page.goto(live_server.url + "/api/v1/redoc/")
    policy = response.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "'nonce-" in policy
    page.locator("h1", has_text="Hetao Registry API").wait_for(timeout=30_000)
    page.locator("li[data-item-id]").first.wait_for(state="attached")
    assert page.locator("li[data-item-id]").count() > 40  # the menu, folded on a phone
    # Redoc's styles applied: the operations' method badges are laid out, not raw text.
    assert page.locator("span.operation-type").first.evaluate(
        "element => getComputedStyle(element).display"
    ) not in ("", "inline")
    assert len(reports) <= 1, reports
    assert all("https://cdn.redoc.ly/" in report for report in reports), reports
