"""No upload can make a worker balloon: files over the caps are refused, with a message that
names the file and the cap, before anything parses them, and nothing is written."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from functools import partial
from pathlib import Path

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from registry.models import Organisation

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
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


# Run in a fresh process (a registry of its own on SQLite), so that its peak memory is the
# upload's alone: files at the caps are built first, then the peak is reset (Linux's
# clear_refs) and each is posted to the admin's import as a curator would.
MEMORY_PROBE = r"""
import gc, io, resource, zipfile, tablib
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024

headers = ["name_en", "kind", "jurisdiction", "country", "city"]
csv = tablib.Dataset(headers=headers)
for n in range(100_000):
    csv.append([f"Lab {n} " + "x" * 60, "university", "hong_kong", "HK", "Hong Kong"])
csv = csv.export("csv").encode()[: settings.REGISTRY_UPLOAD_MAX_BYTES]
csv = csv[: csv.rfind(b"\n") + 1]
xlsx = tablib.Dataset(headers=headers)
for n in range(115_000):
    xlsx.append([f"Lab {n} " + "y" * 120, "university", "hong_kong", "HK", "Hong Kong"])
xlsx = xlsx.export("xlsx")
unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(xlsx)).infolist())
assert unpacked <= settings.REGISTRY_UPLOAD_MAX_UNZIPPED_BYTES, unpacked
user = get_user_model().objects.create(username="probe", is_staff=True, is_superuser=True)
client = Client()
client.force_login(user)
client.get("/admin/registry/organisation/import/")
for name, data, fmt in (("at-cap.csv", csv, "0"), ("at-cap.xlsx", xlsx, "1")):
    gc.collect()
    open("/proc/self/clear_refs", "w").write("5")
    resting = status("VmRSS:")
    page = client.post("/admin/registry/organisation/import/",
        {"import_file": SimpleUploadedFile(name, data), "format": fmt, "resource": "0"})
    assert page.status_code == 200 and b"Split it" in page.content, page.content[-500:]
    print(name, len(data), round(status("VmHWM:") - resting))
"""


def test_uploads_at_the_caps_grow_a_worker_by_less_than_200_mib(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip(
            "measured once, in the SQLite pass: the probe runs a SQLite registry of its own"
        )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REGISTRY_"))},
        "DJANGO_SETTINGS_MODULE": "hetao.settings",
        "DJANGO_SECRET_KEY": "memory-probe-" + "x" * 40,
        "DJANGO_DEBUG": "1",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        "REGISTRY_CACHE_DIR": str(tmp_path / "cache"),
    }
    run = partial(subprocess.run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    migrated = run([sys.executable, "manage.py", "migrate", "-v0"])
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    probe = run([sys.executable, "manage.py", "shell", "-c", MEMORY_PROBE])
    assert probe.returncode == 0, probe.stdout[-2000:] + probe.stderr[-3000:]
    rows = [line.split() for line in probe.stdout.splitlines() if line.startswith("at-cap.")]
    grown = {name: int(mib) for name, _size, mib in rows}
    assert set(grown) == {"at-cap.csv", "at-cap.xlsx"}, probe.stdout
    print("MiB above resting, per upload at the caps:", grown)
    assert max(grown.values()) < 200, grown
