"""Zone editors upload ROR records in the admin, dry run first."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import strip_tags

from registry.importers.ror import import_ror_records
from registry.models import Organisation, OrganisationRelation
from tests.admin.test_every_page_in_chinese import LANGUAGES, english_left, stored_words

pytestmark = pytest.mark.django_db

ROR = Path(__file__).resolve().parents[2] / "fixtures" / "ror"
URL = "admin:registry_organisation_import_ror"
CUHK, HKU, SZU = "00t33hh48.json", "02zhqgq86.json", "01vy4gh70.json"


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (ROR / name).read_bytes(), "application/json")


def record(name: str) -> dict[str, Any]:
    return json.loads((ROR / name).read_text(encoding="utf-8"))


def upload_record(name: str, data: dict[str, Any]) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, json.dumps(data).encode(), "application/json")


def changed_cuhk() -> dict[str, Any]:
    """CUHK's record as a later ROR release might give it: inactive, founded a year later, in
    Macao, its Eye Hospital relation gone."""
    data = record(CUHK)
    data["status"] = "inactive"
    data["established"] = 1964
    data["locations"][0]["geonames_details"]["country_code"] = "MO"
    data["relationships"] = [r for r in data["relationships"] if "Eye" not in r["label"]]
    return data


def stored_state() -> tuple[list, list, int]:
    organisations = list(Organisation._base_manager.order_by("pk").values())
    relations = list(OrganisationRelation._base_manager.order_by("pk").values())
    history = Organisation.history.count() + OrganisationRelation.history.count()
    return organisations, relations, history


def report_rows(page: str) -> list[tuple[str, ...]]:
    """The report's table of created and updated organisations as text: per row its public id,
    ROR id, name and action, then each listed change."""
    table = re.search(r'(?s)<table class="registry-ror-rows">.*?<tbody>(.*?)</tbody>', page)
    rows = []
    for row in re.findall(r"(?s)<tr>(.*?)</tr>", table.group(1)):
        *cells, changes = re.findall(r"(?s)<t[dh][^>]*>(.*?)</t[dh]>", row)
        items = re.findall(r"(?s)<li>(.*?)</li>", changes) or [changes]
        rows.append(tuple(html.unescape(strip_tags(text)).strip() for text in [*cells, *items]))
    return rows


def test_a_zone_editor_dry_runs_then_imports_ror_records(client, zone_editor):
    client.force_login(zone_editor)
    dry = client.post(
        reverse(URL),
        {"files": [upload("02zhqgq86.json"), upload("00t33hh48.json")], "dry_run": "on"},
    )
    assert dry.status_code == 200
    assert "created 2, updated 0, unchanged 0, errors 0" in dry.content.decode()
    assert not Organisation.objects.exists()

    done = client.post(reverse(URL), {"files": [upload("02zhqgq86.json")]})
    assert "created 1" in done.content.decode()
    hku = Organisation.objects.get(ror_id="https://ror.org/02zhqgq86")
    assert hku.history.get().history_user == zone_editor


def test_a_dump_zip_imports_and_a_bad_file_is_reported_not_fatal(client, zone_editor):
    client.force_login(zone_editor)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as dump:
        dump.writestr("dump.json", "[" + (ROR / "03q8dnn23.json").read_text() + "]")
    response = client.post(
        reverse(URL),
        {
            "files": [
                SimpleUploadedFile("dump.zip", buffer.getvalue(), "application/zip"),
                SimpleUploadedFile("broken.json", b"{not json", "application/json"),
            ]
        },
    )
    page = response.content.decode()
    assert "created 1" in page and "errors 1" in page and "broken.json" in page
    assert Organisation.objects.filter(ror_id="https://ror.org/03q8dnn23").exists()


def test_a_file_of_another_type_is_refused_with_a_message(client, zone_editor):
    client.force_login(zone_editor)
    response = client.post(
        reverse(URL), {"files": [SimpleUploadedFile("orgs.csv", b"a,b", "text/csv")]}
    )
    assert "neither a .json file nor a .zip dump" in response.content.decode()


def test_a_section_curator_cannot_import_ror_records(client, hong_kong_curator):
    client.force_login(hong_kong_curator)
    assert client.get(reverse(URL)).status_code == 403
    response = client.post(reverse(URL), {"files": [upload("02zhqgq86.json")]})
    assert response.status_code == 403
    assert not Organisation.objects.exists()


def test_the_organisation_list_offers_the_ror_upload_only_to_those_who_may_use_it(
    client, zone_editor, hong_kong_curator
):
    upload_link = f'href="{reverse(URL)}"'
    changelist = reverse("admin:registry_organisation_changelist")
    client.force_login(zone_editor)
    assert upload_link in client.get(changelist).content.decode()
    client.force_login(hong_kong_curator)
    page = client.get(changelist).content.decode()
    assert upload_link not in page and "Import ROR records" not in page


def test_a_zone_editors_dry_run_lists_each_change_with_old_and_new_values_and_writes_nothing(
    client, zone_editor
):
    import_ror_records([record(CUHK), record(HKU)])
    cuhk = Organisation.objects.get(ror_id="https://ror.org/00t33hh48")
    before = stored_state()
    client.force_login(zone_editor)

    response = client.post(
        reverse(URL),
        {
            "files": [upload_record(CUHK, changed_cuhk()), upload(HKU), upload(SZU)],
            "dry_run": "on",
        },
    )

    page = response.content.decode()
    assert "created 1, updated 1, unchanged 1, errors 0" in page
    assert "Organisations that would be created or updated" in page
    # HKU is unchanged: counted, not listed.
    assert report_rows(page) == [
        (
            cuhk.public_id,
            "https://ror.org/00t33hh48",
            "Chinese University of Hong Kong",
            "updated",
            "status: Active → Inactive",
            "established (year): 1963 → 1964",
            "country: Hong Kong → Macao",
            "jurisdiction: Hong Kong → Macao",
            "relationships: Hong Kong Eye Hospital (Related) → —",
        ),
        ("—", "https://ror.org/01vy4gh70", "Shenzhen University", "created", "—"),
    ]
    assert stored_state() == before


def test_an_import_in_the_admin_lists_what_it_did(client, zone_editor):
    import_ror_records([record(CUHK)])
    client.force_login(zone_editor)

    response = client.post(reverse(URL), {"files": [upload_record(CUHK, changed_cuhk())]})

    page = response.content.decode()
    assert "Organisations created or updated" in page
    (row,) = report_rows(page)
    assert row[3:6] == ("updated", "status: Active → Inactive", "established (year): 1963 → 1964")
    stored = Organisation.objects.get(ror_id="https://ror.org/00t33hh48")
    assert (stored.status, stored.established, stored.version) == ("inactive", 1964, 2)


def test_an_import_changing_nothing_lists_nothing(client, zone_editor):
    import_ror_records([record(HKU)])
    client.force_login(zone_editor)

    page = client.post(reverse(URL), {"files": [upload(HKU)], "dry_run": "on"}).content.decode()

    assert "created 0, updated 0, unchanged 1, errors 0" in page
    assert "registry-ror-rows" not in page


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_dry_runs_list_of_changes_reads_in_chinese(client, zone_editor, language):
    import_ror_records([record(CUHK)])
    client.force_login(zone_editor)

    response = client.post(
        reverse(URL),
        {"files": [upload_record(CUHK, changed_cuhk())], "dry_run": "on"},
        headers=LANGUAGES[language],
    )

    page = response.content.decode()
    (row,) = report_rows(page)
    expected = {
        "zh-hans": ("更新", "国家/地区：香港 → 澳门"),
        "zh-hant": ("更新", "國家/地區：香港 → 澳門"),
    }
    assert (row[3], row[6]) == expected[language]
    assert english_left(page, stored_words()) == []
