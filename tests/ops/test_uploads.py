"""No upload can make a worker balloon: files over the caps are refused, with a message that
names the file and the cap, before anything parses them, and nothing is written."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from registry.models import Organisation

pytestmark = pytest.mark.django_db

IMPORT = "admin:registry_organisation_import"
ROR_IMPORT = "admin:registry_organisation_import_ror"
CSV, XLSX = "0", "1"


def organisations_csv(count: int) -> bytes:
    data = tablib.Dataset(headers=["name_en", "kind", "jurisdiction", "country"])
    for number in range(count):
        data.append([f"Lab {number}", "university", "hong_kong", "HK"])
    return data.export("csv").encode()


def zip_bomb(member: str, unpacked: int) -> bytes:
    """A small zip whose one member unpacks to ``unpacked`` bytes of zeros."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open(member, "w", force_zip64=True) as out,
    ):
        chunk = b"\0" * (1024 * 1024)
        for _ in range(unpacked // len(chunk)):
            out.write(chunk)
    return buffer.getvalue()


def import_page(client, upload: SimpleUploadedFile, fmt: str = CSV) -> str:
    response = client.post(reverse(IMPORT), {"import_file": upload, "format": fmt, "resource": "0"})
    assert response.status_code == 200
    return response.content.decode()


def test_a_csv_over_the_size_cap_is_refused_naming_the_file_and_the_cap(
    client, hong_kong_curator, settings
):
    settings.REGISTRY_UPLOAD_MAX_BYTES = 2048
    client.force_login(hong_kong_curator)
    page = import_page(client, SimpleUploadedFile("big.csv", organisations_csv(200), "text/csv"))
    assert "big.csv is" in page and "an upload may be at most 2.0" in page
    assert not Organisation.objects.exists()


def test_an_xlsx_zip_bomb_is_refused_before_it_is_opened(client, hong_kong_curator):
    bomb = zip_bomb("xl/worksheets/sheet1.xml", 60 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024  # small as sent: only its directory gives it away
    client.force_login(hong_kong_curator)
    page = import_page(client, SimpleUploadedFile("orgs.xlsx", bomb), fmt=XLSX)
    assert "orgs.xlsx unpacks to 60.0" in page and "at most 50.0" in page
    assert not Organisation.objects.exists()


def test_a_table_of_more_rows_than_an_import_may_hold_writes_nothing_and_says_split_it(
    client, hong_kong_curator, settings
):
    settings.REGISTRY_IMPORT_MAX_ROWS = 3
    client.force_login(hong_kong_curator)
    page = import_page(client, SimpleUploadedFile("orgs.csv", organisations_csv(4), "text/csv"))
    assert "The file has 4 rows; one import may hold at most 3. Split it." in page
    assert not Organisation.objects.exists()


def test_a_table_within_the_row_cap_still_imports(client, hong_kong_curator, settings):
    settings.REGISTRY_IMPORT_MAX_ROWS = 3
    client.force_login(hong_kong_curator)
    page = import_page(client, SimpleUploadedFile("orgs.csv", organisations_csv(3), "text/csv"))
    assert "Split it" not in page and "Lab 2" in page  # the dry-run preview


def test_a_ror_zip_bomb_is_refused_in_the_admin_too(client, zone_editor):
    client.force_login(zone_editor)
    bomb = SimpleUploadedFile("ror.zip", zip_bomb("ror-data.json", 60 * 1024 * 1024))
    response = client.post(reverse(ROR_IMPORT), {"files": [bomb], "dry_run": "on"})
    assert response.status_code == 200
    assert "ror.zip unpacks to 60.0" in response.content.decode()
    assert not Organisation.objects.exists()


def test_an_api_body_over_django_s_cap_is_a_413_problem(api_as, hong_kong_partner, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"names": {"en": "x" * 2000}})
    response = api_as(hong_kong_partner).post(
        "/api/v1/facilities/", body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize("depth", [21, 1_000, 100_000])
def test_a_json_body_nested_deeper_than_any_record_is_a_400_problem(
    api_as, hong_kong_partner, depth
):
    body = '{"names": ' + "[" * depth + "]" * depth + "}"
    response = api_as(hong_kong_partner).post(
        "/api/v1/facilities/", body, content_type="application/json"
    )
    assert response.status_code == 400, response.content[:300]
    assert "nests deeper than 20 levels" in response.json()["detail"]
