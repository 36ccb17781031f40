"""Zone editors upload ROR records in the admin, dry run first."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from registry.models import Organisation

pytestmark = pytest.mark.django_db

ROR = Path(__file__).resolve().parents[2] / "fixtures" / "ror"
URL = "admin:registry_organisation_import_ror"


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (ROR / name).read_bytes(), "application/json")


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
