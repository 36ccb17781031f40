"""A curator imports organisations from a CSV file through the admin: a dry run first, whose
preview names each bad row and column, and nothing is stored until the import is confirmed."""

import csv
import re

import pytest
from playwright.sync_api import expect

from registry.models import Organisation, Publication, Section, Verification
from tests.e2e.admin_helpers import admin_url, log_in, success_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

COLUMNS = (
    "id",
    "name_en",
    "name_zh_hans",
    "name_zh_hant",
    "kind",
    "jurisdiction",
    "country",
    "curating_section",
    "sources",
    "verification",
    "as_of",
)
GOOD = {
    "id": "",
    "name_en": "Hetao Synthetic Biology Institute",
    "name_zh_hans": "河套合成生物研究院",
    "name_zh_hant": "河套合成生物研究院",
    "kind": "research_institute",
    "jurisdiction": "mainland",
    "country": "CN",
    "curating_section": "shenzhen",
    "sources": "https://example.org/x; https://example.org/y",
    "verification": "verified_secondary",
    "as_of": "2026-01-15",
}
BAD = {**GOOD, "name_en": "Orbital Research Launchpad", "name_zh_hans": "", "name_zh_hant": ""}
BAD["kind"] = "spaceship"


def _write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _upload(page, live_server, path):
    page.goto(admin_url(live_server, "registry_organisation_changelist"))
    page.locator("a.import_link").click()
    page.wait_for_url(admin_url(live_server, "registry_organisation_import"))
    page.set_input_files("#id_import_file", str(path))
    page.select_option("#id_format", label="csv")
    page.locator("input[type=submit][value=Submit]").click()


def test_a_csv_import_dry_run_names_the_bad_row_and_column_and_a_clean_file_is_confirmed(
    live_server, page, shenzhen_curator, tmp_path, screenshot_dir
):
    log_in(page, live_server, shenzhen_curator)

    # One good row and one bad one: the preview names row 2, column "kind"; nothing is stored.
    _upload(page, live_server, _write_csv(tmp_path / "mixed.csv", [GOOD, BAD]))
    expect(page.locator("#content h2")).to_have_text("Some rows failed to validate")
    invalid = page.locator("table.import-preview tbody tr")
    expect(invalid).to_have_count(1)
    row = invalid.first
    expect(row.locator("td").first).to_have_text("2")
    errors = row.locator("td.errors")
    expect(errors.locator(".validation-error-field-label")).to_have_text(["kind"])
    expect(errors.locator(".validation-error-list")).to_contain_text("'spaceship'")
    expect(errors.locator(".validation-error-list")).to_contain_text("not a valid choice")
    expect(row).to_contain_text("Orbital Research Launchpad")
    expect(page.locator("input[name=confirm]")).to_have_count(0)
    errors.hover()  # the error list shows on hover
    page.screenshot(path=screenshot_dir / "admin_import_preview_bad_row.png", full_page=True)
    assert not Organisation.objects.filter(name_en__in=[GOOD["name_en"], BAD["name_en"]]).exists()

    # The fixed file: the preview shows the new row, and only "Confirm import" stores it.
    _upload(page, live_server, _write_csv(tmp_path / "clean.csv", [GOOD]))
    expect(page.locator("#content h2")).to_have_text("Preview")
    preview = page.locator("table.import-preview tr.new")
    expect(preview).to_have_count(1)
    expect(preview.locator("td.import-type")).to_have_text("New")
    expect(preview).to_contain_text(GOOD["name_en"])
    expect(preview).to_contain_text(GOOD["name_zh_hans"])
    page.screenshot(path=screenshot_dir / "admin_import_preview_clean.png", full_page=True)
    assert not Organisation.objects.filter(name_en=GOOD["name_en"]).exists()

    page.locator("input[name=confirm]").click()
    expect(success_message(page)).to_contain_text(
        re.compile(r"Import finished: 1 new, 0 updated, 0 deleted and 0 skipped")
    )
    expect(page.locator("#result_list")).to_contain_text(GOOD["name_en"])
    page.screenshot(path=screenshot_dir / "admin_import_confirmed.png", full_page=True)

    organisation = Organisation.objects.get(name_en=GOOD["name_en"])
    assert organisation.name_zh_hans == GOOD["name_zh_hans"]
    assert organisation.kind == Organisation.Kind.RESEARCH_INSTITUTE
    assert organisation.jurisdiction == Organisation.Jurisdiction.MAINLAND
    assert organisation.country == "CN"
    assert organisation.curating_section == Section.SHENZHEN
    assert organisation.sources == ["https://example.org/x", "https://example.org/y"]
    assert organisation.verification == Verification.VERIFIED_SECONDARY
    assert str(organisation.as_of) == "2026-01-15"
    assert organisation.publication == Publication.DRAFT
    assert organisation.version == 1
    assert organisation.created_by == shenzhen_curator
    assert organisation.history.count() == 1
    assert organisation.history.get().history_user == shenzhen_curator
    assert not Organisation.objects.filter(name_en=BAD["name_en"]).exists()
