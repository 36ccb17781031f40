"""Two curators edit the same record at once: the second save, based on what they loaded before
the first one landed, is refused instead of silently overwriting it."""

import pytest
from playwright.sync_api import expect

from registry.models import Organisation, Section
from tests.e2e.admin_helpers import change_url, error_message, log_in, success_message
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_second_of_two_curators_saving_the_same_record_is_told_someone_else_saved_it(
    live_server, browser, shenzhen_curator, second_shenzhen_curator, screenshot_dir
):
    organisation = OrganisationFactory(
        name_en="Shenzhen Bay Materials Laboratory",
        acronym="SBML",
        jurisdiction=Organisation.Jurisdiction.MAINLAND,
        country="CN",
        curating_section=Section.SHENZHEN,
    )
    version = organisation.version
    history_rows = organisation.history.count()
    first_context, second_context = browser.new_context(), browser.new_context()
    try:
        first, second = first_context.new_page(), second_context.new_page()
        log_in(first, live_server, shenzhen_curator)
        log_in(second, live_server, second_shenzhen_curator)
        url = change_url(live_server, organisation)
        first.goto(url)
        second.goto(url)
        expect(first.locator("#id_acronym")).to_have_value("SBML")
        expect(second.locator("#id_acronym")).to_have_value("SBML")

        first.fill("#id_acronym", "SBML-1")
        first.click("input[name=_continue]")
        expect(success_message(first)).to_contain_text("was changed successfully")
        expect(first.locator(".registry-state")).to_contain_text(f"version {version + 1}")

        second.fill("#id_acronym", "SBML-2")
        second.click("input[name=_continue]")
        second.wait_for_load_state()
        second.screenshot(path=screenshot_dir / "admin_stale_edit_second_save.png", full_page=True)
        expect(second.locator(".errornote")).to_be_visible()
        stale = second.locator("#content-main .errorlist.nonfield")
        expect(stale).to_contain_text("Someone else saved this record")
        expect(stale).to_contain_text(f"version {version + 1}, by {shenzhen_curator.username}")
        expect(stale).to_contain_text("Your changes were not saved")
        expect(success_message(second)).to_have_count(0)
        expect(error_message(second)).to_have_count(0)
        expect(second.locator("#id_acronym")).to_have_value("SBML-2")  # kept, to copy from
    finally:
        first_context.close()
        second_context.close()

    organisation.refresh_from_db()
    assert organisation.acronym == "SBML-1"
    assert organisation.version == version + 1
    assert organisation.updated_by == shenzhen_curator
    assert organisation.history.count() == history_rows + 1
    assert organisation.history.latest().history_user == shenzhen_curator
