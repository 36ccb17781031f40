"""Open data: ``manage.py export_dump``, the ``/<lang>/data/`` page and its downloads, and a
dump loaded back into an empty registry (docs/architecture.md §10–11)."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import Http404
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from registry import access, exports
from registry.models import (
    CURATED_MODELS,
    Facility,
    FundingCeiling,
    Organisation,
    OrganisationRelation,
    PolicyInstrument,
    PriorityArea,
    Project,
    Publication,
    ResearchField,
    Section,
    SubArea,
)
from registry.public import data as data_views
from tests.factories import (
    FacilityFactory,
    FactorFlowFactory,
    FundingLineFactory,
    FundingSchemeFactory,
    OrganisationFactory,
    OutputFactory,
    ParticipationFactory,
    PolicyInstrumentFactory,
    ProjectFactory,
)
from tests.public import parse, table_cells

SECRET = "Secret unpublished"
# What a second registry cannot reproduce: bookkeeping of the save, not data.
VOLATILE = {"version", "created_at", "updated_at"}


def build_registry() -> SimpleNamespace:
    """A small registry with every resource, relations of every kind, and records the public
    may not see (drafts, in review, retracted) tied to published ones."""
    major = ResearchField.objects.create(
        code="1", name_en="Natural sciences", name_zh_hans="自然科学"
    )
    field = ResearchField.objects.create(
        code="1.1", name_en="Mathematics", name_zh_hant="數學", parent=major
    )
    area = PriorityArea.objects.create(
        code="ai_data_science",
        name_en="AI and data science",
        name_zh_hans="人工智能与数据科学",
        description_en="Named by the zone's plans.",
        sources=["https://www.example.org/plan"],
    )
    loop = SubArea.objects.create(
        code="loop", name_en="Lok Ma Chau Loop", name_zh_hant="落馬洲河套", section="hong_kong"
    )
    university = OrganisationFactory(
        name_en="Harbour University",
        name_zh_hans="海港大学",
        name_zh_hant="海港大學",
        acronym="HU",
        aliases=["Harbour Uni; the old name", "海大"],
        ror_id="https://ror.org/00t33hh48",
        external_ids={"wikidata": ["Q1"]},
        website="https://www.example.edu/",
        established=1911,
    )
    university.owner = university
    university.save()
    institute = OrganisationFactory(
        name_en="Futian Institute",
        name_zh_hans="福田研究院",
        kind=Organisation.Kind.RESEARCH_INSTITUTE,
        jurisdiction=Organisation.Jurisdiction.MAINLAND,
        country="CN",
        city="Shenzhen",
        curating_section=Section.SHENZHEN,
    )
    funder = OrganisationFactory(name_en="Innovation Fund", kind=Organisation.Kind.FUNDER)
    draft_org = OrganisationFactory(
        name_en=f"{SECRET} Draft Company",
        publication=Publication.DRAFT,
        ror_id="https://ror.org/02zhqgq86",
    )
    review_org = OrganisationFactory(
        name_en=f"{SECRET} Reviewed Lab", publication=Publication.IN_REVIEW
    )
    retracted_org = OrganisationFactory(
        name_en=f"{SECRET} Retracted Society", publication=Publication.RETRACTED
    )
    for kind, target, ror_id in (
        (OrganisationRelation.Kind.RELATED, institute, ""),
        (OrganisationRelation.Kind.CHILD, draft_org, ""),  # shown as a bare ROR link
        (OrganisationRelation.Kind.PARENT, review_org, ""),  # no public trace at all
        (OrganisationRelation.Kind.SUCCESSOR, None, "https://ror.org/05q8mqd91"),  # pending
    ):
        OrganisationRelation(
            source=university, kind=kind, target=target, target_ror_id=ror_id
        ).save()

    site = FacilityFactory(
        name_en="Loop Innovation Hub",
        name_zh_hant="河套創新樞紐",
        kind=Facility.Kind.SITE,
        sub_area=loop,
        owner=university,
    )
    # Created before its parent, so the file lists the child first.
    lab = FacilityFactory(
        name_en="Harbour Robotics Laboratory",
        latitude=Decimal("22.515000"),
        longitude=Decimal("114.070000"),
        floor_area_m2=Decimal("1200.5"),
        opened_on=datetime.date(2024, 9, 1),
        owner=university,
    )
    lab.parent = site
    lab.save()
    lab.hosts.set([university, draft_org])
    lab.fields.set([major, field])
    lab.priority_areas.set([area])
    shenzhen_lab = FacilityFactory(
        name_en="Futian Materials Platform",
        section=Facility.Location.SHENZHEN,
        curating_section=Section.SHENZHEN,
    )
    draft_facility = FacilityFactory(name_en=f"{SECRET} Planned Lab", publication=Publication.DRAFT)

    policy = PolicyInstrumentFactory(
        name_en="Sample-transfer white list",
        name_zh_hans="样本跨境白名单",
        document_number="深科技〔2025〕1号",
        issuer=institute,
        issued_on=datetime.date(2025, 3, 1),
        factors=["biological_samples", "research_data"],
        curating_section=Section.SHENZHEN,
    )
    scheme = FundingSchemeFactory(
        name_en="Joint Funding Scheme", acronym="JFS", funder=funder, max_duration_months=36
    )
    FundingCeiling(
        scheme=scheme, side="hong_kong", currency="HKD", amount=Decimal("5000000")
    ).save()
    FundingCeiling(scheme=scheme, side="shenzhen", currency="CNY", amount=Decimal("3000000")).save()

    joint = ProjectFactory(
        title_en="Cross-border surgical robots",
        title_zh_hans="跨境手术机器人",
        acronym="CBSR",
        summary_en="Invented for the test.",
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2027, 12, 31),
        owner=university,
    )
    joint.fields.set([field])
    joint.priority_areas.set([area])
    ParticipationFactory(project=joint, organisation=university, facility=lab, role="lead")
    ParticipationFactory(
        project=joint, organisation=institute, facility=shenzhen_lab, role="partner"
    )
    ParticipationFactory(project=joint, organisation=draft_org, role="industry_partner")
    FundingLineFactory(project=joint, funder=funder, scheme=scheme)
    FundingLineFactory(project=joint, funder=funder, scheme=scheme, currency="CNY", side="shenzhen")
    joint.refresh_from_db()
    solo = ProjectFactory(title_en="Harbour maths seminar", start_date=None)
    draft_project = ProjectFactory(
        title_en=f"{SECRET} Draft Project", publication=Publication.DRAFT
    )
    retracted_project = ProjectFactory(
        title_en=f"{SECRET} Retracted Project", publication=Publication.RETRACTED
    )

    paper = OutputFactory(
        project=joint,
        title_en="Robots in the Loop",
        identifier="https://doi.org/10.1234/example",
        date=datetime.date(2026, 5, 1),
        key_achievement=True,
    )
    draft_output = OutputFactory(
        project=joint, title_en=f"{SECRET} Draft Paper", publication=Publication.DRAFT
    )
    flow = FactorFlowFactory(
        project=joint,
        factor="biological_samples",
        direction="southbound",
        mechanism=policy,
        quantity=Decimal("200"),
        unit="samples",
        value=Decimal("150000.00"),
        currency="CNY",
        description_en="Tissue samples to the Hong Kong Park.",
    )
    facility_flow = FactorFlowFactory(project=None, facility=lab, factor="equipment")
    draft_flow = FactorFlowFactory(
        project=joint, publication=Publication.DRAFT, description_en=f"{SECRET} flow"
    )
    return SimpleNamespace(**locals())


@pytest.fixture
def dump_dir(tmp_path: Path, settings: Any) -> Path:
    settings.REGISTRY_DUMP_DIR = tmp_path / "dumps"
    return settings.REGISTRY_DUMP_DIR


@pytest.fixture
def registry(db: None) -> SimpleNamespace:
    return build_registry()


@pytest.fixture
def dumped(registry: SimpleNamespace, dump_dir: Path) -> exports.Manifest:
    return exports.write_dump(dump_dir)


def read_rows(manifest: exports.Manifest, resource: str) -> list[dict[str, Any]]:
    path = manifest.folder / manifest.resources[resource]["files"]["json"]["path"]
    return json.loads(path.read_text(encoding="utf-8"))


def read_csv(manifest: exports.Manifest, resource: str) -> list[dict[str, str]]:
    path = manifest.folder / manifest.resources[resource]["files"]["csv"]["path"]
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def all_rows(manifest: exports.Manifest) -> dict[str, dict[str, dict[str, Any]]]:
    """Every record of the dump by resource and id, without the save's bookkeeping."""
    return {
        name: {
            row["id"]: {key: value for key, value in row.items() if key not in VOLATILE}
            for row in read_rows(manifest, name)
        }
        for name in manifest.resources
    }


# -- export_dump -----------------------------------------------------------------------------------
def test_export_dump_writes_json_csv_and_a_manifest_that_matches_them(registry, tmp_path):
    out = io.StringIO()
    call_command("export_dump", str(tmp_path / "out"), stdout=out)

    name = (tmp_path / "out" / "latest").read_text(encoding="utf-8").strip()
    folder = tmp_path / "out" / name
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema_version"] == "1"
    assert manifest["licence"]["name"] == "CC BY 4.0"
    assert manifest["licence"]["url"] == "https://creativecommons.org/licenses/by/4.0/"
    generated = datetime.datetime.fromisoformat(manifest["generated_at"])
    assert generated.tzinfo is not None
    assert name == generated.strftime("%Y%m%dT%H%M%SZ")
    assert list(manifest["resources"]) == [
        "organisations",
        "facilities",
        "projects",
        "outputs",
        "flows",
        "policies",
        "funding-schemes",
        "fields",
        "priority-areas",
        "sub-areas",
    ]
    # Every file is listed, and nothing else is in the folder.
    listed = {
        file["path"] for entry in manifest["resources"].values() for file in entry["files"].values()
    }
    assert {p.name for p in folder.iterdir()} == listed | {"manifest.json"}

    expected = {
        model.RESOURCE: access.public(model.objects.all()).count() for model in CURATED_MODELS
    }
    expected |= {"fields": 2, "priority-areas": 1, "sub-areas": 1}
    assert expected["organisations"] == 3 and expected["projects"] == 2
    for resource, entry in manifest["resources"].items():
        assert entry["count"] == expected[resource], resource
        for file_format, file in entry["files"].items():
            content = (folder / file["path"]).read_bytes()
            assert file["sha256"] == hashlib.sha256(content).hexdigest()
            assert file["bytes"] == len(content)
            text = content.decode("utf-8")
            if file_format == "json":
                assert len(json.loads(text)) == entry["count"]
            else:
                assert len(list(csv.DictReader(io.StringIO(text, newline="")))) == entry["count"]
    # Chinese text is written as such, not as \u escapes.
    assert "海港大学" in (folder / "organisations.json").read_text(encoding="utf-8")

    summary = out.getvalue()
    assert name in summary
    assert "organisations: 3 records" in summary
    assert "projects: 2 records" in summary


def test_the_json_of_a_dump_is_the_api_representation(dumped, registry, client):
    projects = {row["id"]: row for row in read_rows(dumped, "projects")}
    for resource, record in (
        ("projects", registry.joint),
        ("organisations", registry.institute),
        ("facilities", registry.lab),
        ("flows", registry.flow),
        ("funding-schemes", registry.scheme),
        ("policies", registry.policy),
        ("outputs", registry.paper),
    ):
        response = client.get(f"/api/v1/{resource}/{record.public_id}/?lang=en")
        assert response.status_code == 200
        api = response.json()
        dump = {row["id"]: row for row in read_rows(dumped, resource)}[record.public_id]
        assert dump["url"] == f"/api/v1/{resource}/{record.public_id}/"
        assert api["url"].endswith(dump["url"])
        assert {k: v for k, v in api.items() if k != "url"} == {
            k: v for k, v in dump.items() if k != "url"
        }, resource
    joint = projects[registry.joint.public_id]
    assert joint["cross_border"] is True
    assert [p["organisation"]["id"] for p in joint["participations"]] == [
        registry.university.public_id,
        registry.institute.public_id,
    ]
    assert [o["id"] for o in joint["outputs"]] == [registry.paper.public_id]


def test_drafts_and_retracted_records_are_nowhere_in_the_dump(dumped, registry):
    hidden = [
        registry.draft_org,
        registry.review_org,
        registry.retracted_org,
        registry.draft_facility,
        registry.draft_project,
        registry.retracted_project,
        registry.draft_output,
        registry.draft_flow,
    ]
    for path in dumped.folder.iterdir():
        text = path.read_text(encoding="utf-8")
        assert SECRET not in text, path.name
        for record in hidden:
            assert record.public_id not in text, (path.name, record.public_id)
    ids = {name: set(rows) for name, rows in all_rows(dumped).items()}
    assert ids["organisations"] == {
        registry.university.public_id,
        registry.institute.public_id,
        registry.funder.public_id,
    }
    assert ids["projects"] == {registry.joint.public_id, registry.solo.public_id}
    # A link to an unpublished organisation keeps only its (public) ROR id.
    university = all_rows(dumped)["organisations"][registry.university.public_id]
    assert sorted((r["type"], r["ror_id"], r["id"]) for r in university["relationships"]) == [
        ("child", "https://ror.org/02zhqgq86", None),
        ("related", "", registry.institute.public_id),
        ("successor", "https://ror.org/05q8mqd91", None),
    ]


def test_csv_has_flat_columns_names_per_script_and_related_ids_joined(dumped, registry):
    organisations = {row["id"]: row for row in read_csv(dumped, "organisations")}
    university = organisations[registry.university.public_id]
    assert university["name_en"] == "Harbour University"
    assert university["name_zh_hans"] == "海港大学"
    assert university["name_zh_hant"] == "海港大學"
    assert json.loads(university["aliases"]) == ["Harbour Uni; the old name", "海大"]
    assert university["owner"] == registry.university.public_id
    assert university["sources"] == "https://www.example.org/test-source"
    assert university["verification"] == "illustrative"
    assert "url" not in university

    facilities = {row["id"]: row for row in read_csv(dumped, "facilities")}
    lab = facilities[registry.lab.public_id]
    assert lab["hosts"] == registry.university.public_id  # the draft host left out
    assert lab["fields"] == "1;1.1"
    assert lab["parent"] == registry.site.public_id
    assert lab["latitude"] == "22.515000"
    assert facilities[registry.site.public_id]["sub_area"] == "loop"

    projects = {row["id"]: row for row in read_csv(dumped, "projects")}
    joint = projects[registry.joint.public_id]
    assert joint["title_zh_hans"] == "跨境手术机器人"
    assert joint["participant_organisations"] == ";".join(
        [registry.university.public_id, registry.institute.public_id]
    )
    assert joint["funders"] == registry.funder.public_id
    assert joint["cross_border"] == "true"
    assert joint["outputs"] == registry.paper.public_id
    assert projects[registry.solo.public_id]["start_date"] == ""

    policy = read_csv(dumped, "policies")[0]
    assert policy["factors"] == "biological_samples;research_data"
    assert policy["issuer"] == registry.institute.public_id


def test_a_dump_costs_the_same_queries_whatever_the_number_of_records(registry, tmp_path):
    """One query per resource plus one per prefetched relation and chunk of 500 records."""
    with CaptureQueriesContext(connection) as few:
        small = exports.write_dump(tmp_path / "small")
    for number in range(6):
        project = ProjectFactory(title_en=f"Extra project {number}")
        ParticipationFactory(project=project, organisation=registry.institute)
        FundingLineFactory(project=project, funder=registry.funder, scheme=registry.scheme)
        OutputFactory(project=project)
        FactorFlowFactory(project=project)
        FacilityFactory(parent=registry.site).hosts.set([registry.university])
    with CaptureQueriesContext(connection) as more:
        large = exports.write_dump(tmp_path / "large")
    assert large.resources["projects"]["count"] == small.resources["projects"]["count"] + 6
    assert len(more.captured_queries) == len(few.captured_queries)


def test_a_new_dump_becomes_latest_and_keep_prunes_the_oldest(registry, dump_dir):
    first = exports.write_dump(dump_dir)
    OrganisationFactory(name_en="Newly Published Academy")
    second = exports.write_dump(dump_dir)
    assert second.name != first.name
    assert (dump_dir / "latest").read_text(encoding="utf-8") == second.name + "\n"
    assert exports.latest_dump(dump_dir).name == second.name
    assert second.resources["organisations"]["count"] == 4
    assert first.folder.is_dir()

    call_command("export_dump", str(dump_dir), "--keep", "1", stdout=io.StringIO())
    remaining = exports.dump_folders(dump_dir)
    assert remaining == [exports.latest_dump(dump_dir).name]
    # Nothing half-written is left behind.
    assert sorted(p.name for p in dump_dir.iterdir()) == sorted([*remaining, "latest"])


def test_a_failed_dump_leaves_the_latest_one_alone(registry, dump_dir, monkeypatch):
    good = exports.write_dump(dump_dir)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "_write_resource", broken)
    with pytest.raises(RuntimeError):
        exports.write_dump(dump_dir)
    assert exports.latest_dump(dump_dir).name == good.name
    assert sorted(p.name for p in dump_dir.iterdir()) == sorted([good.name, "latest"])


# -- load_dump -------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_dump_loads_into_an_empty_database_with_the_same_published_records(tmp_path):
    registry = build_registry()
    original = exports.write_dump(tmp_path / "before")
    before = all_rows(original)

    call_command("flush", interactive=False, verbosity=0)
    assert not any(model.objects.exists() for model in CURATED_MODELS)
    assert not ResearchField.objects.exists()

    report = exports.load_dump(tmp_path / "before")
    assert report.skipped == []
    assert report.created == {name: len(rows) for name, rows in before.items()}

    # The same published records, names and key fields, straight from the database…
    for model in CURATED_MODELS:
        loaded = set(model.objects.values_list("public_id", flat=True))
        assert loaded == set(before[model.RESOURCE]), model.RESOURCE
        assert set(model.objects.values_list("publication", flat=True)) == {"published"}
    university = Organisation.objects.get(public_id=registry.university.public_id)
    assert (university.name_en, university.name_zh_hans, university.name_zh_hant) == (
        "Harbour University",
        "海港大学",
        "海港大學",
    )
    assert university.owner == university
    assert university.ror_id == "https://ror.org/00t33hh48"
    joint = Project.objects.get(public_id=registry.joint.public_id)
    assert joint.cross_border is True
    assert sorted(joint.participations.values_list("organisation__public_id", "side")) == sorted(
        [(registry.university.public_id, "hong_kong"), (registry.institute.public_id, "shenzhen")]
    )
    assert joint.funding_lines.count() == 2
    assert list(joint.fields.values_list("code", flat=True)) == ["1.1"]
    lab = Facility.objects.get(public_id=registry.lab.public_id)
    assert lab.parent.public_id == registry.site.public_id
    assert lab.latitude == Decimal("22.515000")
    assert PolicyInstrument.objects.get().document_number == "深科技〔2025〕1号"
    assert ResearchField.objects.get(code="1.1").parent.code == "1"
    # …through the normal save path: history rows and change events.
    assert university.history.exists()
    assert lab.history.count() == 1

    # …and a dump of the loaded registry says exactly what the first one said.
    again = exports.write_dump(tmp_path / "after")
    assert all_rows(again) == before


@pytest.mark.django_db(transaction=True)
def test_loading_needs_an_empty_registry_and_intact_files(tmp_path):
    build_registry()
    manifest = exports.write_dump(tmp_path)
    with pytest.raises(exports.DumpError, match="empty registry"):
        exports.load_dump(tmp_path)

    call_command("flush", interactive=False, verbosity=0)
    damaged = manifest.folder / "projects.json"
    damaged.write_text(damaged.read_text(encoding="utf-8").replace("Cross", "Crass"), "utf-8")
    with pytest.raises(exports.DumpError, match="checksum"):
        exports.load_dump(manifest.folder)
    assert not Organisation.objects.exists()


# -- the data page ---------------------------------------------------------------------------------
def test_the_data_page_without_a_dump_says_so(client, dump_dir, db):
    response = client.get("/en/data/")
    assert response.status_code == 200
    page = parse(response.content)
    assert page.find("p", id="no-dump").text
    assert not page.find_all("table")


def test_the_data_page_shows_the_latest_dump(registry, dump_dir, client):
    exports.write_dump(dump_dir)
    OrganisationFactory(name_en="Newly Published Academy")
    latest = exports.write_dump(dump_dir)

    response = client.get("/en/data/")
    assert response.status_code == 200
    assert set(response["Cache-Control"].split(", ")) == {"public", "max-age=300"}
    page = parse(response.content)
    assert page.find("dd", id="schema-version").text == "1"
    licence = page.find("dd", id="licence").find("a")
    assert licence.attrs["href"] == "https://creativecommons.org/licenses/by/4.0/"
    assert page.find("time").attrs["datetime"] == latest.data["generated_at"]

    header, rows = table_cells(page.find("table", id="files"))
    assert header == ["Resource", "Records", "Downloads"]
    assert [row[0] for row in rows][:3] == ["Organisations", "Facilities", "Projects"]
    assert rows[-3][0] == "Research fields reference data"
    counts = {
        tr.attrs["id"].removeprefix("resource-"): int(tr.find("td").text)
        for tr in page.find("table", id="files").find("tbody").find_all("tr")
    }
    assert counts == {name: entry["count"] for name, entry in latest.resources.items()}
    assert counts["organisations"] == 4
    assert counts["projects"] == 2
    links = {a.attrs["href"] for a in page.find("table", id="files").find_all("a")}
    assert links == {f"/en/data/{path}" for path in latest.files() if path != "manifest.json"}
    assert page.find("a", href="/en/data/manifest.json")

    _, checksums = table_cells(page.find("table", id="checksum-table"))
    files = latest.files()
    assert {row[0]: (int(row[1]), row[2]) for row in checksums} == {
        path: (entry["bytes"], entry["sha256"])
        for path, entry in files.items()
        if path != "manifest.json"
    }
    nav = {a.attrs["href"] for a in page.find("header").find_all("a")}
    assert "/en/data/" in nav


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant"])
def test_the_data_page_answers_in_every_language(dumped, client, language):
    response = client.get(f"/{language}/data/")
    assert response.status_code == 200
    page = parse(response.content)
    assert page.find("html").attrs["lang"] == language
    assert page.find("a", href=f"/{language}/data/organisations.csv")
    download = client.get(f"/{language}/data/organisations.csv")
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    download.close()


def test_the_data_page_reads_no_database(dumped, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/en/data/").status_code == 200
    with django_assert_num_queries(0):
        download = client.get("/en/data/projects.json")
        assert download.status_code == 200
        download.close()


# -- downloads -------------------------------------------------------------------------------------
def test_downloads_are_the_manifest_files_with_type_disposition_and_etag(dumped, client):
    for path, entry in dumped.files().items():
        response = client.get(f"/en/data/{path}")
        assert response.status_code == 200, path
        body = b"".join(response.streaming_content)
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
        assert response["Content-Disposition"] == f'attachment; filename="{path}"'
        assert response["ETag"] == f'"{entry["sha256"]}"'
        assert response["Content-Length"] == str(entry["bytes"])
        expected = "text/csv; charset=utf-8" if path.endswith(".csv") else "application/json"
        assert response["Content-Type"] == expected
        response.close()

    etag = f'"{dumped.resources["projects"]["files"]["json"]["sha256"]}"'
    not_modified = client.get("/en/data/projects.json", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified["ETag"] == etag
    assert client.post("/en/data/projects.json").status_code == 405


@pytest.mark.parametrize(
    "name",
    [
        "nothing.json",
        "latest",
        "organisations.xml",
        "../manifest.json",
        "..%2fmanifest.json",
        "%2e%2e/manifest.json",
        "%2e%2e%2fmanifest.json",
        "..%5cmanifest.json",
        "/etc/passwd",
        "%2Fetc%2Fpasswd",
        "..%2F..%2F..%2Fhetao%2Fsettings.py",
        "ORGANISATIONS.JSON",
        "organisations.json%00.csv",
    ],
)
def test_unknown_names_are_404(dumped, client, name):
    response = client.get(f"/en/data/{name}")
    assert response.status_code == 404


def test_the_view_itself_serves_only_names_from_the_manifest(dumped, dump_dir):
    request = RequestFactory().get("/en/data/x")
    for name in (
        "../manifest.json",
        "..",
        str(dumped.folder / "projects.json"),
        f"{dumped.name}/projects.json",
        "latest",
        "",
    ):
        with pytest.raises(Http404):
            data_views.download(request, name)
    # A manifest that names a file outside its folder is not believed.
    manifest_path = dumped.folder / "manifest.json"
    content = json.loads(manifest_path.read_text(encoding="utf-8"))
    content["resources"]["projects"]["files"]["json"]["path"] = "../latest"
    manifest_path.write_text(json.dumps(content), encoding="utf-8")
    assert "../latest" not in exports.latest_dump(dump_dir).files()
    with pytest.raises(Http404):
        data_views.download(request, "../latest")


def test_no_dump_means_no_download(client, dump_dir, db):
    assert client.get("/en/data/manifest.json").status_code == 404
    dump_dir.mkdir(parents=True)
    (dump_dir / "latest").write_text("../../etc\n", encoding="utf-8")
    assert client.get("/en/data/manifest.json").status_code == 404
    assert client.get("/en/data/").status_code == 200
