"""Curators bring organisations, facilities and projects in from CSV, XLSX and JSON files."""

from __future__ import annotations

import io
import json

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from registry.importers.tabular import FacilityResource, OrganisationResource, ProjectResource
from registry.models import Facility, Organisation, Participation, Project, Publication, Section
from tests.factories import FacilityFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

SOURCE = "https://www.info.gov.hk/gia/general/202505/07/P2025050700335p.htm"


def dataset(rows: list[dict]) -> tablib.Dataset:
    data = tablib.Dataset(headers=list(rows[0]))
    for row in rows:
        data.append([row[h] for h in data.headers])
    return data


def org_row(**overrides: str) -> dict:
    row = {
        "id": "",
        "name_en": "Hong Kong Science and Technology Parks Corporation",
        "name_zh_hans": "香港科技园公司",
        "name_zh_hant": "香港科技園公司",
        "acronym": "HKSTP",
        "aliases": "Science Park; 科技園",
        "kind": "public_body",
        "jurisdiction": "hong_kong",
        "country": "HK",
        "city": "Shatin",
        "ror_id": "https://ror.org/05q8mqd91",
        "curating_section": "hong_kong",
        "sources": SOURCE,
        "verification": "verified_primary",
        "as_of": "2026-11-25",
    }
    row.update(overrides)
    return row


def run(resource_class, rows, user, dry_run=False):
    return resource_class(user=user).import_data(dataset(rows), dry_run=dry_run, user=user)


def history_rows() -> int:
    return sum(m.history.count() for m in (Organisation, Facility, Project, Participation))


def test_a_hong_kong_curator_imports_an_organisation_with_names_in_three_scripts(hong_kong_curator):
    result = run(OrganisationResource, [org_row()], hong_kong_curator)
    assert not result.has_errors() and not result.has_validation_errors()
    stored = Organisation.objects.get(ror_id="https://ror.org/05q8mqd91")
    assert (stored.name_zh_hans, stored.name_zh_hant) == ("香港科技园公司", "香港科技園公司")
    assert stored.aliases == ["Science Park", "科技園"]
    assert stored.sources == [SOURCE]
    assert stored.publication == Publication.DRAFT  # imports enter as drafts
    assert stored.history.get().history_user == hong_kong_curator


def test_importing_the_same_file_twice_makes_no_change_and_no_history(hong_kong_curator):
    run(
        OrganisationResource,
        [org_row(), org_row(name_en="HSITP Ltd", ror_id="", acronym="")],
        hong_kong_curator,
    )
    before_history, before_versions = (
        history_rows(),
        list(Organisation.objects.values_list("version", flat=True)),
    )
    result = run(
        OrganisationResource,
        [org_row(), org_row(name_en="HSITP Ltd", ror_id="", acronym="")],
        hong_kong_curator,
    )
    assert result.totals["skip"] == 2 and result.totals["new"] == 0
    assert result.totals["update"] == 0
    assert history_rows() == before_history
    assert list(Organisation.objects.values_list("version", flat=True)) == before_versions


def test_a_row_with_a_public_id_updates_that_record(hong_kong_curator):
    existing = OrganisationFactory(curating_section=Section.HONG_KONG, city="Old City")
    result = run(
        OrganisationResource,
        [org_row(id=existing.public_id, ror_id="", city="Shatin", name_en=existing.name_en)],
        hong_kong_curator,
    )
    assert result.totals["update"] == 1
    stored = Organisation.objects.get(pk=existing.pk)
    assert (stored.city, stored.version) == ("Shatin", 2)
    assert Organisation.objects.count() == 1


def test_a_mistyped_public_id_is_an_error_on_the_id_column_and_nothing_is_written(
    hong_kong_curator,
):
    existing = OrganisationFactory(curating_section=Section.HONG_KONG)
    typo = existing.public_id[:-1] + ("0" if existing.public_id[-1] != "0" else "1")
    result = run(OrganisationResource, [org_row(id=typo)], hong_kong_curator)
    assert result.has_validation_errors()
    invalid = result.invalid_rows[0]
    assert invalid.number == 1 and "id" in invalid.error_dict
    assert Organisation.objects.count() == 1


def test_bad_values_are_reported_by_row_and_column(hong_kong_curator):
    rows = [
        org_row(),
        org_row(name_en="Bad Kind Ltd", ror_id="", kind="spaceship"),
        org_row(name_en="Bad Link Ltd", ror_id="", sources="not a url"),
    ]
    result = run(OrganisationResource, rows, hong_kong_curator)
    errors = {row.number: set(row.error_dict) for row in result.invalid_rows}
    assert errors == {2: {"kind"}, 3: {"sources"}}
    assert not Organisation.objects.exists()  # one transaction: a file with errors writes nothing


def test_a_dry_run_reports_what_would_happen_and_writes_nothing(hong_kong_curator):
    OrganisationFactory(
        curating_section=Section.HONG_KONG, ror_id="https://ror.org/05q8mqd91", name_en="Old name"
    )
    result = run(
        OrganisationResource,
        [org_row(), org_row(name_en="New One Ltd", ror_id="")],
        hong_kong_curator,
        dry_run=True,
    )
    assert (result.totals["update"], result.totals["new"]) == (1, 1)
    assert list(Organisation.objects.values_list("name_en", flat=True)) == ["Old name"]
    assert history_rows() == 1


def test_a_hong_kong_curator_cannot_import_into_the_shenzhen_section(hong_kong_curator):
    shenzhen = OrganisationFactory(curating_section=Section.SHENZHEN, city="Futian")
    result = run(
        OrganisationResource,
        [
            org_row(id=shenzhen.public_id, ror_id="", curating_section="shenzhen", city="X"),
            org_row(name_en="Another Ltd", ror_id="", curating_section="shenzhen"),
        ],
        hong_kong_curator,
    )
    assert {row.number for row in result.invalid_rows} == {1, 2}
    assert all("curating_section" in row.error_dict for row in result.invalid_rows)
    assert Organisation.objects.get(pk=shenzhen.pk).city == "Futian"
    assert Organisation.objects.count() == 1


def test_facilities_import_with_hosts_fields_and_sub_area_by_code(shenzhen_curator):
    from registry.models import ResearchField, SubArea

    SubArea.objects.create(
        code="futian_bonded_zone", name_en="Futian Bonded Zone", section="shenzhen"
    )
    ResearchField.objects.create(code="2", name_en="Engineering and technology")
    host = OrganisationFactory()
    row = {
        "id": "",
        "name_en": "CityU Shenzhen Futian Research Institute",
        "name_zh_hans": "香港城市大学深圳福田研究院",
        "name_zh_hant": "",
        "kind": "university_institute",
        "section": "shenzhen",
        "sub_area": "futian_bonded_zone",
        "hosts": host.public_id,
        "fields": "2",
        "status": "operational",
        "curating_section": "shenzhen",
        "sources": SOURCE,
        "verification": "verified_secondary",
        "as_of": "2026-11-25",
    }
    result = run(FacilityResource, [row], shenzhen_curator)
    assert not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    facility = Facility.objects.get()
    assert facility.sub_area.code == "futian_bonded_zone"
    assert list(facility.hosts.all()) == [host]
    assert list(facility.fields.values_list("code", flat=True)) == ["2"]
    again = run(FacilityResource, [row], shenzhen_curator)
    assert again.totals["skip"] == 1


def test_projects_import_with_their_participants_and_become_cross_border(shenzhen_curator):
    hk = OrganisationFactory(jurisdiction=Organisation.Jurisdiction.HONG_KONG)
    sz = OrganisationFactory(jurisdiction=Organisation.Jurisdiction.MAINLAND, country="CN")
    lab = FacilityFactory(section=Facility.Location.SHENZHEN)
    row = {
        "id": "",
        "title_en": "Joint electron microscopy",
        "title_zh_hans": "",
        "title_zh_hant": "",
        "status": "active",
        "start_date": "2025-01-01",
        "end_date": "",
        "participants": f"{hk.public_id}:lead; {sz.public_id}:partner@{lab.public_id}",
        "curating_section": "shenzhen",
        "sources": SOURCE,
        "verification": "illustrative",
        "as_of": "2026-11-25",
    }
    result = run(ProjectResource, [row], shenzhen_curator)
    assert not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    project = Project.objects.get()
    assert set(project.participations.values_list("organisation", "role", "side")) == {
        (hk.pk, "lead", "hong_kong"),
        (sz.pk, "partner", "shenzhen"),
    }
    assert project.cross_border
    before = history_rows()
    assert run(ProjectResource, [row], shenzhen_curator).totals["skip"] == 1
    assert history_rows() == before

    row["participants"] = f"{hk.public_id}:lead"
    run(ProjectResource, [{**row, "id": project.public_id}], shenzhen_curator)
    assert list(project.participations.values_list("organisation", flat=True)) == [hk.pk]
    assert not Project.objects.get(pk=project.pk).cross_border


def test_a_bad_participant_cell_says_what_is_wrong(shenzhen_curator):
    hk = OrganisationFactory()
    row = {
        "id": "",
        "title_en": "P",
        "status": "active",
        "participants": f"{hk.public_id}:boss; org-zzzzzz00:lead",
        "curating_section": "shenzhen",
        "sources": SOURCE,
        "verification": "illustrative",
        "as_of": "2026-11-25",
    }
    result = run(ProjectResource, [row], shenzhen_curator)
    assert "participants" in result.invalid_rows[0].error_dict
    assert "role must be one of" in str(result.invalid_rows[0].error_dict["participants"])
    assert not Project.objects.exists()


def test_the_public_and_partners_cannot_import(hong_kong_partner):
    result = run(OrganisationResource, [org_row()], hong_kong_partner)
    assert result.has_validation_errors()
    assert not Organisation.objects.filter(ror_id="https://ror.org/05q8mqd91").exists()


# -- through the admin ----------------------------------------------------------------------------
def test_the_admin_shows_a_dry_run_preview_before_anything_is_written(client, hong_kong_curator):
    client.force_login(hong_kong_curator)
    data = dataset([org_row(), org_row(name_en="Bad", ror_id="", kind="spaceship")])
    upload = SimpleUploadedFile("orgs.csv", data.export("csv").encode(), "text/csv")
    response = client.post(
        reverse("admin:registry_organisation_import"),
        {"import_file": upload, "format": "0", "resource": "0"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "spaceship" in page and "kind" in page.lower()
    assert not Organisation.objects.exists()


def test_the_admin_import_of_a_clean_file_can_be_confirmed(client, hong_kong_curator):
    client.force_login(hong_kong_curator)
    data = dataset([org_row()])
    upload = SimpleUploadedFile("orgs.csv", data.export("csv").encode(), "text/csv")
    preview = client.post(
        reverse("admin:registry_organisation_import"),
        {"import_file": upload, "format": "0", "resource": "0"},
    )
    assert not Organisation.objects.exists()
    confirm = preview.context["confirm_form"]
    response = client.post(
        reverse("admin:registry_organisation_process_import"),
        {name: confirm[name].value() for name in confirm.fields},
    )
    assert response.status_code == 302
    assert Organisation.objects.get().history.get().history_user == hong_kong_curator


@pytest.mark.parametrize(("fmt", "index"), [("csv", "0"), ("xlsx", "1"), ("json", "2")])
def test_the_filtered_changelist_exports_in_each_format(client, zone_editor, fmt, index):
    OrganisationFactory(name_en="Shenzhen One", curating_section=Section.SHENZHEN)
    OrganisationFactory(name_en="Hong Kong One", curating_section=Section.HONG_KONG)
    client.force_login(zone_editor)
    url = reverse("admin:registry_organisation_export") + "?curating_section__exact=shenzhen"
    page = client.get(url)
    form = page.context["form"]
    data = {"format": index, "resource": "0"}
    for name in form.fields:
        if name.startswith("organisationresource_"):
            data[name] = "on"
    response = client.post(url, data)
    assert response.status_code == 200
    body = response.content
    if fmt == "xlsx":
        exported = tablib.Dataset().load(io.BytesIO(body), format="xlsx")
        names = exported["name_en"]
    elif fmt == "json":
        names = [row["name_en"] for row in json.loads(body)]
    else:
        names = tablib.Dataset().load(body.decode("utf-8-sig"), format="csv")["name_en"]
    assert names == ["Shenzhen One"]
